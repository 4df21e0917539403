/**
 * Counts requests that reach the network (retries, redirects and token fetches included), so
 * callers and tests can see what a run really cost against registry rate limits, in all and per
 * repository (a request says which one it is for in `countAs`).
 */
import type { DispatchOptions, Interceptor } from './handler.js';

export interface RequestCounter {
  count: number;
  /** Requests per `registry/repository`, for those that named one. */
  byRepository?: Map<string, number>;
}

/** A request's repository, as `registry/repository`, carried down the stack with it. */
export type CountedDispatchOptions = DispatchOptions & { countAs?: string };

export function countingInterceptor(counter: RequestCounter): Interceptor {
  return (dispatch) => (opts, handler) => {
    counter.count++;
    const key = (opts as CountedDispatchOptions).countAs;
    if (key !== undefined && counter.byRepository) counter.byRepository.set(key, (counter.byRepository.get(key) ?? 0) + 1);
    return dispatch(opts, handler);
  };
}
