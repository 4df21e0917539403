import { NoTokenError } from '../errors.js';
import type { ImageRepository } from '../types.js';
import { asArray, asObject, collectPages, linkNext } from './pages.js';
import { rfc3339Time, type PushTimeSink } from './push-times.js';
import { BulkApiError, BulkUnavailableError, type BulkTagSource, type JsonGetter } from './types.js';

const API = 'GitHub packages API';
const GITHUB_API_HOST = 'api.github.com';

export interface GhcrOptions {
  /** Where GitHub's REST API is served; tests point it at a fake. */
  apiHost?: string;
  /** Where `GITHUB_TOKEN` / `GH_TOKEN` are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  pushTimes?: PushTimeSink;
}

/** Organization, user (public packages), or the token's own user (its private packages too). */
type OwnerKind = 'orgs' | 'users' | 'user';

/**
 * ghcr.io's registry API has nothing beyond tags/list, but GitHub's REST API lists a container
 * package's versions, one per manifest digest with every tag on it, newest first, 100 a page: the
 * digest a rolling tag points at is usually on the first page, and once it is seen no other page
 * can add a tag to it. The API takes a GitHub token, never anonymous callers: `GITHUB_TOKEN` or
 * `GH_TOKEN`, else the password of the user's ghcr.io login (which is a GitHub token). It is sent
 * as this API's own bearer token; the keychain's answer for api.github.com is never asked, and
 * ghcr.io's challenge-driven auth never reaches that host. With no token at all the listing is
 * skipped without a word: it is optional.
 */
export function ghcrTagSource(http: JsonGetter, options: GhcrOptions = {}): BulkTagSource {
  const apiHost = options.apiHost ?? GITHUB_API_HOST;
  const env = options.env ?? process.env;
  // Which of the two owner paths answered, per owner, for this source's later questions.
  const kinds = new Map<string, OwnerKind>();
  return {
    api: API,
    async tagsAt(repo: ImageRepository, digest: string) {
      const [owner, ...rest] = repo.repository.split('/');
      if (!owner || rest.length === 0) throw new BulkApiError(`${API}: ${repo.repository} is not owner/package`);
      const token = env.GITHUB_TOKEN || env.GH_TOKEN;
      const bearer = token ? { token } : { passwordOf: repo.registry };
      // A nested package name keeps its slashes as %2F: it is one path segment to GitHub.
      const package_ = `packages/container/${encodeURIComponent(rest.join('/'))}/versions?per_page=100`;
      const path = (kind: OwnerKind) => (kind === 'user' ? `/user/${package_}` : `/${kind}/${encodeURIComponent(owner)}/${package_}`);
      const list = (kind: OwnerKind) =>
        collectPages(
          http,
          { ...repo, apiHost },
          API,
          path(kind),
          (response) => ({ items: asArray(response.body, API, 'the answer').map((entry) => asObject(entry, API, 'a version')), next: linkNext(response) }),
          { get: { bearer, accept: 'application/vnd.github+json' }, enough: (page) => page.some((version) => version.name === digest) },
        );
      let versions: Record<string, unknown>[];
      try {
        const known = kinds.get(owner);
        if (known) versions = await list(known);
        else {
          // The owner may be an organization or a user, and nothing in the image name says which.
          // GitHub answers 404 on the organization path for a user (and for a package it does not
          // show this token), so the organization is asked first, then the user on a 404: one
          // extra request for user-owned packages, none for organizations. The user path lists a
          // user's public packages; a private one is listed only in the token's own namespace
          // (`/user/…`), asked last.
          versions = await firstFound(['orgs', 'users', 'user'], async (kind) => {
            const found = await list(kind);
            kinds.set(owner, kind);
            return found;
          });
        }
      } catch (error) {
        if (error instanceof NoTokenError) throw new BulkUnavailableError(`${API}: no GitHub token`);
        throw error;
      }
      const tags: string[] = [];
      for (const version of versions) {
        if (typeof version.name !== 'string') continue;
        const container = version.metadata === null || typeof version.metadata !== 'object' ? undefined : (version.metadata as { container?: unknown }).container;
        const listed = container !== null && typeof container === 'object' ? (container as { tags?: unknown }).tags : undefined;
        const names = Array.isArray(listed) ? listed.filter((tag): tag is string => typeof tag === 'string') : [];
        const at = ghcrPushTime(version);
        for (const name of names) options.pushTimes?.record(repo, name, version.name, at);
        if (version.name === digest) tags.push(...names);
      }
      return tags;
    },
  };
}

/** The first kind whose listing is not a 404; the last one's failure otherwise. */
async function firstFound<T>(kinds: readonly OwnerKind[], list: (kind: OwnerKind) => Promise<T>): Promise<T> {
  for (const [i, kind] of kinds.entries()) {
    try {
      return await list(kind);
    } catch (error) {
      if (i === kinds.length - 1 || !(error instanceof BulkApiError && error.status === 404)) throw error;
    }
  }
  throw new Error('unreachable: no owner kind to ask');
}

/**
 * A package version's `updated_at`, else its `created_at`; RFC 3339 (`2024-05-06T05:20:30Z`).
 * Source: GitHub REST API, "List package versions for a package owned by an organization / a user"
 * (docs.github.com/rest/packages/packages, `package-version` schema). A version is one digest:
 * `created_at` is when it was first published, `updated_at` its last change, which a tag added to
 * it is. So `updated_at` is never earlier than the moment a tag listed on it arrived there: a
 * release never looks older than it is (it may look younger when a tag left it later).
 */
export function ghcrPushTime(version: Record<string, unknown>): number | undefined {
  return rfc3339Time(version.updated_at) ?? rfc3339Time(version.created_at);
}
