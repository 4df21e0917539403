/**
 * One request to a registry through the interceptor stack, read under a size cap, with every
 * failure turned into a {@link RegistryError} that names the request and carries no secret.
 */
import type { Dispatcher } from 'undici';
import { NoTokenError, RegistryError, describeErrorBody, statusText, type RegistryErrorDetails } from '../errors.js';
import type { ScopedDispatchOptions } from '../transport/auth.js';
import type { CountedDispatchOptions } from '../transport/count.js';
import type { RateLimitTracker } from '../transport/rate-limit.js';
import type { ImageRepository, JsonGetOptions } from '../types.js';
import { readCapped } from './body.js';
import type { CredentialRules } from './credentials.js';
import { rateLimitExplanation, runDeadlineReason, transportFailureReason, type RunDeadline } from './wording.js';
import { someCause } from '../errors.js';

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SendOptions {
  accept: string;
  maxBytes: number;
  /** Token scope for requests outside the repository's own paths (vendor APIs). */
  scope?: string;
  headers?: Record<string, string>;
}

export interface RegistryRequests {
  /** `scheme://apiHost` for a repository, once its scheme is known. */
  baseUrl(repo: ImageRepository): Promise<string>;
  send(repo: ImageRepository, method: 'GET' | 'HEAD', url: URL, options: SendOptions): Promise<RegistryResponse>;
  /** `Bearer …` for {@link JsonGetOptions.bearer}, remembered as a secret; NoTokenError when there is none. */
  bearerAuthorization(repo: ImageRepository, url: URL, bearer: NonNullable<JsonGetOptions['bearer']>): Promise<string>;
  /** The error for a response whose status the caller cannot use. */
  httpError(repo: ImageRepository, method: string, url: URL, res: RegistryResponse): RegistryError;
  /** An error about a request that answered with something unusable. */
  fail(repo: ImageRepository, method: string, url: URL, message: string, status?: number): RegistryError;
}

export interface RequestSettings {
  stack: Dispatcher;
  credentials: CredentialRules;
  rateLimits: RateLimitTracker;
  schemeOf(apiHost: string): Promise<string>;
  userAgent: string;
  attempts: number;
  timeoutFor(host: string): number;
  /** A bound of the repository's own (ImageRepository `spec.timeout`) over its host's timeout. */
  repositoryTimeout?(repo: ImageRepository): { ms: number; setting: string } | undefined;
  hasClientCertificate(host: string): boolean;
  /** The whole run's limit: a request cannot outlive it, whatever its host's timeout allows. */
  runDeadline?: RunDeadline;
}

export function registryRequests(settings: RequestSettings): RegistryRequests {
  const { stack, credentials, rateLimits, userAgent, attempts, timeoutFor } = settings;
  const requestOf = (repo: ImageRepository, method: string, url: URL, status?: number): RegistryErrorDetails => ({
    method,
    url: url.toString(),
    registry: repo.registry,
    repository: repo.repository,
    ...(status === undefined ? {} : { status }),
  });
  const error = (message: string, details: RegistryErrorDetails, cause?: unknown) =>
    new RegistryError(credentials.redact(message), details, cause === undefined ? undefined : { cause });

  return {
    async baseUrl(repo) {
      credentials.rememberRegistry(repo.apiHost, repo.registry);
      return `${await settings.schemeOf(repo.apiHost)}://${repo.apiHost}`;
    },
    async send(repo, method, url, { accept, maxBytes, scope, headers }) {
      const own = settings.repositoryTimeout?.(repo);
      const silenceMs = own ? Math.min(own.ms, timeoutFor(url.host)) : timeoutFor(url.host);
      const deadlineMs = own ? own.ms : attempts * silenceMs;
      const runLeftMs = settings.runDeadline ? settings.runDeadline.at - Date.now() : Infinity;
      if (settings.runDeadline && runLeftMs <= 0) throw error(`${method} ${url}: ${runDeadlineReason(url, settings.runDeadline)}`, { ...requestOf(repo, method, url), runDeadline: true });
      const endsWithRun = runLeftMs < deadlineMs;
      try {
        const request: Dispatcher.RequestOptions & Pick<ScopedDispatchOptions, 'registryScope'> & Pick<CountedDispatchOptions, 'countAs'> = {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method,
          headers: { ...headers, accept, 'user-agent': userAgent },
          // headers/body timeouts bound each silence; the signal bounds the whole request, retries included.
          headersTimeout: silenceMs,
          bodyTimeout: silenceMs,
          signal: AbortSignal.timeout(Math.max(1, Math.floor(Math.min(deadlineMs, runLeftMs)))),
          ...(scope ? { registryScope: scope } : {}),
          countAs: `${repo.registry}/${repo.repository}`,
        };
        const res = await stack.request(request);
        const body = await readCapped(res.body, maxBytes);
        return { status: res.statusCode, headers: res.headers, body };
      } catch (cause) {
        const runEnded = settings.runDeadline && endsWithRun && someCause(cause, (c) => c.name === 'TimeoutError');
        const reason = runEnded
          ? runDeadlineReason(url, settings.runDeadline!)
          : transportFailureReason(cause, { url, silenceMs, deadlineMs, attempts, hasClientCertificate: settings.hasClientCertificate(url.host), ...(own ? { setting: own.setting } : {}) });
        throw error(`${method} ${url}: ${reason}`, { ...requestOf(repo, method, url), ...(runEnded ? { runDeadline: true } : {}) }, cause);
      }
    },
    async bearerAuthorization(repo, url, bearer) {
      const token = 'token' in bearer ? bearer.token : await credentials.passwordFor(bearer.passwordOf, repo.repository, url.origin);
      if (!token) throw new NoTokenError(`no token for ${url.host}${'passwordOf' in bearer ? ` (none given, and no password for ${bearer.passwordOf})` : ''}`);
      credentials.addSecret(token);
      return `Bearer ${token}`;
    },
    httpError(repo, method, url, res) {
      const { summary, code } = describeErrorBody(res.body);
      const text = `${res.status} ${statusText(res.status)}`.trim();
      const why = rateLimitExplanation(url, res.status, res.headers, rateLimits.get(url.origin));
      return error(`${method} ${url}: ${text}${summary ? ` (${summary})` : ''}${why}`, { ...requestOf(repo, method, url, res.status), ...(code ? { code } : {}) });
    },
    fail: (repo, method, url, message, status) => error(`${method} ${url}: ${message}`, requestOf(repo, method, url, status)),
  };
}
