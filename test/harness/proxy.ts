/**
 * A reverse proxy in front of a test registry: the place to count requests exactly (every request
 * is logged before it is forwarded), to add what registry 2.8 lacks (tag-list pagination), and to
 * inject faults (429/503, redirects, odd headers) with {@link ProxyHooks.intercept}.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RegistryTarget } from './target.js';

/** What the proxy saw. `status` is filled in once the answer has been sent. */
export interface ProxyLogEntry {
  /** 0-based arrival order. */
  index: number;
  method: string;
  /** Path without the query, e.g. `/v2/team/app/tags/list`. */
  path: string;
  /** Query parameters (last value wins for repeated keys). */
  query: Record<string, string>;
  /** Path with the query, as received. */
  url: string;
  /** Request headers, lower-case names (node's parsing). */
  headers: IncomingHttpHeaders;
  status?: number;
  /** True when `intercept` answered instead of the upstream. */
  intercepted?: boolean;
}

/** A canned answer. Objects as `body` are sent as JSON. */
export interface ProxyResponse {
  status: number;
  /** Undefined values are skipped, so conditional headers can be written inline. */
  headers?: Record<string, string | string[] | undefined>;
  body?: string | Buffer | object;
}

export interface PaginateOptions {
  /** Page size when the client sends no `n`. Default: no pagination without `n` (like 2.8). */
  defaultPageSize?: number;
  /** Largest `n` honoured (registries cap it). Default unlimited. */
  maxPageSize?: number;
  /** Write `Link` as `http://proxy-host/v2/…` instead of a path. */
  absoluteLinks?: boolean;
}

export interface ProxyHooks {
  /**
   * Called for every request after it is logged. Return a response to answer it yourself, or
   * undefined to forward it. Use `entry.index` or your own counters to fail only the first N.
   */
  intercept?: (entry: ProxyLogEntry) => ProxyResponse | undefined | Promise<ProxyResponse | undefined>;
  /**
   * Implement `n`/`last` on `GET /v2/<name>/tags/list` (sorted, `Link: <…>; rel="next"`), which
   * registry 2.8 ignores. `true` = default options.
   */
  paginate?: boolean | PaginateOptions;
}

export interface RunningProxy extends RegistryTarget {
  /** `127.0.0.1:PORT`, usable in image references. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Every request seen so far, in arrival order. */
  requests(): ProxyLogEntry[];
  /** Number of logged requests matching `filter` (all when omitted). */
  count(filter?: { method?: string; path?: string | RegExp } | ((e: ProxyLogEntry) => boolean)): number;
  /** Connections that opened with a TLS ClientHello, which this plain-http proxy refuses (since the last clear). */
  tlsAttempts(): number;
  clear(): void;
  /** Replace the intercept hook (undefined removes it), e.g. between phases of one test. */
  setIntercept(fn: ProxyHooks['intercept']): void;
  stop(): Promise<void>;
}

const TAGS_LIST = /^\/v2\/(.+)\/tags\/list$/;

/**
 * Starts a proxy on `127.0.0.1:0` forwarding to `target` (its `url`; an `https` target is reached
 * trusting `ca`). Authentication headers pass through untouched, and the `Host` header is kept so
 * the registry's upload `Location`s point back at the proxy.
 */
