/**
 * The registry client the resolver uses: tag lists and tag → digest, over the interceptor stack
 * in `transport/` (outermost first: auth → redirect → retry → per-origin cap → count → socket).
 * Auth sits above redirect so credentials are only ever attached for the registry itself, and
 * above retry so each authenticated attempt is retried on its own.
 *
 * Within one client (one run) every repository's tags are listed once and every (repository,
 * tag) digest fetched once, however many markers ask; concurrent callers share the request.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Dispatcher } from 'undici';
import { createBaseDispatcher, type AddressOf, type ProxySettings, type TlsProfile } from './dispatcher.js';
import { AuthError, RegistryError, describeErrorBody, redact, someCause, statusText, type RegistryErrorDetails } from './errors.js';
import { anonymousKeychain } from './keychain.js';
import { pullScope } from './name.js';
import { memoizeDigests } from './run-memo.js';
import { SchemeResolver, hostnameOf, isLoopbackHost } from './scheme.js';
import { authInterceptor } from './transport/auth.js';
import { concurrencyInterceptor } from './transport/concurrency.js';
import { countingInterceptor, type RequestCounter } from './transport/count.js';
import { headerValue, headerValues, nextLink } from './http-headers.js';
import { RateLimitTracker, isLow, rateLimitInterceptor } from './transport/rate-limit.js';
import { redirectInterceptor } from './transport/redirect.js';
import { DEFAULT_MAX_ATTEMPTS, parseRetryAfter, retryInterceptor, type RetryOptions } from './transport/retry.js';
import type { ScopedDispatchOptions } from './transport/auth.js';
import type { Credential, DigestLookup, ImageRepository, JsonResponse, Keychain, RegistryClient, RegistryNotice } from './types.js';

export type { RegistryClient } from './types.js';

/** Everything a tag can point at. 2.8 answers a narrower Accept with 404 or a different digest. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export interface RegistryClientOptions {
  keychain?: Keychain;
  /** Registry hosts (`host` or `host:port`) that may be reached over plain http. */
  insecureRegistries?: string[];
  /** In-flight requests per registry origin. Default 16. */
  concurrency?: number;
  /** In-flight requests for particular API hosts (`host[:port]`, lower case), over {@link concurrency}. */
  concurrencyByHost?: ReadonlyMap<string, number>;
  /** TLS for particular API hosts (`host[:port]`, lower case): a private CA, a client certificate. */
  tls?: ReadonlyMap<string, TlsProfile>;
  /** Proxy settings; default from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`. */
  proxy?: ProxySettings;
  retry?: RetryOptions;
  maxRedirects?: number;
  /** Extra CA certificates (PEM), trusted in addition to the system roots. */
  ca?: string | string[];
  /** `n` for tags/list pages. Default 1000, as Flux asks. */
  pageSize?: number;
  /** Gives up on a tag list after this many pages (a paginator that never ends). Default 1000. */
  maxPages?: number;
  /**
   * How long a registry may stay silent during one attempt: before the response headers, or
   * between two chunks of the body. A stalled attempt fails and is retried. Default 30 s.
   */
  timeoutMs?: number;
  /**
   * {@link timeoutMs} for particular API hosts (`host[:port]`, lower case): `spec.registries[].timeout`.
   * A request, retries and redirects included, ends after attempts × its host's timeout, so a
   * body that trickles in (never silent for long) cannot keep it alive either.
   */
  timeoutByHost?: ReadonlyMap<string, number>;
  userAgent?: string;
  /** Base dispatcher the stack is composed on (tests). The client then does not close it. */
  dispatcher?: Dispatcher;
  /** Where sockets for a host go (tests keep remote-looking hosts on loopback). Default: DNS. */
  addressOf?: AddressOf;
}

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Caps on what we read from a registry: a broken or hostile server must not fill memory. */
export const MAX_BYTES = {
  /** One tags/list page (~30 bytes a tag: 16 MiB is half a million tags). */
  tagPage: 16 * 1024 * 1024,
  /** Distribution itself refuses manifests over 4 MiB. */
  manifest: 4 * 1024 * 1024,
  /** Vendor JSON APIs (GCR's tags/list with its manifest map is the big one). */
  json: 32 * 1024 * 1024,
} as const;

