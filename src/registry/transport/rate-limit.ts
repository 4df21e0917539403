/**
 * Watches Docker Hub style rate-limit headers (`ratelimit-limit: 100;w=21600`,
 * `ratelimit-remaining: 76;w=21600`) on every response that reaches the network, so a run can warn
 * before the budget is gone and explain a 429 when it is. Other registries that send the same
 * headers get the same treatment.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { forwardingHandler, headerValue, originOf, type Interceptor } from './handler.js';

export interface RateLimitState {
  remaining: number;
  limit?: number;
  /** Length of the window the limit counts over, seconds (`w=`). */
  windowSeconds?: number;
}

/** `76;w=21600` → { value: 76, window: 21600 }; undefined for anything else. */
export function parseRateLimitHeader(value: string | undefined): { value: number; windowSeconds?: number } | undefined {
  if (value === undefined) return undefined;
  const [head, ...params] = value.split(';');
  const n = Number(head!.trim());
  if (head!.trim() === '' || !Number.isInteger(n) || n < 0) return undefined;
  let windowSeconds: number | undefined;
  for (const p of params) {
    const m = /^\s*w\s*=\s*(\d+)\s*$/.exec(p);
    if (m) windowSeconds = Number(m[1]);
  }
  return windowSeconds === undefined ? { value: n } : { value: n, windowSeconds };
}

export function rateLimitFromHeaders(headers: IncomingHttpHeaders): RateLimitState | undefined {
  const remaining = parseRateLimitHeader(headerValue(headers, 'ratelimit-remaining'));
  if (!remaining) return undefined;
  const limit = parseRateLimitHeader(headerValue(headers, 'ratelimit-limit'));
  const windowSeconds = remaining.windowSeconds ?? limit?.windowSeconds;
  return {
    remaining: remaining.value,
    ...(limit ? { limit: limit.value } : {}),
    ...(windowSeconds !== undefined ? { windowSeconds } : {}),
  };
}

/** Low means fewer than 10 left, or under a tenth of the limit. */
export function isLow(state: RateLimitState): boolean {
  return state.remaining < 10 || (state.limit !== undefined && state.limit > 0 && state.remaining < state.limit / 10);
}

/** Remembers the lowest `remaining` seen per origin during the run. */
export class RateLimitTracker {
  readonly #byOrigin = new Map<string, RateLimitState>();

  observe(origin: string, headers: IncomingHttpHeaders): void {
    const state = rateLimitFromHeaders(headers);
    if (!state) return;
    const known = this.#byOrigin.get(origin);
    if (!known || state.remaining <= known.remaining) this.#byOrigin.set(origin, state);
  }

  get(origin: string): RateLimitState | undefined {
    return this.#byOrigin.get(origin);
  }

  entries(): Array<[origin: string, state: RateLimitState]> {
    return [...this.#byOrigin];
  }
}

export function rateLimitInterceptor(tracker: RateLimitTracker): Interceptor {
  return (dispatch) => (opts, handler) => {
    const origin = originOf(opts);
    const observed = forwardingHandler(handler, {
      onResponseStart: (c, status, headers, message) => {
        tracker.observe(origin, headers);
        return handler.onResponseStart?.(c, status, headers, message);
      },
    });
    return dispatch(opts, observed);
  };
}
