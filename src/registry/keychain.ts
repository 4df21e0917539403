/**
 * Credentials from the files docker and podman users already have:
 * Docker's config.json (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) and
 * containers' auth.json (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
 * `~/.config/containers/auth.json`). Both formats share `auths` (with `auth`, `username`/`password`,
 * `identitytoken`, `registrytoken`), `credHelpers` and `credsStore`.
 */
import { readFile as readFileCallback } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCredentialHelper, type HelperRunOptions } from './credential-helper.js';
import { DOCKER_HUB_AUTH_KEY, DOCKER_HUB_REGISTRY } from './name.js';
import type { Credential, Keychain } from './types.js';

// The callback API: node:fs/promises loads a dozen modules, and every run builds a keychain.
const readFile = promisify(readFileCallback);

export type { Credential, Keychain } from './types.js';

export class KeychainError extends Error {
  override name = 'KeychainError';
}

/** A keychain that never has credentials. */
export const anonymousKeychain: Keychain = { resolve: async () => undefined };

/** The first keychain that has credentials for a registry wins. */
export function chainKeychains(...keychains: Keychain[]): Keychain {
  return {
    async resolve(registry, repository) {
      for (const k of keychains) {
        const found = await k.resolve(registry, repository);
        if (found) return found;
      }
      return undefined;
    },
  };
}

/** Where the Docker CLI would read its config, honouring `DOCKER_CONFIG`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  return join(dir, 'config.json');
}

/** Where podman, skopeo and buildah look for auth.json, in their order. */
export function containersAuthPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.REGISTRY_AUTH_FILE) return [env.REGISTRY_AUTH_FILE];
  const paths: string[] = [];
  if (env.XDG_RUNTIME_DIR) paths.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  paths.push(join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'containers', 'auth.json'));
  return paths;
}

