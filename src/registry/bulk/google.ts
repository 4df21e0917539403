import type { ImageRepository } from '../types.js';
import { asArray, asObject, asString, collectPages, linkNext } from './pages.js';
import { epochMsTime, type PushTimeSink } from './push-times.js';
import type { BulkTagSource, JsonGetter } from './types.js';

const API = 'Google tags/list manifest map';

/**
 * gcr.io and Artifact Registry extend the distribution `tags/list` answer with a `manifest` map,
 * `digest → {tag: [...], timeUploadedMs, …}`: every tag's digest for the price of the tag list.
 */
export function googleTagSource(http: JsonGetter, options: { pushTimes?: PushTimeSink } = {}): BulkTagSource {
  return {
    api: API,
    async tagsAt(repo: ImageRepository, digest: string) {
      const entries = await collectPages(http, repo, API, `/v2/${repo.repository}/tags/list`, (response) => {
        const manifests = asObject(asObject(response.body, API, 'the answer').manifest, API, '"manifest"');
        const items = Object.entries(manifests).map(([key, value]) => {
          const info = asObject(value, API, `manifest[${key}]`);
          const tags = asArray(info.tag ?? [], API, `manifest[${key}].tag`).map((tag) => asString(tag, API, 'a tag'));
          for (const tag of tags) options.pushTimes?.record(repo, tag, key, googlePushTime(info));
          return { digest: key, tags };
        });
        return { items, next: linkNext(response) };
      });
      return entries.filter((entry) => entry.digest === digest).flatMap((entry) => entry.tags);
    },
  };
}

/**
 * A manifest entry's `timeUploadedMs`, epoch ms as a decimal string: when this digest was uploaded,
 * for every tag on it. `timeCreatedMs` is the config's time (often 0 for reproducible builds), so
 * it is not a push time. Source: the gcr.io `tags/list` extension as go-containerregistry reads it
 * (`pkg/v1/google` `ManifestInfo`: `timeCreatedMs`, `timeUploadedMs`, strings parsed as int64 ms);
 * Artifact Registry's REST `DockerImage.uploadTime` is the same fact.
 */
export function googlePushTime(info: Record<string, unknown>): number | undefined {
  return epochMsTime(info.timeUploadedMs);
}
