/**
 * FAKE vendor APIs (Google `tags/list` with its `manifest` map, Docker Hub's tags API, Quay's tag
 * API, Harbor's artifact API, ACR's `_tags`, GitLab's registry `/gitlab/v1/` tags list, GitHub's
 * package versions) on 127.0.0.1. (ECR, a signed JSON 1.1 API, has its own: `ecr-api.ts`.) These hosted services cannot be reached
 * from the test machines, so their answers are reproduced in the shapes their public documentation
 * records, with their pagination. Only the adapters' parsing and paging are tested against this;
 * registry behaviour is always tested against the real registry.
 *
 * Push times, in each vendor's documented field and format (sources at each adapter's parser):
 * Docker Hub `tag_last_pushed` (RFC 3339, microseconds), Quay `start_ts` (epoch seconds) beside
 * `last_modified` (RFC 2822), Google `timeUploadedMs` (epoch ms as a string, per digest: its first
 * push), ACR `createdTime` / `lastUpdateTime` (RFC 3339, seven fractional digits), Harbor
 * `push_time` on the artifact (its first push) and on each tag, GitLab `published_at` beside
 * `created_at` (RFC 3339, milliseconds), GitHub `created_at` / `updated_at` per version (RFC 3339,
 * seconds: the version's first push / the last tag that arrived on it).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeVendorRepository {
  /** Repository path as in the image name, e.g. `proj/app` (Harbor: project `proj`, repository `app`). */
  repository: string;
  /** tag → top-level digest. */
  tags: ReadonlyMap<string, string>;
  /** tag → when it was pushed (epoch ms); a tag not named here was pushed at {@link DEFAULT_PUSHED_AT}. */
  pushedAt?: ReadonlyMap<string, number>;
}

export interface FakeVendorOptions {
  /** Items per page for every paginated API. Default 2. */
  pageSize?: number;
  /** Whether Harbor's systeminfo answers (a GitLab registry's host does not). Default true. */
  harbor?: boolean;
  /**
   * Whether the GitHub owner (first path segment) is an organization, a user with a public
   * package, or the token's own user with a private one (listed under `/user/` only). Default `orgs`.
   */
  githubOwner?: 'orgs' | 'users' | 'user';
  /** The GitHub token the fake accepts; any other Authorization is refused (401). Default `ghp_fake`. */
  githubToken?: string;
}

/** 2023-11-14T22:13:20Z, as the fake's listings said before they carried chosen times. */
export const DEFAULT_PUSHED_AT = 1_700_000_000_000;

export interface FakeVendorServer {
  /** `127.0.0.1:PORT`: what goes into `ImageRepository.apiHost`. */
  host: string;
  /** Paths (with query) requested so far. */
  requests(): string[];
  /** The Authorization header of each request so far (undefined when none was sent), in order. */
  authorizations(): Array<string | undefined>;
  /** Answer every request with this status (a vendor outage), or undefined to serve normally. */
  failWith(status: number | undefined): void;
  stop(): Promise<void>;
}

