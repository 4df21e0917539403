import type { ImageRepository } from '../types.js';
import { asArray, asObject, collectPages, namesAt } from './pages.js';
import { epochSecondsTime, type PushTimeSink } from './push-times.js';
import type { BulkTagSource, JsonGetter } from './types.js';

const API = 'Quay tag API';

/** Quay's tag API returns each active tag's `manifest_digest`, 100 per page. */
export function quayTagSource(http: JsonGetter, options: { pushTimes?: PushTimeSink } = {}): BulkTagSource {
  return {
    api: API,
    async tagsAt(repo: ImageRepository, digest: string) {
      const pagePath = (page: number) => `/api/v1/repository/${repo.repository}/tag/?onlyActiveTags=true&limit=100&page=${page}`;
      let page = 1;
      const tags = await collectPages(http, repo, API, pagePath(page), (response) => {
        const body = asObject(response.body, API, 'the answer');
        const items = asArray(body.tags, API, '"tags"').map((entry) => asObject(entry, API, 'a tag'));
        return { items, next: body.has_additional === true ? pagePath(++page) : undefined };
      });
      for (const tag of tags) {
        if (typeof tag.name === 'string' && typeof tag.manifest_digest === 'string') options.pushTimes?.record(repo, tag.name, tag.manifest_digest, quayPushTime(tag));
      }
      return namesAt(tags, 'manifest_digest', digest);
    },
  };
}

/**
 * A tag's `start_ts`, epoch seconds: when the tag started pointing at its `manifest_digest` (a
 * retag starts a new span). Source: Red Hat Quay "Use Red Hat Quay", 8.10 "Viewing tag history
 * by using the API" (`GET /api/v1/repository/{repository}/tag/`, e.g. `"start_ts": 1717680780`).
 * `last_modified` says the same in RFC 2822 words, which Date.parse reads too loosely to trust.
 */
export function quayPushTime(tag: Record<string, unknown>): number | undefined {
  return epochSecondsTime(tag.start_ts);
}
