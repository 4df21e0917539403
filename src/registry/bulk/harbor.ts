import type { ImageRepository } from '../types.js';
import { asArray, asObject, asString } from './pages.js';
import { rfc3339Time, type PushTimeSink } from './push-times.js';
import { BulkApiError, type BulkTagSource, type JsonGetter } from './types.js';

const API = 'Harbor artifact API';

/**
 * Harbor answers "which tags does this artifact carry" in one request. Its API wants the
 * repository path below the project with `/` encoded twice (`a/b` → `a%252Fb`).
 */
export function harborTagSource(http: JsonGetter, options: { pushTimes?: PushTimeSink } = {}): BulkTagSource {
  return {
    api: API,
    async tagsAt(repo: ImageRepository, digest: string) {
      const [project, ...rest] = repo.repository.split('/');
      const name = encodeURIComponent(encodeURIComponent(rest.join('/')));
      const path = `/api/v2.0/projects/${encodeURIComponent(project ?? '')}/repositories/${name}/artifacts/${digest}?with_tag=true`;
      const response = await http.getJson(repo, path);
      if (response.status !== 200) throw new BulkApiError(`${API}: GET ${path} answered ${response.status}`);
      const artifact = asObject(response.body, API, 'the artifact');
      const tags = asArray(artifact.tags ?? [], API, '"tags"').map((entry) => asObject(entry, API, 'a tag'));
      return tags.map((tag) => {
        const name = asString(tag.name, API, 'a tag name');
        // Asked by digest, so every tag listed is at `digest`.
        options.pushTimes?.record(repo, name, digest, harborPushTime(artifact, tag));
        return name;
      });
    },
  };
}

/**
 * The artifact's `push_time`, else the tag's own `push_time`; RFC 3339 (`2024-06-06T13:33:00.123Z`).
 * Source: Harbor API v2.0 (swagger.yaml `Artifact` and `Tag` definitions: `push_time`, "The push
 * time of the artifact" / "of the tag", string date-time; `pull_time` is the last pull).
 */
export function harborPushTime(artifact: Record<string, unknown>, tag: Record<string, unknown>): number | undefined {
  return rfc3339Time(artifact.push_time) ?? rfc3339Time(tag.push_time);
}

/**
 * Harbor runs on any host name, so it is recognised by asking: its `systeminfo` answers anonymous
 * callers with the auth mode; a plain distribution registry answers 404.
 */
export async function isHarbor(http: JsonGetter, repo: ImageRepository): Promise<boolean> {
  try {
    const response = await http.getJson(repo, '/api/v2.0/systeminfo');
    const body = response.body;
    return response.status === 200 && body !== null && typeof body === 'object' && typeof (body as { auth_mode?: unknown }).auth_mode === 'string';
  } catch {
    return false;
  }
}
