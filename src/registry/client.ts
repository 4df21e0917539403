/**
 * The registry client the resolver uses: tag lists and tag → digest, over the interceptor stack
 * in `transport/` (outermost first: auth → redirect → retry → per-origin cap → count → socket).
 * Auth sits above redirect so credentials are only ever attached for the registry itself, and
 * above retry so each authenticated attempt is retried on its own.
 *
 * This file only composes: the calls are in `client/operations.ts`, one request and its error
 * wording in `client/requests.ts` and `client/wording.ts`, the credential rules in
 * `client/credentials.ts`, the https probe in `client/https-probe.ts`.
 *
 * Within one client (one run) every repository's tags are listed once and every (repository,
 * tag) digest fetched once, however many markers ask; concurrent callers share the request.
 */
import type { Dispatcher } from 'undici';
import { fetchBlob, fetchManifest } from './client/artifacts.js';
import { credentialRules } from './client/credentials.js';
import { fetchImageFacts, withConfigCreated } from './client/image-facts.js';
import { httpsProbe } from './client/https-probe.js';
import { fetchTags, getJson, lookupDigest, type PageLimits } from './client/operations.js';
import { registryRequests } from './client/requests.js';
import { lowRateLimitMessage, type RunDeadline } from './client/wording.js';
import { createBaseDispatcher, type AddressOf, type TlsProfile } from './dispatcher.js';
import { anonymousKeychain } from './keychain.js';
import type { ProxySettings } from './proxy-env.js';
import { memoizeDigests } from './run-memo.js';
import { SchemeResolver, hostnameOf } from './scheme.js';
import { authInterceptor } from './transport/auth.js';
import { concurrencyInterceptor } from './transport/concurrency.js';
import { countingInterceptor, type RequestCounter } from './transport/count.js';
import { RateLimitTracker, isLow, rateLimitInterceptor } from './transport/rate-limit.js';
import { redirectInterceptor } from './transport/redirect.js';
import { DEFAULT_MAX_ATTEMPTS, retryInterceptor, type RetryOptions } from './transport/retry.js';
import type { ImageRepository, Keychain, RegistryClient, RegistryNotice } from './types.js';

export type { RegistryClient } from './types.js';
export { MAX_BYTES } from './client/body.js';
export { MANIFEST_MEDIA_TYPES } from './client/media-types.js';

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
  /**
   * ImageRepository `spec.timeout` by `registry/repository`: one request for that repository,
   * retries included, ends after it, and no silence outlasts it. `setting` names it in errors.
   */
  timeoutByRepository?: ReadonlyMap<string, { ms: number; setting: string }>;
  /** The whole run's time limit (`--timeout`, `spec.timeout`): no request outlives it. */
  runDeadline?: RunDeadline;
  userAgent?: string;
  /** Base dispatcher the stack is composed on (tests). The client then does not close it. */
  dispatcher?: Dispatcher;
  /** Where sockets for a host go (tests keep remote-looking hosts on loopback). Default: DNS. */
  addressOf?: AddressOf;
}

