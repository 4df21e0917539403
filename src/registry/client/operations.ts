/** The three registry calls the resolver and the vendor listings make: tag list, manifest digest, JSON GET. */
import { headerValue, headerValues, nextLink } from '../http-headers.js';
import { pullScope } from '../name.js';
import type { DigestLookup, ImageRepository, JsonGetOptions, JsonResponse } from '../types.js';
import { MAX_BYTES } from './body.js';
import { contentDigest } from './content-digest.js';
import { MANIFEST_MEDIA_TYPES } from './media-types.js';
import type { RegistryRequests } from './requests.js';

/** Everything a tag can point at. 2.8 answers a narrower Accept with 404 or a different digest. */
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export interface PageLimits {
  /** `n` for tags/list pages. */
  pageSize: number;
  /** A paginator that never ends is cut off after this many pages. */
  maxPages: number;
}

/** Every tag of a repository, following `Link` pages on the same origin only. */
export async function fetchTags(requests: RegistryRequests, repo: ImageRepository, { pageSize, maxPages }: PageLimits): Promise<string[]> {
  let url = new URL(`${await requests.baseUrl(repo)}/v2/${repo.repository}/tags/list?n=${pageSize}`);
  const origin = url.origin;
  const tags = new Set<string>();
  const visited = new Set<string>();
  for (let page = 1; ; page++) {
    visited.add(url.toString());
    const res = await requests.send(repo, 'GET', url, { accept: 'application/json', maxBytes: MAX_BYTES.tagPage });
    if (res.status !== 200) throw requests.httpError(repo, 'GET', url, res);
    for (const t of tagsOfPage(requests, repo, url, res.body, res.status)) tags.add(t);
    const link = nextLink(headerValues(res.headers, 'link'));
    if (link === undefined) return [...tags];
    const next = new URL(link, url);
    // Following a Link elsewhere would send our credentials-bearing client to a host the user never named.
    if (next.origin !== origin) throw requests.fail(repo, 'GET', url, `the next-page Link points to ${next.origin}, not ${origin}`);
    if (visited.has(next.toString())) throw requests.fail(repo, 'GET', url, `the next-page Link loops back to ${next}`);
    if (page >= maxPages) throw requests.fail(repo, 'GET', url, `more than ${maxPages} pages of tags`);
    url = next;
  }
}

function tagsOfPage(requests: RegistryRequests, repo: ImageRepository, url: URL, body: Buffer, status: number): string[] {
  let parsed: { tags?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw requests.fail(repo, 'GET', url, 'the tag list is not JSON', status);
  }
  const list = parsed.tags ?? [];
  if (!Array.isArray(list) || !list.every((t): t is string => typeof t === 'string')) {
    throw requests.fail(repo, 'GET', url, '"tags" is not a list of strings');
  }
  return list;
}

/** A tag's manifest digest: HEAD first, a GET and our own hash only when the registry does not say. */
export async function lookupDigest(requests: RegistryRequests, repo: ImageRepository, tag: string, opts: { ifNoneMatch?: string } = {}): Promise<DigestLookup> {
  const url = new URL(`${await requests.baseUrl(repo)}/v2/${repo.repository}/manifests/${encodeURIComponent(tag)}`);
  const accept = MANIFEST_MEDIA_TYPES.join(', ');
  // HEAD first: registries (Docker Hub) count manifest GETs against rate limits, not HEADs.
  const head = await requests.send(repo, 'HEAD', url, { accept, maxBytes: MAX_BYTES.manifest, ...(opts.ifNoneMatch ? { headers: { 'if-none-match': opts.ifNoneMatch } } : {}) });
  if (head.status === 304 && opts.ifNoneMatch) return { notModified: true };
  if (head.status !== 200) throw requests.httpError(repo, 'HEAD', url, head);
  const etag = headerValue(head.headers, 'etag');
  const reported = headerValue(head.headers, 'docker-content-digest');
  if (reported && DIGEST.test(reported)) return { digest: reported, ...(etag ? { etag } : {}) };
  const get = await requests.send(repo, 'GET', url, { accept, maxBytes: MAX_BYTES.manifest });
  if (get.status !== 200) throw requests.httpError(repo, 'GET', url, get);
  const computed = contentDigest(get.body, 'sha256');
  // The bytes are here, so the registry's word can be checked: a mismatch is a broken or lying
  // registry (or a proxy rewriting manifests), and pinning either digest would pin a guess.
  const claimed = headerValue(get.headers, 'docker-content-digest');
  if (claimed && DIGEST.test(claimed) && claimed.startsWith('sha256:') && claimed !== computed) {
    throw requests.fail(repo, 'GET', url, `${repo.registry} says the manifest is ${claimed}, but its bytes hash to ${computed}; refusing to pin either`);
  }
  return { digest: computed };
}

/** A JSON document from a path on the registry's host (vendor listings), authorised for pulling the repository. */
export async function getJson(requests: RegistryRequests, repo: ImageRepository, pathAndQuery: string, opts: JsonGetOptions = {}): Promise<JsonResponse> {
  if (!pathAndQuery.startsWith('/') || pathAndQuery.startsWith('//')) {
    throw new TypeError(`getJson: ${JSON.stringify(pathAndQuery)} must be a path on the registry host, starting with one /`);
  }
  const url = new URL(`${await requests.baseUrl(repo)}${pathAndQuery}`);
  // A caller's own Authorization passes the auth interceptor untouched: the keychain's credentials
  // for this host are never looked up, let alone sent, and no challenge is answered.
  const headers = opts.bearer ? { authorization: await requests.bearerAuthorization(repo, url, opts.bearer) } : undefined;
  const res = await requests.send(repo, 'GET', url, {
    accept: opts.accept ?? 'application/json',
    maxBytes: opts.maxBytes ?? MAX_BYTES.json,
    ...(headers ? { headers } : { scope: pullScope(repo) }),
  });
  let body: unknown;
  try {
    body = res.body.length === 0 ? undefined : JSON.parse(res.body.toString('utf8'));
  } catch {
    if (res.status >= 200 && res.status < 300) throw requests.fail(repo, 'GET', url, 'the response is not JSON', res.status);
  }
  return { status: res.status, headers: res.headers, body };
}
