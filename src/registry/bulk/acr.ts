import type { ImageRepository } from '../types.js';
import { asArray, asObject, collectPages, linkNext, namesAt } from './pages.js';
import { rfc3339Time, type PushTimeSink } from './push-times.js';
import type { BulkTagSource, JsonGetter } from './types.js';

const API = 'ACR tag API';

/** Azure Container Registry filters its tag listing by digest on the server. */
export function acrTagSource(http: JsonGetter, options: { pushTimes?: PushTimeSink } = {}): BulkTagSource {
  return {
    api: API,
    async tagsAt(repo: ImageRepository, digest: string) {
      const path = `/acr/v1/${repo.repository}/_tags?digest=${encodeURIComponent(digest)}`;
      const tags = await collectPages(http, repo, API, path, (response) => {
        const body = asObject(response.body, API, 'the answer');
        return { items: asArray(body.tags ?? [], API, '"tags"').map((entry) => asObject(entry, API, 'a tag')), next: linkNext(response) };
      });
      for (const tag of tags) {
        if (typeof tag.name === 'string' && typeof tag.digest === 'string') options.pushTimes?.record(repo, tag.name, tag.digest, acrPushTime(tag));
      }
      // The filter is the server's; checking the digest again costs nothing and guards an ignored query.
      return namesAt(tags, 'digest', digest);
    },
  };
}

/**
 * A tag's `lastUpdateTime` (when it last moved, i.e. got its listed digest), else its
 * `createdTime`; RFC 3339 with seven fractional digits (`2018-09-06T06:17:21.0856539Z`). Source:
 * Azure Container Registry REST API, "Tag - Get List" (`GET {url}/acr/v1/{name}/_tags`,
 * learn.microsoft.com/rest/api/containerregistry/tag/get-list).
 */
export function acrPushTime(tag: Record<string, unknown>): number | undefined {
  return rfc3339Time(tag.lastUpdateTime) ?? rfc3339Time(tag.createdTime);
}
