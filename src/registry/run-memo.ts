import { copyFacts } from './client/image-facts.js';
import type { ImageFacts, RegistryClient } from './types.js';

/**
 * The run's one tag → digest memo, applied at the top of a registry stack: however many markers,
 * policies and alias searches ask for a tag, it is resolved once (one run, one answer), and
 * concurrent askers share the request. `lookupDigest` stays unmemoized: it is how a cache asks.
 * What a manifest says about its image is asked once per digest the same way.
 */
export function memoizeDigests(client: RegistryClient): RegistryClient {
  const digests = new Map<string, Promise<string>>();
  const facts = new Map<string, Promise<ImageFacts>>();
  return {
    listTags: (repo, hints) => client.listTags(repo, hints),
    resolveDigest(repo, tag, hints) {
      const key = `${repo.registry}/${repo.repository}:${tag}`;
      let pending = digests.get(key);
      if (!pending) digests.set(key, (pending = client.resolveDigest(repo, tag, hints)));
      return pending;
    },
    lookupDigest: (repo, tag, options) => client.lookupDigest(repo, tag, options),
    getJson: (repo, path, options) => client.getJson(repo, path, options),
    imageFacts(repo, digest, needs) {
      const key = `${repo.registry}/${repo.repository}@${digest}${needs?.created ? ' created' : ''}`;
      let pending = facts.get(key);
      if (!pending) facts.set(key, (pending = client.imageFacts(repo, digest, needs)));
      return pending.then(copyFacts);
    },
    recallAlias: (repo, rolling) => client.recallAlias(repo, rolling),
    rememberAlias: (repo, rolling, memory) => client.rememberAlias(repo, rolling, memory),
    // Signature lookups are memoised where they are verified (one verification per digest and key).
    fetchManifest: (repo, reference) => client.fetchManifest(repo, reference),
    fetchBlob: (repo, digest) => client.fetchBlob(repo, digest),
    recallVerification: (key) => client.recallVerification(key),
    keepVerification: (key, record) => client.keepVerification(key, record),
    notices: () => client.notices(),
    requestCount: () => client.requestCount(),
    usage: (repo) => client.usage(repo),
    digestSource: (repo, tag) => client.digestSource(repo, tag),
    close: () => client.close(),
  };
}
