import { optionalParts, type RegistryPort } from './registry-port.js';

/** Enough for a large package with a few alias searches; small against Docker Hub's 100 pulls / 6 h. */
export const DEFAULT_REQUEST_BUDGET = 500;

export class RequestBudgetError extends Error {
  override name = 'RequestBudgetError';
}

/**
 * Wraps a run's registry so no call starts once `budget` network requests have been sent: a
 * repository with thousands of tags then ends in a clear error instead of a rate-limit ban.
 * The registry's own `requestCount()` is the meter (cache hits are free, retries and token
 * fetches are not); a registry without one is charged one request per call.
 */
export function withRequestBudget(registry: RegistryPort, budget: number = DEFAULT_REQUEST_BUDGET): RegistryPort {
  let calls = 0;
  const spent = (): number => registry.requestCount?.() ?? calls;
  const metered = <T>(call: () => Promise<T>): Promise<T> => {
    const used = spent();
    if (used >= budget) {
      return Promise.reject(
        new RequestBudgetError(
          `stopped after ${used} registry requests, the run's budget (spec.requestBudget: ${budget}); ` +
            'each candidate tag whose digest is not cached costs a request: narrow the candidates with a tighter filterTags pattern, or raise spec.requestBudget',
        ),
      );
    }
    calls++;
    return call();
  };
  const { getJson, imageFacts, fetchManifest, fetchBlob } = registry;
  return {
    ...optionalParts(registry),
    listTags: (repo, hints) => metered(() => registry.listTags(repo, hints)),
    resolveDigest: (repo, tag, hints) => metered(() => registry.resolveDigest(repo, tag, hints)),
    ...(getJson ? { getJson: (repo, path, options) => metered(() => getJson.call(registry, repo, path, options)) } : {}),
    ...(imageFacts ? { imageFacts: (repo, digest, needs) => metered(() => imageFacts.call(registry, repo, digest, needs)) } : {}),
    ...(fetchManifest ? { fetchManifest: (repo, reference) => metered(() => fetchManifest.call(registry, repo, reference)) } : {}),
    ...(fetchBlob ? { fetchBlob: (repo, digest) => metered(() => fetchBlob.call(registry, repo, digest)) } : {}),
  };
}
