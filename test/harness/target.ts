import type { Dispatcher } from 'undici';

/**
 * Anything the harness can push to: a {@link RunningRegistry}, a {@link RunningProxy} in front of
 * one, or a hand-built `{ url }`.
 */
export interface RegistryTarget {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:5000`. */
  url: string;
  /** Dispatcher for TLS targets (trusting the test CA); the global one otherwise. */
  dispatcher?: Dispatcher;
  /**
   * Returns the `Authorization` header value for a scope such as `repository:team/app:pull,push`,
   * or undefined for anonymous access.
   */
  authorize?: (scope: string) => string | undefined | Promise<string | undefined>;
}
