import type { ImageRepository } from '../types.js';
import { asArray, asObject, collectPages, namesAt } from './pages.js';
import { rfc3339Time, type PushTimeSink } from './push-times.js';
import type { BulkTagSource, JsonGetter } from './types.js';

const API = 'Docker Hub tags API';
const DOCKER_HUB_WEB_API_HOST = 'hub.docker.com';

/**
 * Docker Hub's web API lists tags with their digests, 100 per page: a repository of N tags costs
 * N/100 requests instead of N HEADs, and GETs there do not count against the pull rate limit.
 * It lives on another host than the registry API, hence `apiHost`.
 */
export function dockerHubTagSource(http: JsonGetter, options: { apiHost?: string; pushTimes?: PushTimeSink } = {}): BulkTagSource {
  const apiHost = options.apiHost ?? DOCKER_HUB_WEB_API_HOST;
  return {
    api: API,
    async tagsAt(repo: ImageRepository, digest: string) {
      const [namespace, ...rest] = repo.repository.split('/');
      const path = `/v2/namespaces/${encodeURIComponent(namespace ?? '')}/repositories/${encodeURIComponent(rest.join('/'))}/tags?page_size=100`;
      const tags = await collectPages(http, { ...repo, apiHost }, API, path, (response) => {
        const body = asObject(response.body, API, 'the answer');
        const items = asArray(body.results, API, '"results"').map((entry) => asObject(entry, API, 'a result'));
        return { items, next: typeof body.next === 'string' && body.next !== '' ? body.next : undefined };
      });
      for (const tag of tags) {
        if (typeof tag.name === 'string' && typeof tag.digest === 'string') options.pushTimes?.record(repo, tag.name, tag.digest, dockerHubPushTime(tag));
      }
      // Tags without a digest (schema 1 leftovers) cannot match.
      return namesAt(tags, 'digest', digest);
    },
  };
}

/**
 * A result's `tag_last_pushed`, RFC 3339 with microseconds (`2024-06-06T13:33:00.123456Z`): when the
 * tag was last pushed, i.e. got the digest listed beside it. Source: Docker Hub API reference,
 * "List repository tags" (docs.docker.com/reference/api/hub/latest/, docker/docs
 * `docker-hub/api/latest.yaml`), beside `tag_last_pulled` and `last_updated`, which are not pushes.
 */
export function dockerHubPushTime(result: Record<string, unknown>): number | undefined {
  return rfc3339Time(result.tag_last_pushed);
}
