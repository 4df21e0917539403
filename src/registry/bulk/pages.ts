import { headerValues, nextLink } from '../http-headers.js';
import type { ImageRepository, JsonGetOptions, JsonResponse } from '../types.js';
import { BulkApiError, type JsonGetter } from './types.js';

/** A vendor paginator that never ends must not spend the run's request budget. */
const MAX_PAGES = 200;

export interface Page<T> {
  items: T[];
  /** Where the next page is, absolute or relative to the current one; undefined on the last page. */
  next?: string | undefined;
}

export interface CollectOptions<T> {
  /** Passed to every GET (a bearer token of the vendor's own). */
  get?: JsonGetOptions;
  /** Stops after a page for which this holds: what was asked for is known (GitHub lists one digest once). */
  enough?: (pageItems: readonly T[]) => boolean;
}

/**
 * Follows a vendor API's pages from `firstPath`, collecting each page's items. A next page on
 * another host is refused: the getter attaches this registry's credentials.
 */
export async function collectPages<T>(
  http: JsonGetter,
  repo: ImageRepository,
  api: string,
  firstPath: string,
  readPage: (response: JsonResponse) => Page<T>,
  options: CollectOptions<T> = {},
): Promise<T[]> {
  const items: T[] = [];
  const visited = new Set<string>();
  let path: string | undefined = firstPath;
  while (path !== undefined) {
    if (visited.size >= MAX_PAGES) throw new BulkApiError(`${api}: more than ${MAX_PAGES} pages`);
    visited.add(path);
    const response = await http.getJson(repo, path, options.get);
    if (response.status !== 200) throw new BulkApiError(`${api}: GET ${path} answered ${response.status}`, response.status);
    const page = readPage(response);
    items.push(...page.items);
    if (options.enough?.(page.items)) break;
    path = page.next === undefined ? undefined : pathOnSameHost(page.next, path, repo.apiHost, api);
    if (path !== undefined && visited.has(path)) throw new BulkApiError(`${api}: the next page loops back to ${path}`);
  }
  return items;
}

/** The `rel="next"` target of a `Link` header (GCR, ACR), or undefined. */
export function linkNext(response: JsonResponse): string | undefined {
  return nextLink(headerValues(response.headers, 'link'));
}

function pathOnSameHost(next: string, current: string, apiHost: string, api: string): string {
  const url = new URL(next, `http://${apiHost}${current}`);
  if (url.host !== apiHost) throw new BulkApiError(`${api}: the next page is on ${url.host}, not ${apiHost}`);
  return `${url.pathname}${url.search}`;
}

export function asObject(value: unknown, api: string, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BulkApiError(`${api}: ${what} is not an object`);
  return value as Record<string, unknown>;
}

export function asArray(value: unknown, api: string, what: string): unknown[] {
  if (!Array.isArray(value)) throw new BulkApiError(`${api}: ${what} is not a list`);
  return value;
}

export function asString(value: unknown, api: string, what: string): string {
  if (typeof value !== 'string') throw new BulkApiError(`${api}: ${what} is not a string`);
  return value;
}

/** Names of the listed tags whose `digestField` is `digest`; entries without a name or digest cannot match. */
export function namesAt(tags: readonly Record<string, unknown>[], digestField: string, digest: string): string[] {
  return tags.filter((tag) => tag[digestField] === digest && typeof tag.name === 'string').map((tag) => tag.name as string);
}
