/**
 * How a failed request is put into words. Users read these in kpt results, so each one says
 * what happened in terms of a setting they can change.
 */
import { someCause } from '../errors.js';
import { headerValue } from '../http-headers.js';
import type { RateLimitState } from '../transport/rate-limit.js';
import { parseRetryAfter } from '../transport/retry.js';

/** Milliseconds as a Go duration a user could write back into the config: 500ms, 30s, 2m. */
export function humanDuration(ms: number): string {
  return ms % 1000 === 0 ? humanSeconds(ms / 1000) : `${ms}ms`;
}

export function humanSeconds(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

const CERT_ERROR = /^(?:CERT_|ERR_TLS_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(?:VERIFY|GET_ISSUER))/;

export function isCertificateError(error: unknown): boolean {
  return someCause(error, (e) => typeof e.code === 'string' && CERT_ERROR.test(e.code));
}

const MTLS_HINT =
  ' (the registry closed the TLS connection; if it requires a client certificate, set certFile and keyFile for it in spec.registries[], or tls.crt and tls.key in the ImageRepository certSecretRef Secret)';

export interface FailureContext {
  url: URL;
  /** The per-attempt silence allowed, and the whole request's deadline, in ms. */
  silenceMs: number;
  deadlineMs: number;
  attempts: number;
  /** Whether a client certificate is configured for this host (then a hang-up is not about one). */
  hasClientCertificate: boolean;
  /** Where the bound was set when it is the repository's own (ImageRepository `spec.timeout`). */
  setting?: string;
}

/** The run's own time limit, as a request still waiting when it passed reports it. */
export interface RunDeadline {
  /** When the run must end, in `Date.now()` ms. */
  at: number;
  /** The limit as configured, for the message. */
  limitMs: number;
  /** Where the user changes it: `--timeout or spec.timeout`. */
  setting: string;
}

export function runDeadlineReason(url: URL, deadline: RunDeadline): string {
  return `the run's time limit of ${humanDuration(deadline.limitMs)} passed before ${url.host} answered (${deadline.setting} sets it)`;
}

/** Why a request produced no response at all: a deadline, a silence, or what the socket said. */
export function transportFailureReason(error: unknown, { url, silenceMs, deadlineMs, attempts, hasClientCertificate, setting: own }: FailureContext): string {
  const setting = own ? `${own} sets it` : `spec.registries[].timeout for ${url.host} sets it`;
  const e = error as Error & { code?: string };
  const reason = someCause(error, (c) => c.name === 'TimeoutError')
    ? own
      ? `no complete answer from ${url.host} within ${humanDuration(deadlineMs)}, retries included (${setting})`
      : `no complete answer from ${url.host} within ${humanDuration(deadlineMs)}, retries included (${attempts} × its timeout of ${humanDuration(silenceMs)}; ${setting})`
    : someCause(error, (c) => c.code === 'UND_ERR_HEADERS_TIMEOUT' || c.code === 'UND_ERR_BODY_TIMEOUT' || c.code === 'UND_ERR_CONNECT_TIMEOUT')
      ? `${url.host} stayed silent for ${humanDuration(silenceMs)} (its timeout; ${setting})`
      : e.message || e.code || String(error);
  const hungUp = someCause(error, (c) => c.code === 'UND_ERR_SOCKET' || c.code === 'ECONNRESET');
  return url.protocol === 'https:' && hungUp && !hasClientCertificate ? `${reason}${MTLS_HINT}` : reason;
}

/** Why a 429 happened: how many requests remain and when the window resets, if known. Empty for other statuses. */
export function rateLimitExplanation(url: URL, status: number, headers: Record<string, string | string[] | undefined>, state: RateLimitState | undefined): string {
  if (status !== 429) return '';
  const parts = [`the rate limit of ${url.host} is exhausted`];
  if (state) parts.push(`${state.remaining}${state.limit !== undefined ? ` of ${state.limit}` : ''} requests remain${state.windowSeconds !== undefined ? ` per ${humanSeconds(state.windowSeconds)} window` : ''}`);
  const retryAfter = parseRetryAfter(headerValue(headers, 'retry-after'), Date.now());
  if (retryAfter !== undefined) parts.push(`it resets in about ${humanSeconds(Math.ceil(retryAfter / 1000))}`);
  else parts.push('try again later, or log in to raise the limit');
  return `; ${parts.join('; ')}`;
}

/** The warning a run ends with when a registry's rate-limit window is nearly used up. */
export function lowRateLimitMessage(origin: string, state: RateLimitState): string {
  return `${new URL(origin).host}: only ${state.remaining}${state.limit !== undefined ? ` of ${state.limit}` : ''} requests left in the registry's rate-limit window${state.windowSeconds !== undefined ? ` (${humanSeconds(state.windowSeconds)})` : ''}; further runs may fail with 429 until it resets (logging in raises Docker Hub's limit)`;
}
