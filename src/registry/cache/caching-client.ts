/**
 * Tag lists and tag → digest answers kept across runs, as a decorator of the registry client.
 *
 * - Tag lists are reused while younger than the policy's interval (`maxAgeMs`, Flux's scan
 *   interval); `maxAgeMs: 0` lists again.
 * - A digest asked for as immutable (`mutable: false`) is answered from the cache forever; a
 *   mutable one is asked again, conditionally (`If-None-Match` with the stored ETag), so an
 *   unchanged tag costs a 304 and no body.
 * - What a manifest says about its image (platforms, creation times) is kept by digest for good:
 *   the digest names the bytes, so the answer cannot change.
 * - Manifests asked for by digest and blobs (signature payloads, bundles) are kept for good, as
 *   bytes; a manifest asked for by tag (a cosign `.sig` tag) is always asked.
 * - A signature that verified is kept under (digest, key or identity fingerprint); one that did
 *   not is asked again next run, since the image may have been signed since.
 * - Offline, everything comes from the cache and a miss is an error that says how to fix it.
 *
 * Entries hold tags, digests, ETags and image facts only: nothing from the keychain or the token exchange.
 */
import { RegistryError } from '../errors.js';
import { copyFacts, createdSettled, isImageFacts, withConfigCreated } from '../client/image-facts.js';
import type { AliasMemory, DigestLookup, DigestSource, FetchedManifest, ImageFactNeeds, ImageFacts, ImageRepository, RegistryClient, VerificationRecord } from '../types.js';
import { memoizeDigests } from '../run-memo.js';
import type { CacheStore } from './store.js';

export interface CachingOptions {
  /** Undefined: no persistent cache (the in-run memo still applies). */
  store: CacheStore | undefined;
  offline: boolean;
  /** For a caller that gives no `maxAgeMs`. Default one minute, the inline-policy interval. */
  defaultMaxAgeMs?: number;
  now?: () => number;
}

interface CachedTags {
  tags: string[];
}

interface CachedDigest {
  digest: string;
  etag?: string;
}

export class OfflineCacheMissError extends RegistryError {
  override name = 'OfflineCacheMissError';
}

const repoName = (repo: ImageRepository) => `${repo.registry}/${repo.repository}`;

function offlineMiss(repo: ImageRepository, what: string): OfflineCacheMissError {
  return new OfflineCacheMissError(`offline: ${what} is not in the cache; run once online to fill it`, {
    method: 'GET',
    url: '',
    registry: repo.registry,
    repository: repo.repository,
  });
}

