/**
 * Caps in-flight requests per origin. Resolving hundreds of markers fans out into hundreds of
 * HEADs; registries rate-limit (and 2.8 slows down) long before sockets run out, and a cap per
 * origin keeps one slow registry from starving the others.
 */
import { forwardingHandler, originOf, type Interceptor } from './handler.js';

export interface ConcurrencyOptions {
  /** Default 16; a function sets it per origin (`spec.registries[].concurrency`). */
  perOrigin?: number | ((origin: string) => number);
}

class Semaphore {
  #free: number;
  #waiting: Array<() => void> = [];
  constructor(size: number) {
    this.#free = size;
  }
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          const next = this.#waiting.shift();
          if (next) next();
          else this.#free++;
        });
      };
      if (this.#free > 0) {
        this.#free--;
        grant();
      } else this.#waiting.push(grant);
    });
  }
}

export function concurrencyInterceptor(options: ConcurrencyOptions = {}): Interceptor {
  const limit = options.perOrigin ?? 16;
  const sizeFor = (origin: string) => Math.max(1, typeof limit === 'function' ? limit(origin) : limit);
  const semaphores = new Map<string, Semaphore>();
  return (dispatch) => (opts, handler) => {
    const origin = originOf(opts);
    let semaphore = semaphores.get(origin);
    if (!semaphore) semaphores.set(origin, (semaphore = new Semaphore(sizeFor(origin))));
    void semaphore.acquire().then((release) => {
      const wrapped = forwardingHandler(handler, {
        onResponseEnd: (c, t) => {
          release();
          handler.onResponseEnd?.(c, t);
        },
        onResponseError: (c, e) => {
          release();
          handler.onResponseError?.(c, e);
        },
      });
      try {
        dispatch(opts, wrapped);
      } catch (error) {
        release();
        handler.onResponseError?.(
          { aborted: false, paused: false, reason: null, abort() {}, pause() {}, resume() {} },
          error as Error,
        );
      }
    });
    return true;
  };
}
