import type { ImageRepository } from '../types.js';

/**
 * Push times a vendor listing gave while answering: per repository, tag → the digest the tag was
 * listed at and when it was pushed there (epoch ms). Adapters record only what a listing they
 * fetched anyway carries; nothing is asked for a time alone. A time is a listing's word about a
 * tag, so it is read back only for the digest it was listed with (a vendor index can lag the
 * registry), and it lives as long as this object: one alias search, never the cache.
 */
export class PushTimes {
  readonly #byRepository = new Map<string, Map<string, { digest: string; at: number }>>();

  /** Keeps `at` for `tag` at `digest`; an absent time (the listing had none, or garbage) is no record. */
  record(repo: ImageRepository, tag: string, digest: string, at: number | undefined): void {
    if (at === undefined) return;
    const key = repositoryKey(repo);
    let tags = this.#byRepository.get(key);
    if (!tags) this.#byRepository.set(key, (tags = new Map()));
    tags.set(tag, { digest, at });
  }

  /** When `tag` was pushed, if a listing said so with `tag` at `digest`. */
  pushedAt(repo: ImageRepository, tag: string, digest: string): number | undefined {
    const seen = this.#byRepository.get(repositoryKey(repo))?.get(tag);
    return seen?.digest === digest ? seen.at : undefined;
  }
}

/** Where adapters record; `undefined` means no one asked. */
export type PushTimeSink = Pick<PushTimes, 'record'>;

// The registry, not the API host: Docker Hub's listing lives on another host than its manifests.
const repositoryKey = (repo: ImageRepository): string => `${repo.registry}/${repo.repository}`;

// RFC 3339 as vendors write it: any number of fractional digits (Docker Hub 6, ACR 7), Z or an offset.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** An RFC 3339 time (`2024-06-06T13:33:00.123456Z`) in epoch ms; anything else is no time. */
export function rfc3339Time(value: unknown): number | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

/** Whole or fractional epoch seconds as a JSON number (`1717680780`) in epoch ms; anything else is no time. */
export function epochSecondsTime(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
}

/** Epoch ms as a decimal string (`"1700000000000"`, Google's int64-as-string) or a JSON number. */
export function epochMsTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return undefined;
  return Number(value);
}
