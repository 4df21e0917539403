import type { ImageRepository, RegistryClient } from '../types.js';

/**
 * The one capability vendor adapters need: a JSON GET on a repository's API host, with the same
 * auth, retries and caps as the distribution calls. The registry client provides it as
 * `getJson`; adapters depend on this shape only, so any client (or a test's) can serve them.
 */
export type JsonGetter = Pick<RegistryClient, 'getJson'>;

/**
 * A vendor API that answers "which tags point at this digest" without one HEAD per tag.
 * Digests are top-level manifest digests (an index is one image), as HEAD returns them.
 */
export interface BulkTagSource {
  /** Names the vendor API in notices, e.g. `Quay tag API`. */
  readonly api: string;
  tagsAt(repo: ImageRepository, digest: string): Promise<string[]>;
}

/** A vendor API answered something other than what its documentation promises. */
export class BulkApiError extends Error {
  override name = 'BulkApiError';
  constructor(
    message: string,
    /** The HTTP status that made the answer unusable, when it was one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * The listing cannot be asked at all (no token for an API that refuses anonymous callers, no
 * cloud credentials): not a failure, so no notice; the HEAD-per-tag search answers.
 */
export class BulkUnavailableError extends Error {
  override name = 'BulkUnavailableError';
}