export async function startProxy(
  target: string | { url: string; ca?: string },
  hooks: ProxyHooks = {},
): Promise<RunningProxy> {
  const upstream = new URL(typeof target === 'string' ? target : target.url);
  const ca = typeof target === 'string' ? undefined : target.ca;
  const log: ProxyLogEntry[] = [];
  let counter = 0;
  let intercept = hooks.intercept;
  const paginate: PaginateOptions | undefined =
    hooks.paginate === true ? {} : hooks.paginate === false ? undefined : hooks.paginate;
  let selfUrl = '';

  const forward = (
    req: IncomingMessage,
    path: string,
    body: Buffer | undefined,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
      const out = send(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path,
          headers: req.headers,
          ...(ca ? { ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const respond = (res: ServerResponse, entry: ProxyLogEntry, r: ProxyResponse) => {
    let body: Buffer | undefined;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) if (v !== undefined) headers[k] = v;
    if (r.body !== undefined) {
      if (Buffer.isBuffer(r.body) || typeof r.body === 'string') body = Buffer.from(r.body);
      else {
        body = Buffer.from(JSON.stringify(r.body));
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
    }
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(body?.length ?? 0);
    }
    entry.status = r.status;
    res.writeHead(r.status, headers);
    res.end(entry.method === 'HEAD' ? undefined : body);
  };

  const paginated = async (req: IncomingMessage, entry: ProxyLogEntry, name: string): Promise<ProxyResponse> => {
    const up = await forward(req, `/v2/${name}/tags/list`, undefined);
    if (up.status !== 200) return { status: up.status, headers: flatten(up.headers), body: up.body };
    const parsed = JSON.parse(up.body.toString('utf8')) as { name: string; tags: string[] | null };
    // Distribution spec: lexical order, then `last` is exclusive.
    const all = [...(parsed.tags ?? [])].sort();
    const last = entry.query.last;
    const after = last === undefined ? all : all.filter((t) => t > last);
    let n = entry.query.n !== undefined ? Number(entry.query.n) : paginate!.defaultPageSize;
    if (n !== undefined && paginate!.maxPageSize !== undefined) n = Math.min(n, paginate!.maxPageSize);
    const page = n === undefined ? after : after.slice(0, n);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (n !== undefined && after.length > page.length && page.length > 0) {
      const next = `/v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1]!)}`;
      headers.link = `<${paginate!.absoluteLinks ? selfUrl + next : next}>; rel="next"`;
    }
    return { status: 200, headers, body: { name: parsed.name, tags: page } };
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://proxy.invalid');
        const query: Record<string, string> = {};
        for (const [k, v] of url.searchParams) query[k] = v;
        const entry: ProxyLogEntry = {
          index: counter++,
          method: req.method ?? 'GET',
          path: url.pathname,
          query,
          url: req.url ?? '/',
          headers: req.headers,
        };
        log.push(entry);
        try {
          const canned = await intercept?.(entry);
          if (canned) {
            entry.intercepted = true;
            return respond(res, entry, canned);
          }
          const m = TAGS_LIST.exec(url.pathname);
          if (paginate && m && entry.method === 'GET') return respond(res, entry, await paginated(req, entry, m[1]!));
          const up = await forward(req, req.url ?? '/', chunks.length ? Buffer.concat(chunks) : undefined);
          return respond(res, entry, { status: up.status, headers: flatten(up.headers), body: up.body });
        } catch (err) {
          respond(res, entry, { status: 502, body: `proxy error: ${(err as Error).message}` });
        }
      })();
    });
  });
  // A TLS record starts with 0x16 (handshake); Node's parser rejects it as a bad method. Answered as
  // Node answers any unparsable request when nobody listens for this event.
  let tlsAttempts = 0;
  server.on('clientError', (error: Error & { rawPacket?: Buffer }, socket) => {
    if (error.rawPacket?.[0] === 0x16) tlsAttempts++;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  selfUrl = `http://${host}`;

  const matches = (e: ProxyLogEntry, f: Parameters<RunningProxy['count']>[0]): boolean => {
    if (!f) return true;
    if (typeof f === 'function') return f(e);
    if (f.method && e.method !== f.method) return false;
    if (f.path !== undefined && (typeof f.path === 'string' ? e.path !== f.path : !f.path.test(e.path))) return false;
    return true;
  };

  return {
    host,
    url: selfUrl,
    requests: () => [...log],
    count: (f) => log.filter((e) => matches(e, f)).length,
    tlsAttempts: () => tlsAttempts,
    clear: () => {
      log.length = 0;
      tlsAttempts = 0;
    },
    setIntercept: (fn) => {
      intercept = fn;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function flatten(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    // Framing is recomputed for the buffered body.
    if (v === undefined || k === 'transfer-encoding' || k === 'connection' || k === 'keep-alive') continue;
    out[k] = v;
  }
  return out;
}
