import type { Dispatcher } from 'undici';

/**
 * A request sent on a registry's behalf to another host (its token realm) carries the registry's
 * host here, so the base dispatcher connects with that registry's TLS settings (its private CA,
 * its client certificate) and timeout. Docker and Flux do the same: the token request goes
 * through the registry's transport. Credentials are a separate matter, decided per host by the
 * auth interceptor.
 */
export interface OnBehalfOf {
  onBehalfOf?: string;
}

export type OnBehalfOfOptions = Dispatcher.DispatchOptions & OnBehalfOf;

/** The host whose TLS profile a request uses: the registry it was sent for, else its own origin's. */
export function connectionHostOf(opts: OnBehalfOfOptions): string {
  return opts.onBehalfOf ?? new URL(String(opts.origin)).host;
}
