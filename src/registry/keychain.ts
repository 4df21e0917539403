/**
 * Credentials from Docker's config.json (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`), `auths` section only. credHelpers/credsStore, podman's auth.json and
 * Kubernetes Secrets plug in as further {@link Keychain}s combined with {@link chainKeychains}.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB_AUTH_KEY, DOCKER_HUB_REGISTRY } from './name.js';
import type { Credential, Keychain } from './types.js';

export type { Credential, Keychain } from './types.js';

export class KeychainError extends Error {
  override name = 'KeychainError';
}

/** A keychain that never has credentials. */
export const anonymousKeychain: Keychain = { resolve: async () => undefined };

/** The first keychain that has credentials for a registry wins. */
export function chainKeychains(...keychains: Keychain[]): Keychain {
  return {
    async resolve(registry) {
      for (const k of keychains) {
        const found = await k.resolve(registry);
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

const HUB_ALIASES = new Set([DOCKER_HUB_REGISTRY, 'docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * The registry host a config.json `auths` key refers to. Keys are written many ways by different
 * tools: `ghcr.io`, `https://ghcr.io`, `https://ghcr.io/v2/`, `http://host:5000/v1/`.
 */
export function normalizeAuthKey(key: string): string {
  let host = key.trim();
  if (key === DOCKER_HUB_AUTH_KEY) return DOCKER_HUB_REGISTRY;
  host = host.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  host = host.split('/')[0]!.toLowerCase();
  return HUB_ALIASES.has(host) ? DOCKER_HUB_REGISTRY : host;
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

/**
 * Reads config.json once (lazily, on first use). A missing file means anonymous; an unreadable or
 * malformed one is an error, since silently pulling anonymously would hide the real problem.
 */
export function dockerConfigKeychain(opts: { path?: string; env?: NodeJS.ProcessEnv } = {}): Keychain {
  const file = opts.path ?? dockerConfigPath(opts.env);
  let loaded: Promise<Map<string, Credential>> | undefined;
  const load = async (): Promise<Map<string, Credential>> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return new Map();
      throw new KeychainError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let parsed: { auths?: Record<string, AuthEntry> };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new KeychainError(`${file} is not valid JSON`);
    }
    const byHost = new Map<string, Credential>();
    const exact = new Set<string>();
    for (const [key, entry] of Object.entries(parsed?.auths ?? {})) {
      if (!entry || typeof entry !== 'object') continue;
      const cred = toCredential(entry, file, key);
      if (!cred) continue;
      const host = normalizeAuthKey(key);
      // Prefer the entry whose key is the bare host or Hub's canonical key over URL-ish spellings.
      const isExact = key === host || key === DOCKER_HUB_AUTH_KEY;
      if (!byHost.has(host) || (isExact && !exact.has(host))) {
        byHost.set(host, cred);
        if (isExact) exact.add(host);
      }
    }
    return byHost;
  };
  return {
    async resolve(registry) {
      loaded ??= load();
      const map = await loaded;
      return map.get(normalizeAuthKey(registry));
    },
  };
}