export async function startFakeVendorApis(repo: FakeVendorRepository, options: FakeVendorOptions = {}): Promise<FakeVendorServer> {
  const pageSize = options.pageSize ?? 2;
  const log: string[] = [];
  const auths: Array<string | undefined> = [];
  let failure: number | undefined;
  const tags = [...repo.tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const [project, ...rest] = repo.repository.split('/');
  // Harbor wants the path below the project with each `/` encoded twice.
  const harborName = rest.map(encodeURIComponent).join("%252F");
  let host = '';

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const page = (from: number) => tags.slice(from, from + pageSize);
  const pushed = (tag: string): number => repo.pushedAt?.get(tag) ?? DEFAULT_PUSHED_AT;
  // A digest's own time (Google, Harbor's artifact): the first push of any tag on it.
  const digestPushed = (digest: string): number => Math.min(...tags.filter(([, d]) => d === digest).map(([t]) => pushed(t)));
  const iso = (ms: number, fraction: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_, milli: string) => `.${milli.padEnd(fraction, '0')}Z`);
  const rfc2822 = (ms: number): string => new Date(ms).toUTCString().replace('GMT', '-0000');

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    log.push(`${url.pathname}${url.search}`);
    auths.push(req.headers.authorization);
    if (failure !== undefined) return send(res, failure, { message: 'fake outage' });
    const offset = Number(url.searchParams.get('offset') ?? '0');

    // Google: one answer, the manifest map keyed by digest (sizes and times as recorded from gcr.io).
    if (url.pathname === `/v2/${repo.repository}/tags/list`) {
      const manifest: Record<string, { tag: string[]; imageSizeBytes: string; mediaType: string; timeCreatedMs: string; timeUploadedMs: string }> = {};
      for (const [tag, digest] of page(offset)) {
        manifest[digest] ??= { tag: [], imageSizeBytes: '1024', mediaType: 'application/vnd.oci.image.index.v1+json', timeCreatedMs: '0', timeUploadedMs: String(digestPushed(digest)) };
        manifest[digest]!.tag.push(tag);
      }
      const next: Record<string, string> = offset + pageSize < tags.length ? { link: `</v2/${repo.repository}/tags/list?offset=${offset + pageSize}>; rel="next"` } : {};
      return send(res, 200, { child: [], manifest, name: repo.repository, tags: page(offset).map(([t]) => t) }, next);
    }
    // Docker Hub: `results` and an absolute `next` URL.
    if (url.pathname === `/v2/namespaces/${project}/repositories/${rest.join('/')}/tags`) {
      const pageNumber = Number(url.searchParams.get('page') ?? '1');
      const from = (pageNumber - 1) * pageSize;
      return send(res, 200, {
        count: tags.length,
        next: from + pageSize < tags.length ? `http://${host}${url.pathname}?page_size=100&page=${pageNumber + 1}` : null,
        previous: null,
        results: page(from).map(([name, digest]) => ({
          name,
          digest,
          last_updated: iso(pushed(name), 6),
          tag_last_pushed: iso(pushed(name), 6),
          tag_last_pulled: iso(pushed(name), 6),
          tag_status: 'active',
          content_type: 'image',
          images: [],
        })),
      });
    }
    // Quay: `tags` and `has_additional`, pages counted from 1.
    if (url.pathname === `/api/v1/repository/${repo.repository}/tag/`) {
      const pageNumber = Number(url.searchParams.get('page') ?? '1');
      const from = (pageNumber - 1) * pageSize;
      return send(res, 200, {
        tags: page(from).map(([name, digest]) => ({
          name,
          manifest_digest: digest,
          reversion: false,
          is_manifest_list: false,
          start_ts: Math.floor(pushed(name) / 1000),
          last_modified: rfc2822(pushed(name)),
        })),
        page: pageNumber,
        has_additional: from + pageSize < tags.length,
      });
    }
    // Harbor: one artifact by digest, its tags inline; the repository name double-encoded.
    const harbor = new RegExp(`^/api/v2\\.0/projects/${project}/repositories/([^/]+)/artifacts/(sha256:[a-f0-9]{64})$`).exec(url.pathname);
    if (harbor) {
      // The URL parser keeps percent-encoding, so a once-encoded name (`a%2Fb`) does not match.
      if (harbor[1] !== harborName) return send(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'repository not found' }] });
      const named = tags.filter(([, digest]) => digest === harbor[2]);
      if (named.length === 0) return send(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'artifact not found' }] });
      return send(res, 200, {
        digest: harbor[2],
        type: 'IMAGE',
        push_time: iso(digestPushed(harbor[2]!), 3),
        pull_time: '0001-01-01T00:00:00.000Z',
        tags: named.map(([name]) => ({ name, immutable: false, push_time: iso(pushed(name), 3), pull_time: '0001-01-01T00:00:00.000Z' })),
      });
    }
    if (url.pathname === '/api/v2.0/systeminfo' && options.harbor !== false) return send(res, 200, { auth_mode: 'db_auth', self_registration: false });
    // ACR: `_tags` filtered by `digest`, `Link` for more.
    if (url.pathname === `/acr/v1/${repo.repository}/_tags`) {
      const wanted = url.searchParams.get('digest');
      const matching = tags.filter(([, digest]) => wanted === null || digest === wanted);
      const slice = matching.slice(offset, offset + pageSize);
      const next: Record<string, string> =
        offset + pageSize < matching.length
          ? { link: `</acr/v1/${repo.repository}/_tags?digest=${encodeURIComponent(wanted ?? '')}&offset=${offset + pageSize}>; rel="next"` }
          : {};
      return send(
        res,
        200,
        {
          registry: host,
          imageName: repo.repository,
          tags: slice.map(([name, digest]) => ({ name, digest, createdTime: iso(pushed(name), 7), lastUpdateTime: iso(pushed(name), 7), signed: false })),
        },
        next,
      );
    }
    // GitLab registry API: the compliance check, and tags/list/ as an array with a `last` marker in `Link`.
    if (url.pathname === '/gitlab/v1/') {
      res.writeHead(200, { 'content-length': '0' });
      return void res.end();
    }
    if (url.pathname === `/gitlab/v1/repositories/${repo.repository}/tags/list/`) {
      const n = Math.min(Number(url.searchParams.get('n') ?? '100'), pageSize);
      const last = url.searchParams.get('last');
      const from = last === null ? 0 : tags.findIndex(([name]) => name === last) + 1;
      const slice = tags.slice(from, from + n);
      const more = from + n < tags.length;
      return send(
        res,
        200,
        slice.map(([name, digest]) => ({
          name,
          digest,
          config_digest: `sha256:${'c'.repeat(64)}`,
          media_type: 'application/vnd.oci.image.index.v1+json',
          size_bytes: 1024,
          created_at: iso(pushed(name), 3),
          published_at: iso(pushed(name), 3),
        })),
        more ? { link: `<http://${host}${url.pathname}?n=${n}&last=${slice.at(-1)![0]}>; rel="next"` } : {},
      );
    }
    // GitHub packages API: versions (one per digest, newest first) under orgs/ or users/, a token required.
    const matched = /^\/(?:(orgs|users)\/([^/]+)|(user))\/packages\/container\/([^/]+)\/versions$/.exec(url.pathname);
    // [kind, owner (the token's own for /user/), package]
    const github = matched ? ([matched[1] ?? matched[3]!, matched[2] ?? project!, matched[4]!] as const) : undefined;
    if (github) {
      if (req.headers.authorization !== `Bearer ${options.githubToken ?? 'ghp_fake'}`) {
        return send(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
      }
      // The package name arrives as one segment, its slashes encoded: the URL parser keeps %2F.
      if (github[0] !== (options.githubOwner ?? 'orgs') || github[1] !== project || github[2] !== rest.map(encodeURIComponent).join('%2F')) {
        return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/packages/packages', status: '404' });
      }
      const digests = [...new Set(tags.map(([, digest]) => digest))].sort((a, b) => digestPushed(b) - digestPushed(a));
      const pageNumber = Number(url.searchParams.get('page') ?? '1');
      const from = (pageNumber - 1) * pageSize;
      const next: Record<string, string> = from + pageSize < digests.length ? { link: `<http://${host}${url.pathname}?per_page=100&page=${pageNumber + 1}>; rel="next"` } : {};
      return send(
        res,
        200,
        digests.slice(from, from + pageSize).map((digest, i) => {
          const named = tags.filter(([, d]) => d === digest).map(([t]) => t);
          const seconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
          return {
            id: 1000 + from + i,
            name: digest,
            url: `https://api.github.com/${github[0]}/${project}/packages/container/${github[2]}/versions/${1000 + from + i}`,
            package_html_url: `https://github.com/${github[0]}/${project}/packages/container/package/${github[2]}`,
            created_at: seconds(digestPushed(digest)),
            updated_at: seconds(Math.max(...named.map(pushed))),
            html_url: `https://github.com/${github[0]}/${project}/packages/container/${github[2]}/${1000 + from + i}`,
            metadata: { package_type: 'container', container: { tags: named } },
          };
        }),
        next,
      );
    }
    send(res, 404, { errors: [{ code: 'NOT_FOUND', message: `fake: no route for ${url.pathname}` }] });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    requests: () => [...log],
    authorizations: () => [...auths],
    failWith: (status) => {
      failure = status;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
