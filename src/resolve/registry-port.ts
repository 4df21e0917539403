import type { RegistryClient } from '../registry/types.js';

/**
 * What the resolver needs from a registry: tags and digests, and optionally the JSON GET that
 * vendor bulk APIs answer alias searches with, the request meter and the notices. Hints let a
 * caching client decide how fresh an answer must be: a tag list may be reused within the policy's
 * interval, a mutable tag (tracked `latest`, `Always` digests) must be asked again.
 *
 * Declared apart from the resolver so its parts (alias search, budget) depend on this port,
 * not on each other.
 */
export type RegistryPort = Pick<RegistryClient, 'listTags' | 'resolveDigest'> &
  Partial<
    Pick<
      RegistryClient,
      'getJson' | 'imageFacts' | 'recallAlias' | 'rememberAlias' | 'fetchManifest' | 'fetchBlob' | 'recallVerification' | 'keepVerification' | 'requestCount' | 'notices' | 'usage' | 'digestSource'
    >
  >;

/** The optional parts of `registry`, bound to it: what a decorator passes through unchanged. */
export function optionalParts(registry: RegistryPort): Partial<RegistryPort> {
  const { getJson, imageFacts, recallAlias, rememberAlias, fetchManifest, fetchBlob, recallVerification, keepVerification, requestCount, notices, usage, digestSource } = registry;
  return {
    ...(usage ? { usage: (repo) => usage.call(registry, repo) } : {}),
    ...(digestSource ? { digestSource: (repo, tag) => digestSource.call(registry, repo, tag) } : {}),
    ...(getJson ? { getJson: (repo, path, options) => getJson.call(registry, repo, path, options) } : {}),
    ...(imageFacts ? { imageFacts: (repo, digest, needs) => imageFacts.call(registry, repo, digest, needs) } : {}),
    ...(recallAlias ? { recallAlias: (repo, rolling) => recallAlias.call(registry, repo, rolling) } : {}),
    ...(rememberAlias ? { rememberAlias: (repo, rolling, memory) => rememberAlias.call(registry, repo, rolling, memory) } : {}),
    ...(fetchManifest ? { fetchManifest: (repo, reference) => fetchManifest.call(registry, repo, reference) } : {}),
    ...(fetchBlob ? { fetchBlob: (repo, digest) => fetchBlob.call(registry, repo, digest) } : {}),
    ...(recallVerification ? { recallVerification: (key) => recallVerification.call(registry, key) } : {}),
    ...(keepVerification ? { keepVerification: (key, record) => keepVerification.call(registry, key, record) } : {}),
    ...(requestCount ? { requestCount: () => requestCount.call(registry) } : {}),
    ...(notices ? { notices: () => notices.call(registry) } : {}),
  };
}
