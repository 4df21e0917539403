/**
 * Plumbing shared by the interceptors: each of them may send a request several times (retry,
 * re-authenticate, follow a redirect) but the caller's handler must see exactly one response.
 * {@link Downstream} owns the caller's handler; each upstream attempt either gets forwarded to it
 * or is "held" (buffered, small: registry error bodies) for the interceptor to decide on.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { OnBehalfOfOptions } from './tls-host.js';

export { headerValue, headerValues } from '../http-headers.js';

export type Dispatch = Dispatcher.Dispatch;
export type DispatchOptions = Dispatcher.DispatchOptions;
export type DispatchHandler = Dispatcher.DispatchHandler;
export type Interceptor = Dispatcher.DispatcherComposeInterceptor;

export interface HeldResponse {
  statusCode: number;
  statusMessage?: string;
  headers: IncomingHttpHeaders;
  /** Up to {@link HOLD_LIMIT} bytes of the body; the rest is drained and dropped. */
  body: Buffer;
}

export type Outcome =
  | { kind: 'forwarded' }
  | { kind: 'held'; response: HeldResponse }
  | { kind: 'error'; error: Error };

/** Held bodies are error documents, challenges or redirects; anything larger is not worth keeping. */
export const HOLD_LIMIT = 64 * 1024;

/** Lower-cased plain-object view of undici's several header shapes. */
export function headersToObject(headers: DispatchOptions['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  const put = (k: string, v: unknown) => {
    if (v === undefined || v === null) return;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  };
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) put(headers[i]!, headers[i + 1]);
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of headers as Iterable<[string, unknown]>) put(k, v);
  } else {
    for (const [k, v] of Object.entries(headers)) put(k, v);
  }
  return out;
}

/** A handler that passes every callback on to `handler`, except those `overrides` replace. */
export function forwardingHandler(handler: DispatchHandler, overrides: Partial<DispatchHandler>): DispatchHandler {
  return {
    onRequestStart: (c, ctx) => handler.onRequestStart?.(c, ctx),
    onRequestUpgrade: (c, status, headers, socket) => handler.onRequestUpgrade?.(c, status, headers, socket),
    onResponseStart: (c, status, headers, message) => handler.onResponseStart?.(c, status, headers, message),
    onResponseData: (c, chunk) => handler.onResponseData?.(c, chunk),
    onResponseEnd: (c, trailers) => handler.onResponseEnd?.(c, trailers),
    onResponseError: (c, error) => handler.onResponseError?.(c, error),
    ...overrides,
  };
}

export function originOf(opts: DispatchOptions): string {
  if (!opts.origin) throw new Error('registry transport: request without origin');
  return new URL(String(opts.origin)).origin;
}

/** A body can be sent again only if it is not a stream. */
export function isReplayable(opts: DispatchOptions): boolean {
  const b = opts.body;
  return b === undefined || b === null || typeof b === 'string' || b instanceof Uint8Array;
}

/**
 * The caller's side of a request that an interceptor may send upstream several times.
 * Construct it synchronously in the interceptor's dispatch so the caller gets its controller
 * (and can abort) before any asynchronous work starts.
 */
export class Downstream {
  readonly controller: Dispatcher.DispatchController;
  #handler: DispatchHandler;
  /** The upstream attempt in flight, if any. */
  #current: Dispatcher.DispatchController | undefined;
  #aborted = false;
  #reason: Error | null = null;
  #finished = false;
  readonly #abortSignal = new AbortController();

