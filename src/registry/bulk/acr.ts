import type { ImageRepository } from '../types.js';
import { asArray, asObject, collectPages, linkNext, namesAt } from './pages.js';
import type { BulkTagSource, JsonGetter } from './types.js';

const API = 'ACR tag API';

/** Azure Container Registry filters its tag listing by digest on the server. */
export function acrTagSource(http: JsonGetter): BulkTagSource {
  return {
    api: API,
    async tagsAt(repo: ImageRepository, digest: string) {
      const path = `/acr/v1/${repo.repository}/_tags?digest=${encodeURIComponent(digest)}`;
      const tags = await collectPages(http, repo, API, path, (response) => {
        const body = asObject(response.body, API, 'the answer');
        return { items: asArray(body.tags ?? [], API, '"tags"').map((entry) => asObject(entry, API, 'a tag')), next: linkNext(response) };
      });
      // The filter is the server's; checking the digest again costs nothing and guards an ignored query.
      return namesAt(tags, 'digest', digest);
    },
  };
}