const HUB_ALIASES = new Set([DOCKER_HUB_REGISTRY, 'docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * The registry host a config.json `auths` key refers to. Keys are written many ways by different
 * tools: `ghcr.io`, `https://ghcr.io`, `https://ghcr.io/v2/`, `http://host:5000/v1/`.
 */
export function normalizeAuthKey(key: string): string {
  return authKeyScope(key).host;
}

/**
 * Host and, for containers-style keys (`quay.io/team/app`, no scheme), the repository prefix the
 * entry is limited to. A path after a scheme is an API path (`/v1/`), not a repository.
 */
export function authKeyScope(key: string): { host: string; path?: string } {
  const trimmed = key.trim();
  if (trimmed === DOCKER_HUB_AUTH_KEY) return { host: DOCKER_HUB_REGISTRY };
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  const rest = trimmed.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = rest.indexOf('/');
  const rawHost = (slash < 0 ? rest : rest.slice(0, slash)).toLowerCase();
  const host = HUB_ALIASES.has(rawHost) ? DOCKER_HUB_REGISTRY : rawHost;
  const path = hasScheme || slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  return path ? { host, path } : { host };
}

/** What a credential helper is asked for: Docker Hub's legacy URL, the bare host for the rest. */
export function helperServerUrl(registry: string): string {
  const host = normalizeAuthKey(registry);
  return host === DOCKER_HUB_REGISTRY ? DOCKER_HUB_AUTH_KEY : host;
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
  registrytoken?: unknown;
}

function toCredential(entry: AuthEntry, file: string, key: string): Credential | undefined {
  const cred: Credential = {};
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // The error names the file and the key, never the value.
    if (colon < 0) throw new KeychainError(`${file}: auths[${JSON.stringify(key)}].auth is not base64 of "user:password"`);
    cred.username = decoded.slice(0, colon);
    cred.password = decoded.slice(colon + 1);
  }
  if (typeof entry.username === 'string' && entry.username !== '') cred.username = entry.username;
  if (typeof entry.password === 'string' && entry.password !== '') cred.password = entry.password;
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') cred.identityToken = entry.identitytoken;
  if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') cred.registryToken = entry.registrytoken;
  return Object.keys(cred).length > 0 ? cred : undefined;
}

export interface AuthConfig {
  /** `host` or `host/repository-prefix` → credential. */
  auths: Map<string, Credential>;
  credHelpers: Map<string, string>;
  credsStore?: string;
}

/**
 * Parses the `auths`/`credHelpers`/`credsStore` of a config.json, auth.json or the decoded
 * `.dockerconfigjson` of a Secret. `legacy` accepts the old `.dockercfg` shape (auths at the top).
 */
export function parseAuthConfig(text: string, source: string, legacy = false): AuthConfig {
  let parsed: { auths?: Record<string, AuthEntry>; credHelpers?: Record<string, unknown>; credsStore?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeychainError(`${source} is not valid JSON`);
  }
  if (!parsed || typeof parsed !== 'object') throw new KeychainError(`${source} is not a JSON object`);
  const entries = legacy && parsed.auths === undefined ? (parsed as Record<string, AuthEntry>) : (parsed.auths ?? {});
  const auths = new Map<string, Credential>();
  const exact = new Set<string>();
  for (const [key, entry] of Object.entries(entries)) {
    if (!entry || typeof entry !== 'object') continue;
    const cred = toCredential(entry, source, key);
    if (!cred) continue;
    const { host, path } = authKeyScope(key);
    const scoped = path ? `${host}/${path}` : host;
    // Prefer the entry whose key is the bare host or Hub's canonical key over URL-ish spellings.
    const isExact = key === scoped || key === DOCKER_HUB_AUTH_KEY;
    if (!auths.has(scoped) || (isExact && !exact.has(scoped))) {
      auths.set(scoped, cred);
      if (isExact) exact.add(scoped);
    }
  }
  const credHelpers = new Map<string, string>();
  for (const [key, helper] of Object.entries(parsed.credHelpers ?? {})) {
    if (typeof helper === 'string' && helper !== '') credHelpers.set(normalizeAuthKey(key), helper);
  }
  return {
    auths,
    credHelpers,
    ...(typeof parsed.credsStore === 'string' && parsed.credsStore !== '' ? { credsStore: parsed.credsStore } : {}),
  };
}

/** The `auths` entry for a repository: the longest repository prefix first, then the bare host. */
export function lookupAuths(auths: ReadonlyMap<string, Credential>, registry: string, repository?: string): Credential | undefined {
  const host = normalizeAuthKey(registry);
  if (repository) {
    const parts = repository.split('/');
    for (let n = parts.length; n > 0; n--) {
      const found = auths.get(`${host}/${parts.slice(0, n).join('/')}`);
      if (found) return found;
    }
  }
  return auths.get(host);
}

export interface AuthFileOptions {
  env?: NodeJS.ProcessEnv;
  /** What kind of file it is, for reports of where a credential came from: `docker config`, `auth.json`. */
  label?: string;
  /** How helpers run (tests inject PATH through env). */
  helper?: HelperRunOptions;
}

/**
 * One auth file, read once on first use. For a registry: its `credHelpers` entry, then `auths`
 * (most specific key first), then the `credsStore` every other registry goes to. A missing file
 * means nothing to offer; an unreadable or malformed one is an error, since silently pulling
 * anonymously would hide the real problem.
 */
export function authFileKeychain(file: string, options: AuthFileOptions = {}): Keychain {
  let loaded: Promise<AuthConfig | undefined> | undefined;
  const answers = new Map<string, Promise<Credential | undefined>>();
  const load = async (): Promise<AuthConfig | undefined> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new KeychainError(`cannot read ${file}: ${code ?? (e as Error).message}`);
    }
    return parseAuthConfig(text, file);
  };
  const helperOptions: HelperRunOptions = { ...options.helper, ...(options.env ? { env: { ...process.env, ...options.env, ...options.helper?.env } } : {}) };
  const where = `${options.label ?? 'auth file'} ${homeRelative(file, options.env)}`;
  const fromHelper = async (helper: string, registry: string): Promise<Credential | undefined> => {
    const cred = await runCredentialHelper(helper, helperServerUrl(registry), helperOptions);
    return cred && { ...cred, source: `credential helper docker-credential-${helper} (${where})` };
  };
  const answer = async (registry: string, repository: string | undefined): Promise<Credential | undefined> => {
    loaded ??= load();
    const config = await loaded;
    if (!config) return undefined;
    const helper = config.credHelpers.get(normalizeAuthKey(registry));
    if (helper) return fromHelper(helper, registry);
    const stored = lookupAuths(config.auths, registry, repository);
    if (stored) return { ...stored, source: where };
    if (config.credsStore) return fromHelper(config.credsStore, registry);
    return undefined;
  };
  return {
    resolve(registry, repository) {
      const key = `${registry}/${repository ?? ''}`;
      let pending = answers.get(key);
      if (!pending) answers.set(key, (pending = answer(registry, repository)));
      return pending;
    },
  };
}

/** `~/…` for a path under the home folder: reports name the file the way its owner knows it. */
function homeRelative(file: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME ?? homedir();
  return home && home !== '/' && file.startsWith(`${home}/`) ? `~${file.slice(home.length)}` : file;
}

/** Docker's config.json (with its credential helpers). */
export function dockerConfigKeychain(opts: { path?: string; env?: NodeJS.ProcessEnv; helper?: HelperRunOptions } = {}): Keychain {
  return authFileKeychain(opts.path ?? dockerConfigPath(opts.env), {
    label: 'docker config',
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.helper ? { helper: opts.helper } : {}),
  });
}

/** containers' auth.json files, in podman's order. */
export function containersAuthKeychain(opts: { env?: NodeJS.ProcessEnv; helper?: HelperRunOptions } = {}): Keychain {
  return chainKeychains(
    ...containersAuthPaths(opts.env).map((path) =>
      authFileKeychain(path, { label: 'auth.json', ...(opts.env ? { env: opts.env } : {}), ...(opts.helper ? { helper: opts.helper } : {}) }),
    ),
  );
}

/** Everything a user's machine offers, in the order docker and then podman users expect. */
export function defaultKeychain(opts: { env?: NodeJS.ProcessEnv; helper?: HelperRunOptions } = {}): Keychain {
  return chainKeychains(dockerConfigKeychain(opts), containersAuthKeychain(opts));
}
