/**
 * Answers registry auth challenges, the way go-containerregistry's bearer/basic transports do:
 * on a 401, read `WWW-Authenticate`; for Bearer, fetch a token from the realm for the request's
 * repository scope (Basic credentials on a GET, or an OAuth2 refresh-token POST when the
 * credential is an identity token) and retry once; for Basic, retry once with the credentials.
 *
 * What it remembers per origin for the run: the challenge (so later requests send credentials
 * up front instead of collecting a 401 each) and tokens per scope until shortly before they
 * expire. The first request to an unknown origin goes alone; the others wait for it to learn the
 * challenge, so a burst of N requests costs one 401, not N.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AuthError, describeErrorBody, statusText } from '../errors.js';
import type { Credential } from '../types.js';
import { pickChallenge, type Challenge } from './challenge.js';
import type { CountedDispatchOptions } from './count.js';
import {
  bufferedDispatch,
  Downstream,
  headersToObject,
  headerValues,
  originOf,
  type Dispatch,
  type DispatchOptions,
  type Interceptor,
} from './handler.js';

export interface AuthOptions {
  /** Credentials for a registry origin (`https://host[:port]`), undefined for anonymous. */
  credentials: (origin: string, scope?: string) => Promise<Credential | undefined>;
  /**
   * Throws when a token realm may not be used for this registry origin (plain http to a host that
   * is neither loopback nor marked insecure): the realm receives the user's password.
   */
  checkRealm?: (realm: URL, origin: string) => void;
  /**
   * Told every credential-bearing value this interceptor sends or receives (Authorization values,
   * tokens and their parts), so that a registry quoting one back in an error is redacted.
   */
  onSecret?: (value: string) => void;
  /** OAuth2 `client_id` for refresh-token grants. */
  clientId?: string;
  now?: () => number;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

// Greedy name, anchored end: a repository may itself contain a `manifests` or `blobs` component.
const REPO_PATH = /^\/v2\/(.+)\/(?:tags\/list|manifests\/[^/]+|blobs\/uploads\/.*|blobs\/[^/]+|referrers\/[^/]+)$/;

/** `repository:<name>:pull` (or `pull,push` for writes) derived from a distribution API path. */
export function scopeForRequest(method: string, path: string): string | undefined {
  const m = REPO_PATH.exec(path.split('?')[0]!);
  if (!m) return undefined;
  const actions = method === 'GET' || method === 'HEAD' ? 'pull' : 'pull,push';
  return `repository:${decodeURIComponent(m[1]!)}:${actions}`;
}

/**
 * Requests outside the distribution API (vendor APIs such as Quay's `/api/v1/…`) carry the
 * repository scope they need here, since it cannot be read from their path.
 */
