/**
 * Follows redirects for reads: registries send manifest and blob GETs to CDNs or storage
 * buckets. The registry's `Authorization` is meant for the registry only, so it is dropped as soon
 * as a hop leaves the original origin (another port is another origin) and never restored.
 * Other methods get the 3xx as is: replaying a push elsewhere is not ours to decide.
 */
import { Downstream, headerValue, headersToObject, originOf, type Interceptor } from './handler.js';

export interface RedirectOptions {
  /** Default 5, like most registry clients; a loop fails rather than spinning. */
  maxRedirects?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export class RedirectError extends Error {
  override name = 'RedirectError';
}

export function redirectInterceptor(options: RedirectOptions = {}): Interceptor {
  const max = options.maxRedirects ?? 5;
  return (dispatch) => (opts, handler) => {
    if (opts.method !== 'GET' && opts.method !== 'HEAD') return dispatch(opts, handler);
    const down = new Downstream(handler);
    const firstOrigin = originOf(opts);
    void (async () => {
      let current = opts;
      for (let hop = 0; ; hop++) {
        const outcome = await down.attempt(dispatch, current, (status, headers) => REDIRECT_STATUSES.has(status) && headerValue(headers, 'location') !== undefined);
        if (outcome.kind === 'forwarded') return;
        if (outcome.kind === 'error') return down.fail(outcome.error);
        const from = new URL(current.path, String(current.origin));
        const location = headerValue(outcome.response.headers, 'location')!;
        let next: URL;
        try {
          next = new URL(location, from);
        } catch {
          return down.fail(new RedirectError(`redirect from ${from.origin}${from.pathname} to an invalid Location`));
        }
        if (next.protocol !== 'https:' && next.protocol !== 'http:') {
          return down.fail(new RedirectError(`redirect from ${from.origin}${from.pathname} to unsupported scheme ${next.protocol}`));
        }
        if (hop >= max) {
          // Only origin and path: a CDN Location's query is often a signature.
          return down.fail(new RedirectError(`more than ${max} redirects (last to ${next.origin}${next.pathname})`));
        }
        const headers = headersToObject(current.headers);
        if (next.origin !== firstOrigin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
        current = { ...current, origin: next.origin, path: `${next.pathname}${next.search}`, headers };
      }
    })().catch((error: Error) => down.fail(error));
    return true;
  };
}