export function withCache(inner: RegistryClient, options: CachingOptions): RegistryClient {
  const { store, offline } = options;
  const now = options.now ?? Date.now;
  const defaultMaxAge = options.defaultMaxAgeMs ?? 60_000;
  const counts = new Map<string, { hits: number; misses: number }>();
  const sources = new Map<string, DigestSource>();
  const count = (repo: ImageRepository, hit: boolean): void => {
    const key = repoName(repo);
    const entry = counts.get(key) ?? { hits: 0, misses: 0 };
    if (hit) entry.hits++;
    else entry.misses++;
    counts.set(key, entry);
  };
  const answered = <T>(repo: ImageRepository, value: T, hit: boolean, tag?: string): T => {
    if (store) count(repo, hit);
    if (tag !== undefined) sources.set(`${repoName(repo)}:${tag}`, hit ? 'cache' : 'registry');
    return value;
  };

  const listTags = async (repo: ImageRepository, maxAgeMs: number): Promise<string[]> => {
    const key = `tags ${repoName(repo)}`;
    const cached = await store?.read<CachedTags>(key);
    const usable = cached && Array.isArray(cached.value.tags) ? cached : undefined;
    if (offline) {
      if (usable) return answered(repo, [...usable.value.tags], true);
      throw offlineMiss(repo, `the tag list of ${repo.written}`);
    }
    if (usable && now() - usable.storedAt < maxAgeMs) return answered(repo, [...usable.value.tags], true);
    // The inner client lists a repository once per run, so a second refresh in one run is free.
    const tags = await inner.listTags(repo);
    await store?.write<CachedTags>(key, { tags });
    return answered(repo, tags, false);
  };

  const resolveDigest = async (repo: ImageRepository, tag: string, mutable: boolean): Promise<string> => {
    const key = `digest ${repoName(repo)}:${tag}`;
    const cached = await store?.read<CachedDigest>(key);
    const usable = cached && typeof cached.value.digest === 'string' ? cached.value : undefined;
    if (offline) {
      if (usable) return answered(repo, usable.digest, true, tag);
      throw offlineMiss(repo, `the digest of ${repo.written}:${tag}`);
    }
    if (usable && !mutable) return answered(repo, usable.digest, true, tag);
    const found: DigestLookup = await inner.lookupDigest(repo, tag, usable?.etag ? { ifNoneMatch: usable.etag } : {});
    // A 304 costs a request but no body: the cache's copy answered.
    if (found.notModified) return answered(repo, usable!.digest, true, tag);
    await store?.write<CachedDigest>(key, { digest: found.digest, ...(found.etag ? { etag: found.etag } : {}) });
    return answered(repo, found.digest, false, tag);
  };

  const imageFacts = async (repo: ImageRepository, digest: string, needs: ImageFactNeeds | undefined): Promise<ImageFacts> => {
    const key = `facts ${repoName(repo)}@${digest}`;
    const cached = await store?.read<ImageFacts>(key);
    let facts = cached && isImageFacts(cached.value, digest) ? cached.value : undefined;
    const hit = facts !== undefined;
    if (!facts) {
      if (offline) throw offlineMiss(repo, `the manifest ${digest} of ${repo.written}`);
      facts = await inner.imageFacts(repo, digest);
      await store?.write<ImageFacts>(key, facts);
    }
    if (needs?.created && !createdSettled(facts)) {
      // The platform image's own facts are kept under its digest, so another index sharing it reads them.
      const settled = await withConfigCreated(facts, (image) => imageFacts(repo, image, undefined));
      if (settled !== facts) await store?.write<ImageFacts>(key, settled);
      facts = settled;
    }
    return answered(repo, copyFacts(facts), hit);
  };

  const aliasKey = (repo: ImageRepository, rolling: string) => `alias ${repoName(repo)}:${rolling}`;
  const recallAlias = async (repo: ImageRepository, rolling: string): Promise<AliasMemory | undefined> => {
    const value = (await store?.read<AliasMemory>(aliasKey(repo, rolling)))?.value;
    const valid =
      value &&
      Array.isArray(value.answers) &&
      value.answers.every((a) => typeof a?.digest === 'string' && typeof a?.tag === 'string') &&
      Array.isArray(value.listed) &&
      value.listed.every((t) => typeof t === 'string');
    return valid ? { answers: value.answers.map((a) => ({ ...a })), listed: [...value.listed] } : undefined;
  };

  const fetchManifest = async (repo: ImageRepository, reference: string): Promise<FetchedManifest | undefined> => {
    const byDigest = reference.includes(':');
    const key = `manifest ${repoName(repo)}@${reference}`;
    if (byDigest) {
      const cached = await store?.read<{ mediaType?: string; bytes: string }>(key);
      if (cached && typeof cached.value.bytes === 'string') {
        const { mediaType } = cached.value;
        return { digest: reference, ...(typeof mediaType === 'string' ? { mediaType } : {}), bytes: Buffer.from(cached.value.bytes, 'base64') };
      }
    }
    if (offline) throw offlineMiss(repo, `the manifest ${reference} of ${repo.written}`);
    const found = await inner.fetchManifest(repo, reference);
    if (found && byDigest) await store?.write(key, { ...(found.mediaType ? { mediaType: found.mediaType } : {}), bytes: found.bytes.toString('base64') });
    return found;
  };

  const fetchBlob = async (repo: ImageRepository, digest: string): Promise<Buffer> => {
    const key = `blob ${repoName(repo)}@${digest}`;
    const cached = await store?.read<string>(key);
    if (cached && typeof cached.value === 'string') return Buffer.from(cached.value, 'base64');
    if (offline) throw offlineMiss(repo, `the blob ${digest} of ${repo.written}`);
    const bytes = await inner.fetchBlob(repo, digest);
    await store?.write(key, bytes.toString('base64'));
    return bytes;
  };

  const recallVerification = async (key: string): Promise<VerificationRecord | undefined> => {
    const cached = await store?.read<VerificationRecord>(`verified ${key}`);
    const value = cached?.value;
    return value && typeof value.by === 'string' && typeof value.source === 'string' ? value : undefined;
  };

  // One run, one answer per tag, however many markers ask.
  return memoizeDigests({
    listTags: (repo, hints) => listTags(repo, hints?.maxAgeMs ?? defaultMaxAge),
    resolveDigest: (repo, tag, hints) => resolveDigest(repo, tag, hints?.mutable ?? true),
    lookupDigest: (repo, tag, opts) => {
      if (offline) return Promise.reject(offlineMiss(repo, `the digest of ${repo.written}:${tag}`));
      return inner.lookupDigest(repo, tag, opts);
    },
    getJson: (repo, path, opts) => {
      if (offline) return Promise.reject(offlineMiss(repo, `GET ${path} on ${repo.apiHost}`));
      return inner.getJson(repo, path, opts);
    },
    imageFacts: (repo, digest, needs) => imageFacts(repo, digest, needs),
    recallAlias,
    rememberAlias: async (repo, rolling, memory) => {
      if (store) await store.write<AliasMemory>(aliasKey(repo, rolling), memory);
    },
    fetchManifest,
    fetchBlob,
    recallVerification,
    keepVerification: async (key, record) => store?.write(`verified ${key}`, record),
    notices: () => inner.notices(),
    requestCount: () => inner.requestCount(),
    usage: (repo) => ({ ...inner.usage(repo), cache: { ...(counts.get(repoName(repo)) ?? { hits: 0, misses: 0 }) } }),
    digestSource: (repo, tag) => sources.get(`${repoName(repo)}:${tag}`) ?? inner.digestSource(repo, tag),
    close: () => inner.close(),
  });
}
