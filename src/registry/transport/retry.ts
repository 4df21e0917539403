/**
 * Retries transient failures, like go-containerregistry's retry transport: 408, 429, 500, 502,
 * 503 and 504, and connection-level errors, with exponential backoff and jitter. 501 (Not
 * Implemented) and 505 (HTTP Version Not Supported) describe what the server can do, not a
 * passing moment, so asking again cannot help. `Retry-After` wins over the computed delay, capped
 * so a hostile or confused registry cannot park a run for an hour.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { someCause } from '../errors.js';
import { Downstream, headerValue, isReplayable, sleep, type Interceptor } from './handler.js';

/** Tries per request, the first included (so three retries). */
export const DEFAULT_MAX_ATTEMPTS = 4;

export interface RetryOptions {
  /** Total tries including the first. Default {@link DEFAULT_MAX_ATTEMPTS}. */
  maxAttempts?: number;
  /** First backoff; doubled each time. Default 250 ms. */
  baseDelayMs?: number;
  /** Largest computed backoff. Default 5 s. */
  maxDelayMs?: number;
  /** Largest `Retry-After` honoured; longer waits give up at once. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Injected for tests. The signal aborts with the request: stop waiting then. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

// Connection-level failures worth another try. TLS failures are not: they will not heal, and the
// scheme fallback must see them quickly.
const RETRY_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

// A registry that accepted the connection and then said nothing: asking again once covers a
// dropped packet; asking four times only makes a hook or a render wait minutes for a dead host.
const SILENCE_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
/** Tries a request gets when every one of them ends in silence, the first included. */
export const MAX_SILENT_ATTEMPTS = 2;

export function isSilence(error: unknown): boolean {
  return someCause(error, (e) => typeof e.code === 'string' && SILENCE_CODES.has(e.code));
}

export function isRetriableError(error: unknown): boolean {
  return someCause(error, (e) => typeof e.code === 'string' && RETRY_CODES.has(e.code));
}

/** Milliseconds from a `Retry-After` header (delta-seconds or HTTP-date), or undefined. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function retryInterceptor(options: RetryOptions = {}): Interceptor {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const base = options.baseDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 5000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 60_000;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;

  // Full jitter around the exponential step keeps parallel callers from retrying in lockstep.
  const backoff = (attempt: number) => {
    const step = Math.min(maxDelay, base * 2 ** (attempt - 1));
    return Math.round(step / 2 + random() * (step / 2));
  };

  return (dispatch) => (opts, handler) => {
    const down = new Downstream(handler);
    const canRetry = isReplayable(opts);
    void (async () => {
      let silences = 0;
      for (let attempt = 1; ; attempt++) {
        const last = attempt >= maxAttempts || !canRetry;
        let retryAfter: number | undefined;
        const outcome = await down.attempt(dispatch, opts, (status: number, headers: IncomingHttpHeaders) => {
          if (last || !RETRY_STATUSES.has(status)) return false;
          retryAfter = parseRetryAfter(headerValue(headers, 'retry-after'), now());
          // A registry asking for a longer pause than we are willing to wait gets its answer passed on.
          return retryAfter === undefined || retryAfter <= maxRetryAfter;
        });
        if (outcome.kind === 'forwarded') return;
        if (outcome.kind === 'error') {
          if (isSilence(outcome.error)) silences++;
          if (last || down.aborted || !isRetriableError(outcome.error) || silences >= MAX_SILENT_ATTEMPTS) return down.fail(outcome.error);
          await wait(backoff(attempt), down.signal);
          continue;
        }
        await wait(retryAfter ?? backoff(attempt), down.signal);
        if (down.aborted) return down.replay(outcome.response);
      }
    })().catch((error: Error) => down.fail(error));
    return true;
  };
}
