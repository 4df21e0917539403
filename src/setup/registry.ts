import { runTimeLimitMs, type FunctionConfig } from '../config/function-config.js';
import type { PolicyDefinition, SourceObject } from '../config/policy-definitions.js';
import {
  chainKeychains,
  createRegistryClient,
  defaultCacheDir,
  defaultKeychain,
  fileCacheStore,
  proxyFromEnv,
  RegistryError,
  secretKeychain,
  withCache,
  withMirrors,
  type ImageRepository,
  type RegistryClient,
} from '../registry/index.js';
import { readRegistriesConf } from './registries-conf.js';
import { registrySettings, type TransportSettings } from './registry-settings.js';
import { repositoryAccess } from './repository-access.js';

export interface RunRegistryOptions {
  offline: boolean;
  cacheDir?: string;
  /** Where credentials, cache and proxy settings are read from. Default: the process environment. */
  env?: NodeJS.ProcessEnv;
  /** One line for stderr (the cache being unusable). Default: stderr. */
  warn?: (line: string) => void;
  /** `--timeout`, over the functionConfig's `spec.timeout`. */
  timeout?: string;
  /** When the run began, in `Date.now()` ms; the time limit counts from it. Default: the process start. */
  startedAt?: number;
}

/**
 * Assembles the registry access one run uses from what the user configured:
 * credentials (ImageRepository Secrets first, then docker's and podman's files), TLS and
 * concurrency per registry, insecure hosts, and the cache across runs. Kept apart from the
 * KRM and file-mode entries so both get exactly the same behaviour.
 */
/**
 * `policies` are the ones the caller already collected from `sources` (which also hold the
 * Secrets their repositories name); collecting them again here would validate every policy twice.
 */
export function createRunRegistry(
  config: FunctionConfig,
  sources: readonly SourceObject[],
  policies: ReadonlyMap<string, PolicyDefinition>,
  options: RunRegistryOptions,
): RegistryClient {
  const env = options.env ?? process.env;
  const warn = options.warn ?? ((line: string) => process.stderr.write(`apply-image-policies: ${line}\n`));
  const transport = registrySettings(config.registries);
  addRegistriesConf(transport, env, warn);
  const limitMs = runTimeLimitMs(config, options.timeout);
  // From the process start: a hook's user waits for the whole process, not for the registry part.
  // Requests stop a little before the limit, so that writing the results still fits inside it.
  const reserveMs = Math.min(1000, limitMs * 0.05);
  // The process start in Date.now() ms, as performance.timeOrigin says it, without loading perf_hooks for it (src/cli/summary.ts).
  const processStart = Date.now() - process.uptime() * 1000;
  const runDeadline = { at: (options.startedAt ?? processStart) + limitMs - reserveMs, limitMs, setting: '--timeout or spec.timeout' };
  const access = repositoryAccess(policies.values(), sources, transport);

  const client = createRegistryClient({
    // A Secret bound to a repository is the most specific answer; the machine's files come after.
    keychain: chainKeychains(secretKeychain(access.bindings), defaultKeychain({ env })),
    insecureRegistries: [...transport.insecure],
    tls: transport.tls,
    concurrencyByHost: transport.concurrency,
    timeoutByHost: transport.timeouts,
    timeoutByRepository: access.timeouts,
    runDeadline,
    proxy: proxyFromEnv(env),
  });
  const offline = options.offline || config.cache.offline === true;
  const store = config.cache.disabled ? undefined : fileCacheStore(options.cacheDir ?? config.cache.dir ?? defaultCacheDir(env), { onUnavailable: warn });
  // Below the cache: the cache keeps answers under the registry's name, wherever they came from.
  const mirrored = withMirrors(client, { routes: transport.mirrors, onFallback: warn });
  const cached = withCache(mirrored, { store, offline });

  // A broken spec.registries[] entry or certSecretRef fails the repositories on that host only.
  const guard = <T>(repo: ImageRepository, call: () => Promise<T>): Promise<T> => {
    const problem = transport.problems.get(repo.apiHost);
    if (problem === undefined) return call();
    return Promise.reject(new RegistryError(problem, { method: 'GET', url: '', registry: repo.registry, repository: repo.repository }));
  };
  return {
    listTags: (repo, hints) => guard(repo, () => cached.listTags(repo, hints)),
    resolveDigest: (repo, tag, hints) => guard(repo, () => cached.resolveDigest(repo, tag, hints)),
    lookupDigest: (repo, tag, opts) => guard(repo, () => cached.lookupDigest(repo, tag, opts)),
    getJson: (repo, path, opts) => guard(repo, () => cached.getJson(repo, path, opts)),
    imageFacts: (repo, digest, needs) => guard(repo, () => cached.imageFacts(repo, digest, needs)),
    recallAlias: (repo, rolling) => cached.recallAlias(repo, rolling),
    rememberAlias: (repo, rolling, memory) => cached.rememberAlias(repo, rolling, memory),
    fetchManifest: (repo, reference) => guard(repo, () => cached.fetchManifest(repo, reference)),
    fetchBlob: (repo, digest) => guard(repo, () => cached.fetchBlob(repo, digest)),
    recallVerification: (key) => cached.recallVerification(key),
    keepVerification: (key, record) => cached.keepVerification(key, record),
    // Secrets not among the inputs, then rate limits running low.
    notices: () => [...access.notices, ...cached.notices()],
    requestCount: () => cached.requestCount(),
    usage: (repo) => cached.usage(repo),
    digestSource: (repo, tag) => cached.digestSource(repo, tag),
    close: () => cached.close(),
  };
}

/** registries.conf's mirrors, for registries the functionConfig gives none: the functionConfig wins. */
function addRegistriesConf(transport: TransportSettings, env: NodeJS.ProcessEnv, warn: (line: string) => void): void {
  const conf = readRegistriesConf(env);
  if (conf.problem) warn(conf.problem);
  const configured = new Set(transport.mirrors.map((route) => route.source));
  transport.mirrors.push(...conf.mirrors.filter((route) => !configured.has(route.source)));
  for (const host of conf.insecure) transport.insecure.add(host);
}
