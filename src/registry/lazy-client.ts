/**
 * The registry client behind a door that opens on the first registry call: createRegistryClient
 * (client.ts) and what it composes, undici with node:http, node:tls and node:http2 under it, cost
 * ~25 ms to load, and a run the cache answers whole (a warm pre-commit hook) makes no request.
 *
 * Until then the client has done nothing, and its synchronous answers are those of a client that
 * has made no request: no notices, no requests, no credentials used, no digest from the registry.
 * Creating the real client cannot fail (its connections are set up per host, on first use), so
 * creating it later changes no outcome, only when its modules load.
 */
import type { RegistryClientOptions } from './client.js';
import type { RegistryClient } from './types.js';

export function createLazyRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  let opened: RegistryClient | undefined;
  let opening: Promise<RegistryClient> | undefined;
  const open = (): Promise<RegistryClient> =>
    (opening ??= import('./client.js').then(({ createRegistryClient }) => (opened = createRegistryClient(options))));

  return {
    listTags: async (...args) => (await open()).listTags(...args),
    resolveDigest: async (...args) => (await open()).resolveDigest(...args),
    lookupDigest: async (...args) => (await open()).lookupDigest(...args),
    getJson: async (...args) => (await open()).getJson(...args),
    imageFacts: async (...args) => (await open()).imageFacts(...args),
    recallAlias: async (...args) => (await open()).recallAlias(...args),
    rememberAlias: async (...args) => (await open()).rememberAlias(...args),
    fetchManifest: async (...args) => (await open()).fetchManifest(...args),
    fetchBlob: async (...args) => (await open()).fetchBlob(...args),
    recallVerification: async (...args) => (await open()).recallVerification(...args),
    keepVerification: async (...args) => (await open()).keepVerification(...args),
    requestCount: () => opened?.requestCount() ?? 0,
    notices: () => opened?.notices() ?? [],
    usage: (repo) => opened?.usage(repo) ?? { requests: 0, cache: { hits: 0, misses: 0 } },
    digestSource: (repo, tag) => opened?.digestSource(repo, tag),
    async close() {
      if (opening !== undefined) await (await opening).close();
    },
  };
}
