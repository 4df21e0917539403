import type { ImageRepository } from '../types.js';
import { asArray, asObject, asString, collectPages, linkNext } from './pages.js';
import type { BulkTagSource, JsonGetter } from './types.js';

const API = 'Google tags/list manifest map';

/**
 * gcr.io and Artifact Registry extend the distribution `tags/list` answer with a `manifest` map,
 * `digest → {tag: [...], timeUploadedMs, …}`: every tag's digest for the price of the tag list.
 */
export function googleTagSource(http: JsonGetter): BulkTagSource {
  return {
    api: API,
    async tagsAt(repo: ImageRepository, digest: string) {
      const entries = await collectPages(http, repo, API, `/v2/${repo.repository}/tags/list`, (response) => {
        const manifests = asObject(asObject(response.body, API, 'the answer').manifest, API, '"manifest"');
        const items = Object.entries(manifests).map(([key, info]) => ({
          digest: key,
          tags: asArray(asObject(info, API, `manifest[${key}]`).tag ?? [], API, `manifest[${key}].tag`).map((tag) => asString(tag, API, 'a tag')),
        }));
        return { items, next: linkNext(response) };
      });
      return entries.filter((entry) => entry.digest === digest).flatMap((entry) => entry.tags);
    },
  };
}
