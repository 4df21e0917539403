import type { ResolverRegistry } from './resolve.js';

/** Enough for a large package with a few alias searches; small against Docker Hub's 100 pulls / 6 h. */
export const DEFAULT_REQUEST_BUDGET = 500;

export class RequestBudgetError extends Error {
  override name = 'RequestBudgetError';
}

/** Registry calls that may reach the network; everything else on the handle passes through. */
const METERED = new Set<PropertyKey>(['listTags', 'resolveDigest', 'getJson']);

/**
 * Wraps a run's registry so no call starts once `budget` network requests have been sent: a
 * repository with thousands of tags then ends in a clear error instead of a rate-limit ban.
 * The handle's own `requestCount()` is the meter (cache hits are free, retries and token fetches
 * are not); a registry without one is charged one request per call.
 */
export function withRequestBudget<R extends ResolverRegistry>(registry: R, budget: number = DEFAULT_REQUEST_BUDGET): R {
  let calls = 0;
  const counted = registry as R & { requestCount?: () => number };
  const spent = (): number => (typeof counted.requestCount === 'function' ? counted.requestCount() : calls);
  return new Proxy(registry, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (!METERED.has(property)) return value.bind(target);
      return (...args: unknown[]) => {
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
        return value.apply(target, args);
      };
    },
  });
}