function baseDispatcherFor(options: RegistryClientOptions, timeoutMs: number): Dispatcher {
  const extraCa = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  return createBaseDispatcher({
    common: { ca: extraCa },
    ...(options.tls ? { perHost: options.tls } : {}),
    ...(options.proxy ? { proxy: options.proxy } : {}),
    ...(options.addressOf ? { addressOf: options.addressOf } : {}),
    timeoutMs,
    ...(options.timeoutByHost ? { timeoutByHost: options.timeoutByHost } : {}),
  });
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const timeout = options.timeoutMs ?? 30_000;
  const timeoutFor = (host: string) => options.timeoutByHost?.get(host.toLowerCase()) ?? timeout;
  const userAgent = options.userAgent ?? 'apply-image-policies';
  const base = options.dispatcher ?? baseDispatcherFor(options, timeout);

  const insecure = new Set((options.insecureRegistries ?? []).map((h) => h.toLowerCase()));
  const markedInsecure = (host: string) => insecure.has(host.toLowerCase()) || insecure.has(hostnameOf(host).toLowerCase());
  const credentials = credentialRules(options.keychain ?? anonymousKeychain, markedInsecure);

  const counter: RequestCounter = { count: 0, byRepository: new Map() };
  const rateLimits = new RateLimitTracker();
  const stack = base.compose(
    countingInterceptor(counter),
    rateLimitInterceptor(rateLimits),
    concurrencyInterceptor({ perOrigin: (origin) => options.concurrencyByHost?.get(new URL(origin).host.toLowerCase()) ?? options.concurrency ?? 16 }),
    retryInterceptor(options.retry),
    redirectInterceptor(options.maxRedirects === undefined ? {} : { maxRedirects: options.maxRedirects }),
    authInterceptor({ credentials: credentials.credentialsFor, checkRealm: credentials.checkRealm, onSecret: credentials.addSecret }),
  );

  const schemes = new SchemeResolver({
    insecureRegistries: options.insecureRegistries ?? [],
    probeHttps: httpsProbe({
      base,
      counter,
      userAgent,
      timeoutFor,
      ...(options.addressOf ? { addressOf: options.addressOf } : {}),
      ...(options.runDeadline ? { runDeadline: options.runDeadline } : {}),
    }),
  });
  const requests = registryRequests({
    stack,
    credentials,
    rateLimits,
    schemeOf: (host) => schemes.resolve(host),
    userAgent,
    attempts: Math.max(1, options.retry?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
    timeoutFor,
    repositoryTimeout: (repo) => options.timeoutByRepository?.get(`${repo.registry}/${repo.repository}`),
    hasClientCertificate: (host) => Boolean(options.tls?.get(host.toLowerCase())?.cert),
    ...(options.runDeadline ? { runDeadline: options.runDeadline } : {}),
  });
  const pages: PageLimits = { pageSize: options.pageSize ?? 1000, maxPages: options.maxPages ?? 1000 };

  const notices = (): RegistryNotice[] =>
    rateLimits
      .entries()
      .filter(([, state]) => isLow(state))
      .map(([origin, state]) => ({ severity: 'warning' as const, message: lowRateLimitMessage(origin, state) }));

  const tagLists = new Map<string, Promise<string[]>>();
  const asked = new Set<string>();
  const repoKey = (repo: ImageRepository) => `${repo.registry}/${repo.repository}`;

  return memoizeDigests({
    listTags(repo) {
      const key = repoKey(repo);
      let pending = tagLists.get(key);
      if (!pending) tagLists.set(key, (pending = fetchTags(requests, repo, pages)));
      return pending.then((tags) => [...tags]);
    },
    resolveDigest: (repo, tag) => {
      asked.add(`${repoKey(repo)}:${tag}`);
      return lookupDigest(requests, repo, tag).then((found) => (found as { digest: string }).digest);
    },
    lookupDigest: (repo, tag, opts) => lookupDigest(requests, repo, tag, opts),
    getJson: (repo, path, opts) => getJson(requests, repo, path, opts),
    async imageFacts(repo, digest, needs) {
      const facts = await fetchImageFacts(requests, repo, digest);
      return needs?.created ? withConfigCreated(facts, (image) => fetchImageFacts(requests, repo, image)) : facts;
    },
    // Nothing outlives a run without a cache.
    recallAlias: async () => undefined,
    rememberAlias: async () => {},
    fetchManifest: (repo, reference) => fetchManifest(requests, repo, reference),
    fetchBlob: (repo, digest) => fetchBlob(requests, repo, digest),
    // Without a persistent cache there is nothing to remember across runs.
    recallVerification: () => Promise.resolve(undefined),
    keepVerification: () => Promise.resolve(),
    notices,
    requestCount: () => counter.count,
    usage(repo) {
      const credentialSource = credentials.sourceFor(repo.registry, repo.repository);
      return {
        requests: counter.byRepository?.get(repoKey(repo)) ?? 0,
        cache: { hits: 0, misses: 0 },
        ...(credentialSource ? { credentials: credentialSource } : {}),
      };
    },
    digestSource: (repo, tag) => (asked.has(`${repoKey(repo)}:${tag}`) ? 'registry' : undefined),
    async close() {
      // The run's work is over when it closes: a request still waiting (a probe or a lookup the
      // time limit abandoned) has nobody to answer, and a graceful close would wait out its timeout.
      if (options.dispatcher === undefined) await base.destroy();
    },
  });
}
