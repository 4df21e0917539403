/**
 * Mirrors and pull-through caches, as a decorator of the registry client: a repository's tag
 * list, digests and manifests are asked of its registry's mirrors first, in order, then of the
 * registry itself. The answer is the same content (a digest names its bytes), so pins always
 * name the registry as written; only where the bytes came from changes.
 *
 * A mirror that cannot be reached, stays silent, or answers 5xx is skipped for the rest of the
 * run; one that lacks the repository or tag (404) is skipped for that request only, since a
 * pull-through cache may hold some repositories and not others. Vendor APIs (`getJson`) always go
 * to the registry: a mirror does not serve them.
 */
import { RegistryError } from './errors.js';
import { normalizeAuthKey } from './keychain.js';
import type { ImageRepository, RegistryClient } from './types.js';

/** One mirror: requests for repositories under `source` go to `target` instead, the rest of the path kept. */
export interface MirrorRoute {
  /** `host[/path]` of the registry (canonical host: `docker.io` is `index.docker.io`). */
  source: string;
  /** `host[/path]` of the mirror. */
  target: string;
  /** Where it was configured, for messages. */
  origin: string;
  /** Only content asked for by digest comes from it (registries.conf `mirror-by-digest-only`). */
  digestOnly?: boolean;
}

/** `host[/path]` with the host lower-cased and Docker Hub's aliases made one. */
export function canonicalLocation(location: string): string {
  const trimmed = location.trim().replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  const host = normalizeAuthKey(slash < 0 ? trimmed : trimmed.slice(0, slash));
  return slash < 0 ? host : `${host}${trimmed.slice(slash)}`;
}

function splitLocation(location: string): { host: string; path: string } {
  const slash = location.indexOf('/');
  return slash < 0 ? { host: location, path: '' } : { host: location.slice(0, slash), path: location.slice(slash + 1) };
}

/**
 * The mirrors for `repo`, in order: those of the most specific matching source (a repository
 * path prefix beats a bare host, as in containers' registries.conf).
 */
export function mirrorsFor(routes: readonly MirrorRoute[], repo: Pick<ImageRepository, 'registry' | 'repository'>, byDigest = false): ImageRepository[] {
  const full = `${repo.registry}/${repo.repository}`;
  let best = '';
  for (const route of routes) {
    if ((full === route.source || full.startsWith(`${route.source}/`) || repo.registry === route.source) && route.source.length > best.length) best = route.source;
  }
  if (best === '') return [];
  return routes
    .filter((route) => route.source === best && (byDigest || !route.digestOnly))
    .map((route) => {
      const rest = full.slice(best.length).replace(/^\//, '');
      const { host, path } = splitLocation(route.target);
      const repository = [path, rest].filter(Boolean).join('/');
      return { written: `${host}/${repository}`, registry: host, apiHost: host, repository };
    });
}

/** Whether the next source should be asked: the mirror is away or does not have it. */
function fallsThrough(error: unknown): 'down' | 'missing' | undefined {
  if (!(error instanceof RegistryError)) return undefined;
  if (error.runDeadline) return undefined;
  if (error.status === undefined) return 'down';
  if (error.status >= 500) return 'down';
  if (error.status === 404) return 'missing';
  return undefined;
}

export interface MirrorOptions {
  routes: readonly MirrorRoute[];
  /** Said once per mirror and run, when it failed and the next source answered instead. */
  onFallback(message: string): void;
}

export function withMirrors(inner: RegistryClient, options: MirrorOptions): RegistryClient {
  if (options.routes.length === 0) return inner;
  const down = new Set<string>();
  const told = new Set<string>();

  async function viaMirrors<T>(repo: ImageRepository, call: (target: ImageRepository) => Promise<T>, byDigest = false): Promise<T> {
    const failures: Array<{ mirror: string; message: string }> = [];
    for (const mirror of mirrorsFor(options.routes, repo, byDigest)) {
      if (down.has(mirror.apiHost)) continue;
      try {
        return await call(mirror);
      } catch (error) {
        const why = fallsThrough(error);
        if (why === undefined) throw error;
        if (why === 'down') down.add(mirror.apiHost);
        failures.push({ mirror: mirror.apiHost, message: (error as Error).message });
      }
    }
    const answer = await call(repo);
    for (const { mirror, message } of failures) {
      if (told.has(mirror)) continue;
      told.add(mirror);
      options.onFallback(`mirror ${mirror} for ${repo.registry}: ${message}; asked ${repo.registry} instead`);
    }
    return answer;
  }

  const mirrorsOf = (repo: ImageRepository) => mirrorsFor(options.routes, repo, true);
  return {
    listTags: (repo, hints) => viaMirrors(repo, (target) => inner.listTags(target, hints)),
    resolveDigest: (repo, tag, hints) => viaMirrors(repo, (target) => inner.resolveDigest(target, tag, hints)),
    lookupDigest: (repo, tag, opts) => viaMirrors(repo, (target) => inner.lookupDigest(target, tag, opts)),
    imageFacts: (repo, digest, needs) => viaMirrors(repo, (target) => inner.imageFacts(target, digest, needs), true),
    getJson: (repo, path, opts) => inner.getJson(repo, path, opts),
    recallAlias: (repo, rolling) => inner.recallAlias(repo, rolling),
    rememberAlias: (repo, rolling, memory) => inner.rememberAlias(repo, rolling, memory),
    // Signatures are read where the tag is: a mirror may not carry `.sig` tags or referrers.
    fetchManifest: (repo, reference) => inner.fetchManifest(repo, reference),
    fetchBlob: (repo, digest) => viaMirrors(repo, (target) => inner.fetchBlob(target, digest), true),
    recallVerification: (key) => inner.recallVerification(key),
    keepVerification: (key, record) => inner.keepVerification(key, record),
    notices: () => inner.notices(),
    requestCount: () => inner.requestCount(),
    usage(repo) {
      const own = inner.usage(repo);
      const requests = mirrorsOf(repo).reduce((sum, mirror) => sum + inner.usage(mirror).requests, own.requests);
      return { ...own, requests };
    },
    digestSource: (repo, tag) => inner.digestSource(repo, tag) ?? mirrorsOf(repo).map((m) => inner.digestSource(m, tag)).find(Boolean),
    close: () => inner.close(),
  };
}
