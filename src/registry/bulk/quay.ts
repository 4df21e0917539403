import type { ImageRepository } from '../types.js';
import { asArray, asObject, collectPages, namesAt } from './pages.js';
import type { BulkTagSource, JsonGetter } from './types.js';

const API = 'Quay tag API';

/** Quay's tag API returns each active tag's `manifest_digest`, 100 per page. */
export function quayTagSource(http: JsonGetter): BulkTagSource {
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
      return namesAt(tags, 'manifest_digest', digest);
    },
  };
}