class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown }, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      const error = new BodyTooLargeError(`the response is larger than ${maxBytes} bytes`);
      body.destroy(error);
      throw error;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Milliseconds as a Go duration a user could write back into the config: 500ms, 30s, 2m. */
function humanDuration(ms: number): string {
  return ms % 1000 === 0 ? humanSeconds(ms / 1000) : `${ms}ms`;
}

function isDeadline(error: unknown): boolean {
  return someCause(error, (e) => e.name === 'TimeoutError');
}

function isSilence(error: unknown): boolean {
  return someCause(error, (e) => e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT');
}

function humanSeconds(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}


const CERT_ERROR = /^(?:CERT_|ERR_TLS_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(?:VERIFY|GET_ISSUER))/;

function isCertificateError(error: unknown): boolean {
  return someCause(error, (e) => typeof e.code === 'string' && CERT_ERROR.test(e.code));
}

const MTLS_HINT =
  ' (the registry closed the TLS connection; if it requires a client certificate, set certFile and keyFile for it in spec.registries[], or tls.crt and tls.key in the ImageRepository certSecretRef Secret)';

function socketClosed(error: unknown): boolean {
  return someCause(error, (e) => e.code === 'UND_ERR_SOCKET' || e.code === 'ECONNRESET');
}

/** Whether a TLS handshake with `host` completes, whatever happens after it. Certificates are not judged here. */
function completesTlsHandshake(host: string, timeoutMs: number, addressOf: AddressOf = (name) => name): Promise<boolean> {
  const url = new URL(`https://${host}`);
  return new Promise((resolve) => {
    const name = url.hostname.replace(/^\[|\]$/g, '');
    const socket = tlsConnect({ host: addressOf(name), port: Number(url.port || 443), ...(isIP(name) ? {} : { servername: name }), rejectUnauthorized: false });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const keychain = options.keychain ?? anonymousKeychain;
  const pageSize = options.pageSize ?? 1000;
  const maxPages = options.maxPages ?? 1000;
  const timeout = options.timeoutMs ?? 30_000;
  const timeoutFor = (host: string) => options.timeoutByHost?.get(host.toLowerCase()) ?? timeout;
  const attempts = Math.max(1, options.retry?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const deadlineFor = (host: string) => attempts * timeoutFor(host);
  const userAgent = options.userAgent ?? 'apply-image-policies';
  const extraCa = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  const ownsBase = options.dispatcher === undefined;
  const base: Dispatcher =
    options.dispatcher ??
    createBaseDispatcher({
      common: { ca: extraCa },
      ...(options.tls ? { perHost: options.tls } : {}),
      ...(options.proxy ? { proxy: options.proxy } : {}),
      ...(options.addressOf ? { addressOf: options.addressOf } : {}),
      timeoutMs: timeout,
      ...(options.timeoutByHost ? { timeoutByHost: options.timeoutByHost } : {}),
    });

  const insecure = new Set((options.insecureRegistries ?? []).map((h) => h.toLowerCase()));
  const markedInsecure = (host: string) => insecure.has(host.toLowerCase()) || insecure.has(hostnameOf(host).toLowerCase());

  // Registry API host → canonical registry name, for keychain lookups (registry-1.docker.io → index.docker.io).
  const registryOfHost = new Map<string, string>();
  const secrets = new Set<string>();
  const credentialsFor = async (origin: string, scope?: string): Promise<Credential | undefined> => {
    const url = new URL(origin);
    const repository = scope === undefined ? undefined : /^repository:(.+):[^:]*$/.exec(scope)?.[1];
    const cred = await keychain.resolve(registryOfHost.get(url.host) ?? url.host, repository);
    if (!cred) return undefined;
    for (const s of [cred.password, cred.identityToken, cred.registryToken]) if (s) secrets.add(s);
    // Anyone on the path could read them: only the user's own machine or an explicit opt-in.
    if (url.protocol === 'http:' && !isLoopbackHost(url.host) && !markedInsecure(url.host)) {
      throw new AuthError(
        `refusing to send credentials to ${url.host} over plain http; serve it over https, or mark it insecure in the functionConfig spec.registries[] if you accept that risk`,
      );
    }
    return cred;
  };
  const checkRealm = (realm: URL, origin: string) => {
    const registryHost = new URL(origin).host;
    if (realm.protocol === 'https:' || isLoopbackHost(realm.host) || markedInsecure(registryHost)) return;
    throw new AuthError(`${registryHost} sends us to the token realm ${realm.origin}${realm.pathname} over plain http; refusing (mark ${registryHost} insecure to allow it)`);
  };

  const counter: RequestCounter = { count: 0 };
  const rateLimits = new RateLimitTracker();
  const perHostConcurrency = options.concurrencyByHost;
  const stack = base.compose(
    countingInterceptor(counter),
    rateLimitInterceptor(rateLimits),
    concurrencyInterceptor({
      perOrigin: (origin) => perHostConcurrency?.get(new URL(origin).host.toLowerCase()) ?? options.concurrency ?? 16,
    }),
    retryInterceptor(options.retry),
    redirectInterceptor(options.maxRedirects === undefined ? {} : { maxRedirects: options.maxRedirects }),
    authInterceptor({ credentials: credentialsFor, checkRealm, onSecret: (value) => secrets.add(value) }),
  );

  const schemes = new SchemeResolver({
    insecureRegistries: options.insecureRegistries ?? [],
    probeHttps: async (host) => {
      // Straight to the socket: a probe must not be retried or authenticated, only answered.
      // A stalled host gets no more patience here than its own timeout allows.
      const patience = Math.min(5000, timeoutFor(host));
      counter.count++;
      const probe = base
        .request({ origin: `https://${host}`, path: '/v2/', method: 'GET', headers: { 'user-agent': userAgent }, headersTimeout: patience, bodyTimeout: patience })
        .then(async (res) => {
          await res.body.dump();
          return true;
        });
      // undici's timers are coarse (about a second) and an abort does not end a connection
      // attempt, so the probe gets a clock of its own; a host that stays silent this long speaks no TLS to us.
      let timer: NodeJS.Timeout | undefined;
      const silence = new Promise<false>((resolve) => (timer = setTimeout(resolve, patience, false)));
      try {
        const answered = await Promise.race([probe, silence]);
        if (!answered) probe.catch(() => {});
        return answered;
      } catch (error) {
        // A certificate we do not trust, or a server that hangs up after the handshake (mTLS
        // without our certificate), still proves the host speaks TLS: report that, rather than
        // falling back to http and showing the user a baffling 400 from a TLS port.
        return isCertificateError(error) || (await completesTlsHandshake(host, patience, options.addressOf));
      } finally {
        clearTimeout(timer);
      }
    },
  });

  const fail = (message: string, details: RegistryErrorDetails, cause?: unknown): RegistryError =>
    new RegistryError(redact(message, [...secrets]), details, cause === undefined ? undefined : { cause });
  /** Which request an error is about. */
  const requestOf = (repo: ImageRepository, method: string, url: URL, status?: number): RegistryErrorDetails => ({
    method,
    url: url.toString(),
    registry: repo.registry,
    repository: repo.repository,
    ...(status === undefined ? {} : { status }),
  });

  interface SendOptions {
    accept: string;
    maxBytes: number;
    scope?: string;
    headers?: Record<string, string>;
  }
  const send = async (repo: ImageRepository, method: 'GET' | 'HEAD', url: URL, { accept, maxBytes, scope, headers }: SendOptions): Promise<Response> => {
    const silence = timeoutFor(url.host);
    const deadline = deadlineFor(url.host);
    try {
      const request: Dispatcher.RequestOptions & Pick<ScopedDispatchOptions, 'registryScope'> = {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers: { ...headers, accept, 'user-agent': userAgent },
        // headers/body timeouts bound each silence; this bounds the whole request, retries included.
        headersTimeout: silence,
        bodyTimeout: silence,
        signal: AbortSignal.timeout(deadline),
        ...(scope ? { registryScope: scope } : {}),
      };
      const res = await stack.request(request);
      const body = await readCapped(res.body, maxBytes);
      return { status: res.statusCode, headers: res.headers, body };
    } catch (error) {
      const e = error as Error & { code?: string };
      const setting = `spec.registries[].timeout for ${url.host} sets it`;
      const reason = isDeadline(error)
        ? `no complete answer from ${url.host} within ${humanDuration(deadline)}, retries included (${attempts} × its timeout of ${humanDuration(silence)}; ${setting})`
        : isSilence(error)
          ? `${url.host} stayed silent for ${humanDuration(silence)} (its timeout; ${setting})`
          : e.message || e.code || String(error);
      const hint = url.protocol === 'https:' && socketClosed(error) && !options.tls?.get(url.host.toLowerCase())?.cert ? MTLS_HINT : '';
      throw fail(`${method} ${url}: ${reason}${hint}`, requestOf(repo, method, url), error);
    }
  };

  /** Why a 429 happened, in words: how many requests remain and when the window resets, if known. */
  const rateLimitExplanation = (url: URL, res: Response): string => {
    if (res.status !== 429) return '';
    const state = rateLimits.get(url.origin);
    const parts = [`the rate limit of ${url.host} is exhausted`];
    if (state) parts.push(`${state.remaining}${state.limit !== undefined ? ` of ${state.limit}` : ''} requests remain${state.windowSeconds !== undefined ? ` per ${humanSeconds(state.windowSeconds)} window` : ''}`);
    const retryAfter = parseRetryAfter(headerValue(res.headers, 'retry-after'), Date.now());
    if (retryAfter !== undefined) parts.push(`it resets in about ${humanSeconds(Math.ceil(retryAfter / 1000))}`);
    else parts.push('try again later, or log in to raise the limit');
    return `; ${parts.join('; ')}`;
  };

  const httpError = (repo: ImageRepository, method: string, url: URL, res: Response): RegistryError => {
    const { summary, code } = describeErrorBody(res.body);
    const text = `${res.status} ${statusText(res.status)}`.trim();
    return fail(`${method} ${url}: ${text}${summary ? ` (${summary})` : ''}${rateLimitExplanation(url, res)}`, {
      ...requestOf(repo, method, url, res.status),
      ...(code ? { code } : {}),
    });
  };

  const baseUrl = async (repo: ImageRepository): Promise<string> => {
    registryOfHost.set(repo.apiHost, repo.registry);
    return `${await schemes.resolve(repo.apiHost)}://${repo.apiHost}`;
  };

  const fetchTags = async (repo: ImageRepository): Promise<string[]> => {
    let url = new URL(`${await baseUrl(repo)}/v2/${repo.repository}/tags/list?n=${pageSize}`);
    const origin = url.origin;
    const tags = new Set<string>();
    const visited = new Set<string>();
    for (let page = 1; ; page++) {
      visited.add(url.toString());
      const res = await send(repo, 'GET', url, { accept: 'application/json', maxBytes: MAX_BYTES.tagPage });
      if (res.status !== 200) throw httpError(repo, 'GET', url, res);
      let parsed: { tags?: unknown };
      try {
        parsed = JSON.parse(res.body.toString('utf8'));
      } catch {
        throw fail(`GET ${url}: the tag list is not JSON`, requestOf(repo, 'GET', url, res.status));
      }
      const list = parsed.tags ?? [];
      if (!Array.isArray(list) || !list.every((t): t is string => typeof t === 'string')) {
        throw fail(`GET ${url}: "tags" is not a list of strings`, requestOf(repo, 'GET', url));
      }
      for (const t of list) tags.add(t);
      const link = nextLink(headerValues(res.headers, 'link'));
      if (link === undefined) return [...tags];
      const next = new URL(link, url);
      const where = requestOf(repo, 'GET', url);
      // Following a Link elsewhere would send our credentials-bearing client to a host the user never named.
      if (next.origin !== origin) throw fail(`GET ${url}: the next-page Link points to ${next.origin}, not ${origin}`, where);
      if (visited.has(next.toString())) throw fail(`GET ${url}: the next-page Link loops back to ${next}`, where);
      if (page >= maxPages) throw fail(`GET ${url}: more than ${maxPages} pages of tags`, where);
      url = next;
    }
  };

  const lookupDigest = async (repo: ImageRepository, tag: string, opts: { ifNoneMatch?: string } = {}): Promise<DigestLookup> => {
    const url = new URL(`${await baseUrl(repo)}/v2/${repo.repository}/manifests/${encodeURIComponent(tag)}`);
    const accept = MANIFEST_MEDIA_TYPES.join(', ');
    // HEAD first: registries (Docker Hub) count manifest GETs against rate limits, not HEADs.
    const head = await send(repo, 'HEAD', url, { accept, maxBytes: MAX_BYTES.manifest, ...(opts.ifNoneMatch ? { headers: { 'if-none-match': opts.ifNoneMatch } } : {}) });
    if (head.status === 304 && opts.ifNoneMatch) return { notModified: true };
    if (head.status !== 200) throw httpError(repo, 'HEAD', url, head);
    const etag = headerValue(head.headers, 'etag');
    const reported = headerValue(head.headers, 'docker-content-digest');
    if (reported && DIGEST.test(reported)) return { digest: reported, ...(etag ? { etag } : {}) };
    const get = await send(repo, 'GET', url, { accept, maxBytes: MAX_BYTES.manifest });
    if (get.status !== 200) throw httpError(repo, 'GET', url, get);
    return { digest: `sha256:${createHash('sha256').update(get.body).digest('hex')}` };
  };

  const getJson = async (repo: ImageRepository, pathAndQuery: string, opts: { maxBytes?: number; accept?: string } = {}): Promise<JsonResponse> => {
    if (!pathAndQuery.startsWith('/') || pathAndQuery.startsWith('//')) {
      throw new TypeError(`getJson: ${JSON.stringify(pathAndQuery)} must be a path on the registry host, starting with one /`);
    }
    const base = await baseUrl(repo);
    const url = new URL(`${base}${pathAndQuery}`);
    const res = await send(repo, 'GET', url, { accept: opts.accept ?? 'application/json', maxBytes: opts.maxBytes ?? MAX_BYTES.json, scope: pullScope(repo) });
    let body: unknown;
    try {
      body = res.body.length === 0 ? undefined : JSON.parse(res.body.toString('utf8'));
    } catch {
      if (res.status >= 200 && res.status < 300) {
        throw fail(`GET ${url}: the response is not JSON`, requestOf(repo, 'GET', url, res.status));
      }
    }
    return { status: res.status, headers: res.headers, body };
  };

  const notices = (): RegistryNotice[] =>
    rateLimits
      .entries()
      .filter(([, state]) => isLow(state))
      .map(([origin, state]) => ({
        severity: 'warning' as const,
        message: `${new URL(origin).host}: only ${state.remaining}${state.limit !== undefined ? ` of ${state.limit}` : ''} requests left in the registry's rate-limit window${state.windowSeconds !== undefined ? ` (${humanSeconds(state.windowSeconds)})` : ''}; further runs may fail with 429 until it resets (logging in raises Docker Hub's limit)`,
      }));

  const tagLists = new Map<string, Promise<string[]>>();
  const repoKey = (repo: ImageRepository) => `${repo.registry}/${repo.repository}`;

  return memoizeDigests({
    listTags(repo) {
      const key = repoKey(repo);
      let pending = tagLists.get(key);
      if (!pending) tagLists.set(key, (pending = fetchTags(repo)));
      return pending.then((tags) => [...tags]);
    },
    resolveDigest: (repo, tag) => lookupDigest(repo, tag).then((found) => (found as { digest: string }).digest),
    lookupDigest,
    getJson,
    notices,
    requestCount: () => counter.count,
    async close() {
      if (ownsBase) await base.close();
    },
  });
}
