/**
 * Counts requests that reach the network (retries, redirects and token fetches included), so
 * callers and tests can see what a run really cost against registry rate limits.
 */
import type { Interceptor } from './handler.js';

export interface RequestCounter {
  count: number;
}

export function countingInterceptor(counter: RequestCounter): Interceptor {
  return (dispatch) => (opts, handler) => {
    counter.count++;
    return dispatch(opts, handler);
  };
}