export type ScopedDispatchOptions = DispatchOptions & { registryScope?: string };

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function authInterceptor(options: AuthOptions): Interceptor {
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? 'apply-image-policies';
  const challenges = new Map<string, Challenge>();
  const learning = new Map<string, Promise<void>>();
  // Origins that have answered at least once: no need to hold requests back to learn a challenge.
  const seen = new Set<string>();
  const tokens = new Map<string, CachedToken>();
  const fetching = new Map<string, Promise<CachedToken>>();

  const fetchToken = async (dispatch: Dispatch, origin: string, challenge: Challenge, scope: string | undefined, cred: Credential | undefined): Promise<CachedToken> => {
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm!);
    } catch {
      throw new AuthError(`${origin} names a token realm that is not a URL`);
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') throw new AuthError(`${origin} names a token realm with scheme ${realm.protocol}`);
    options.checkRealm?.(realm, origin);
    const service = challenge.params.service;
    const scopes = scope ? scope.split(' ') : [];
    let res: Awaited<ReturnType<typeof bufferedDispatch>> | undefined;
    let method: 'GET' | 'POST' = 'GET';
    if (cred?.identityToken) {
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: clientId });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await bufferedDispatch(dispatch, {
        origin: realm.origin,
        onBehalfOf: new URL(origin).host,
        path: `${realm.pathname}${realm.search}`,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      // Not every token server speaks OAuth2; the distribution token spec says fall back to GET.
      if (res.statusCode === 404 || res.statusCode === 405) res = undefined;
    }
    if (!res) {
      method = 'GET';
      const url = new URL(realm);
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (cred?.username !== undefined && cred.password !== undefined) headers.authorization = remember(basicHeader(cred.username, cred.password))!;
      res = await bufferedDispatch(dispatch, { origin: url.origin, onBehalfOf: new URL(origin).host, path: `${url.pathname}${url.search}`, method: 'GET', headers });
    }
    const where = `${method} ${realm.origin}${realm.pathname}`;
    if (res.statusCode !== 200) {
      const { summary } = describeErrorBody(res.body);
      throw new AuthError(
        `token request ${where} (service ${service ?? '-'}, scope ${scope ?? '-'}): ${res.statusCode} ${statusText(res.statusCode)}${summary ? ` (${summary})` : ''}`.replace(/ +\)/, ')'),
        res.statusCode,
      );
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new AuthError(`token request ${where}: the response is not JSON`);
    }
    const value = typeof body.token === 'string' && body.token ? body.token : body.access_token;
    if (typeof value !== 'string' || !value) throw new AuthError(`token request ${where}: the response has no token`);
    // The token spec's default lifetime is 60 s; renew a little early so a token never dies in flight.
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    return { value, expiresAt: now() + lifetime * 1000 * 0.9 };
  };

  const token = async (dispatch: Dispatch, origin: string, challenge: Challenge, scope: string | undefined, cred: Credential | undefined, fresh: boolean) => {
    const key = `${origin} ${scope ?? ''}`;
    const cached = tokens.get(key);
    if (!fresh && cached && cached.expiresAt > now()) return cached.value;
    let pending = fetching.get(key);
    if (!pending) {
      pending = fetchToken(dispatch, origin, challenge, scope, cred).finally(() => fetching.delete(key));
      fetching.set(key, pending);
    }
    const t = await pending;
    tokens.set(key, t);
    return t.value;
  };

  /** The Authorization value for a request under a known challenge, or undefined when we have none to offer. */
  const remember = (value: string | undefined): string | undefined => {
    if (value === undefined || !options.onSecret) return value;
    options.onSecret(value);
    const credential = value.replace(/^(?:Basic|Bearer)\s+/i, '');
    options.onSecret(credential);
    // A JWT's signature alone is what makes it usable; registries logging bad signatures quote it.
    for (const part of credential.split('.')) if (part.length >= 16) options.onSecret(part);
    return value;
  };

  /** `scope` is the request's own (it picks the credentials); `tokenScope` is what the token is asked for. */
  const authorization = async (dispatch: Dispatch, origin: string, challenge: Challenge, scope: string | undefined, tokenScope: string | undefined, fresh: boolean) =>
    remember(await authorizationFor(dispatch, origin, challenge, scope, tokenScope, fresh));

  const authorizationFor = async (dispatch: Dispatch, origin: string, challenge: Challenge, scope: string | undefined, tokenScope: string | undefined, fresh: boolean) => {
    const cred = await options.credentials(origin, scope);
    if (challenge.scheme === 'basic') {
      return cred?.username !== undefined && cred.password !== undefined ? basicHeader(cred.username, cred.password) : undefined;
    }
    if (cred?.registryToken) return `Bearer ${cred.registryToken}`;
    return `Bearer ${await token(dispatch, origin, challenge, tokenScope, cred, fresh)}`;
  };

  // The scope a registry's challenge named for a request scope (`origin scope` → scope), so later
  // requests for that repository ask for it up front.
  const askedScopes = new Map<string, string>();

  return (dispatch) => (opts, handler) => {
    const down = new Downstream(handler);
    void (async () => {
      const origin = originOf(opts);
      const given = headersToObject(opts.headers);
      // A caller that sets its own Authorization knows better than we do.
      if (given.authorization !== undefined) {
        const outcome = await down.attempt(dispatch, opts, () => false);
        if (outcome.kind === 'error') down.fail(outcome.error);
        return;
      }
      const scope = (opts as ScopedDispatchOptions).registryScope ?? scopeForRequest(opts.method, opts.path);
      // A token fetched for this request is charged to its repository, like the request itself.
      const countAs = (opts as CountedDispatchOptions).countAs;
      const tokenDispatch: Dispatch = countAs === undefined ? dispatch : (o, h) => dispatch({ ...o, countAs } as DispatchOptions, h);

      let learnedHere: (() => void) | undefined;
      if (!seen.has(origin)) {
        const inFlight = learning.get(origin);
        if (inFlight) await inFlight;
        else learning.set(origin, new Promise<void>((resolve) => (learnedHere = resolve)));
      }
      const release = () => {
        if (!learnedHere) return;
        learning.delete(origin);
        learnedHere();
        learnedHere = undefined;
      };
      try {
        let challenge = challenges.get(origin);
        const scopeKey = `${origin} ${scope ?? ''}`;
        // The stored challenge was drawn by some earlier request, perhaps for another repository:
        // its scope is that repository's, so this request asks for its own.
        const upFrontScope = askedScopes.get(scopeKey) ?? scope ?? challenge?.params.scope;
        let sent: string | undefined = challenge ? await authorization(tokenDispatch, origin, challenge, scope, upFrontScope, false) : undefined;
        const withAuth = (value: string | undefined): DispatchOptions => (value ? { ...opts, headers: { ...given, authorization: value } } : opts);

        let heldChallenge: Challenge | undefined;
        const first = await down.attempt(dispatch, withAuth(sent), (status: number, headers: IncomingHttpHeaders) => {
          if (status !== 401) return false;
          heldChallenge = pickChallenge(headerValues(headers, 'www-authenticate'));
          return heldChallenge !== undefined;
        });
        if (heldChallenge) {
          challenges.set(origin, heldChallenge);
          challenge = heldChallenge;
          if (heldChallenge.params.scope) askedScopes.set(scopeKey, heldChallenge.params.scope);
        }
        if (first.kind !== 'error') seen.add(origin);
        release();
        if (first.kind === 'forwarded') return;
        if (first.kind === 'error') return down.fail(first.error);

        // 401 with a challenge we understand: one more try. The challenge's own scope is what the
        // registry wants; ours is the fallback (ggcr does the same). A token refused for that very
        // scope is fetched anew; one for another scope may still come from the cache.
        const retryScope = challenge!.params.scope || scope;
        const refused = sent !== undefined && retryScope === upFrontScope;
        const retry = await authorization(tokenDispatch, origin, challenge!, scope, retryScope, refused);
        if (!retry || (challenge!.scheme === 'basic' && retry === sent)) return down.replay(first.response);
        sent = retry;
        const second = await down.attempt(dispatch, withAuth(sent), () => false);
        if (second.kind === 'error') down.fail(second.error);
      } finally {
        release();
      }
    })().catch((error: Error) => down.fail(error));
    return true;
  };
}
