import type { ImageRepository } from '../types.js';
import { asArray, asObject, collectPages, linkNext, namesAt } from './pages.js';
import { rfc3339Time, type PushTimeSink } from './push-times.js';
import type { BulkTagSource, JsonGetter } from './types.js';

const API = 'GitLab registry tags API';

/**
 * The GitLab container registry serves an API of its own beside /v2/, on the registry host and
 * behind the same bearer token (pull scope): `tags/list` there gives every tag with its digest,
 * up to 1000 a page, `Link` (with a `last` marker) for more. Trailing slash included: the API
 * redirects paths without one. It needs the registry's metadata database, so a self-managed
 * registry without it answers 404 and the search asks tag by tag.
 */
export function gitlabTagSource(http: JsonGetter, options: { pushTimes?: PushTimeSink } = {}): BulkTagSource {
  return {
    api: API,
    async tagsAt(repo: ImageRepository, digest: string) {
      const path = `/gitlab/v1/repositories/${repo.repository}/tags/list/?n=1000`;
      const tags = await collectPages(http, repo, API, path, (response) => ({
        items: asArray(response.body, API, 'the answer').map((entry) => asObject(entry, API, 'a tag')),
        next: linkNext(response),
      }));
      for (const tag of tags) {
        if (typeof tag.name === 'string' && typeof tag.digest === 'string') options.pushTimes?.record(repo, tag.name, tag.digest, gitlabPushTime(tag));
      }
      return namesAt(tags, 'digest', digest);
    },
  };
}

/**
 * A tag's `published_at`: the latest time it was created or updated (moved), ISO 8601 with
 * milliseconds (`2023-05-01T00:00:01.000Z`). Source: GitLab container registry, "GitLab Container
 * Registry HTTP API V1" (gitlab-org/container-registry `docs-gitlab/api.md`, "List Repository
 * Tags"), beside `created_at` (first push of the tag) and `updated_at` (absent until it moved).
 */
export function gitlabPushTime(tag: Record<string, unknown>): number | undefined {
  return rfc3339Time(tag.published_at);
}

/**
 * Self-managed GitLab registries run on any host name: the API's compliance check `GET
 * /gitlab/v1/` answers 200 (after the usual token challenge) where it is served.
 */
export async function isGitLabRegistry(http: JsonGetter, repo: ImageRepository): Promise<boolean> {
  try {
    return (await http.getJson(repo, '/gitlab/v1/')).status === 200;
  } catch {
    return false;
  }
}