  constructor(handler: DispatchHandler) {
    this.#handler = handler;
    const self = this;
    this.controller = {
      get aborted() {
        return self.#aborted;
      },
      get paused() {
        return self.#current?.paused ?? false;
      },
      get reason() {
        return self.#reason;
      },
      abort(reason: Error) {
        if (self.#aborted) return;
        self.#aborted = true;
        self.#reason = reason;
        self.#abortSignal.abort(reason);
        // Between attempts (a backoff, a token fetch, a queue slot) nothing upstream would ever
        // report the abort: the caller's deadline must end the request now, not after the wait.
        if (self.#current) self.#current.abort(reason);
        else self.fail(reason);
      },
      pause() {
        self.#current?.pause();
      },
      resume() {
        self.#current?.resume();
      },
    };
    handler.onRequestStart?.(this.controller, {});
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** Aborted with the caller: for waits between attempts. */
  get signal(): AbortSignal {
    return this.#abortSignal.signal;
  }

  /**
   * Sends `opts` once. When `hold(status, headers)` is true the response is buffered and returned
   * instead of reaching the caller; otherwise it streams straight to the caller. Connection errors
   * before a forwarded response are returned, not delivered, so the interceptor can retry them.
   */
  attempt(dispatch: Dispatch, opts: DispatchOptions, hold: (statusCode: number, headers: IncomingHttpHeaders) => boolean): Promise<Outcome> {
    if (this.#aborted) return Promise.resolve({ kind: 'error', error: this.#reason ?? new Error('aborted') });
    return new Promise<Outcome>((settle) => {
      let controller: Dispatcher.DispatchController | undefined;
      const resolve = (outcome: Outcome) => {
        if (this.#current === controller) this.#current = undefined;
        settle(outcome);
      };
      let mode: 'pending' | 'hold' | 'forward' = 'pending';
      let held: HeldResponse | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      const upstream: DispatchHandler = {
        onRequestStart: (upstreamController) => {
          controller = upstreamController;
          this.#current = upstreamController;
          if (this.#aborted) upstreamController.abort(this.#reason ?? new Error('aborted'));
        },
        onResponseStart: (_c, statusCode, headers, statusMessage) => {
          if (hold(statusCode, headers)) {
            mode = 'hold';
            held = { statusCode, headers, body: Buffer.alloc(0), ...(statusMessage ? { statusMessage } : {}) };
          } else {
            mode = 'forward';
            this.#handler.onResponseStart?.(this.controller, statusCode, headers, statusMessage);
          }
        },
        onResponseData: (_c, chunk) => {
          if (mode === 'forward') return this.#handler.onResponseData?.(this.controller, chunk);
          if (size < HOLD_LIMIT) chunks.push(chunk);
          size += chunk.length;
        },
        onResponseEnd: (_c, trailers) => {
          if (mode === 'forward') {
            this.#finished = true;
            this.#handler.onResponseEnd?.(this.controller, trailers);
            return resolve({ kind: 'forwarded' });
          }
          held!.body = Buffer.concat(chunks).subarray(0, HOLD_LIMIT);
          resolve({ kind: 'held', response: held! });
        },
        onResponseError: (_c, error) => {
          if (mode === 'forward') {
            this.fail(error);
            return resolve({ kind: 'forwarded' });
          }
          resolve({ kind: 'error', error });
        },
      };
      try {
        dispatch(opts, upstream);
      } catch (error) {
        resolve({ kind: 'error', error: error as Error });
      }
    });
  }

  /** Delivers a response an interceptor held but cannot improve on. */
  replay(response: HeldResponse): void {
    if (this.#finished) return;
    this.#finished = true;
    const h = this.#handler;
    h.onResponseStart?.(this.controller, response.statusCode, response.headers, response.statusMessage);
    if (response.body.length > 0) h.onResponseData?.(this.controller, response.body);
    h.onResponseEnd?.(this.controller, {});
  }

  fail(error: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#handler.onResponseError?.(this.controller, error);
  }
}

/**
 * Sends a request through `dispatch` and buffers the whole (small) response. For requests an
 * interceptor makes on its own behalf, such as token fetches.
 */
export function bufferedDispatch(dispatch: Dispatch, opts: OnBehalfOfOptions, limit = 1024 * 1024): Promise<HeldResponse> {
  return new Promise((resolve, reject) => {
    let head: Omit<HeldResponse, 'body'> | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const handler: DispatchHandler = {
      onRequestStart: () => {},
      onResponseStart: (_c, statusCode, headers, statusMessage) => {
        head = { statusCode, headers, ...(statusMessage ? { statusMessage } : {}) };
      },
      onResponseData: (controller, chunk) => {
        size += chunk.length;
        if (size > limit) {
          controller.abort(new Error(`response from ${String(opts.origin)} exceeds ${limit} bytes`));
          return;
        }
        chunks.push(chunk);
      },
      onResponseEnd: () => resolve({ ...head!, body: Buffer.concat(chunks) }),
      onResponseError: (_c, error) => reject(error),
    };
    try {
      dispatch(opts, handler);
    } catch (error) {
      reject(error as Error);
    }
  });
}

/** Resolves after `ms`, or at once when `signal` aborts (the timer is cleared, so it holds no process open). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
