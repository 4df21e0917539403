/**
 * Errors users read in kpt results: they must say which registry, repository and request failed,
 * and must never contain a credential.
 */

export interface RegistryErrorDetails {
  method: string;
  /** Full URL of the failing request (never carries credentials: we never put them in URLs). */
  url: string;
  registry?: string;
  repository?: string;
  status?: number;
  /** First error code of a distribution error body, e.g. `UNAUTHORIZED`, `NAME_UNKNOWN`. */
  code?: string;
  /** The run's time limit ended the request: there is no time left to ask anyone else. */
  runDeadline?: boolean;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
  readonly method: string;
  readonly url: string;
  readonly registry: string | undefined;
  readonly repository: string | undefined;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly runDeadline: boolean;

  constructor(message: string, details: RegistryErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.method = details.method;
    this.url = details.url;
    this.registry = details.registry;
    this.repository = details.repository;
    this.status = details.status;
    this.code = details.code;
    this.runDeadline = details.runDeadline === true;
  }
}

/** Whether `error` or an error in its `cause` chain passes `test` (undici wraps socket errors). */
export function someCause(error: unknown, test: (e: { name?: unknown; code?: unknown }) => boolean): boolean {
  for (let e: any = error; e; e = e.cause) if (test(e)) return true;
  return false;
}

/** Failure to obtain a bearer token from the realm a registry pointed at. */
/** A request that needs a token of its own (`JsonGetOptions.bearer`) found none: it was not sent. */
export class NoTokenError extends Error {
  override name = 'NoTokenError';
}

export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? '';
}

/**
 * Summarises a distribution error body (`{"errors":[{"code","message"}]}`) or a token server's
 * OAuth error, or undefined when the body is neither. Bodies are truncated: they are not ours.
 */
export function describeErrorBody(body: Buffer | undefined): { summary?: string; code?: string } {
  if (!body || body.length === 0) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {
      errors?: Array<{ code?: unknown; message?: unknown }>;
      error?: unknown;
      error_description?: unknown;
      details?: unknown;
    };
    const first = Array.isArray(parsed.errors) ? parsed.errors[0] : undefined;
    if (first && (typeof first.code === 'string' || typeof first.message === 'string')) {
      const code = typeof first.code === 'string' ? first.code : undefined;
      const text = [code, typeof first.message === 'string' ? first.message : undefined].filter(Boolean).join(': ');
      return { summary: text.slice(0, 300), ...(code ? { code } : {}) };
    }
    if (typeof parsed.error === 'string') {
      const text = [parsed.error, typeof parsed.error_description === 'string' ? parsed.error_description : undefined]
        .filter(Boolean)
        .join(': ');
      return { summary: text.slice(0, 300) };
    }
    if (typeof parsed.details === 'string') return { summary: parsed.details.slice(0, 300) };
  } catch {
    // Not JSON: fall through.
  }
  return {};
}

/** Replaces every occurrence of the given secrets (and their base64 forms) with `***`. */
export function redact(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 3) continue;
    for (const form of [secret, Buffer.from(secret).toString('base64')]) out = out.split(form).join('***');
  }
  return out;
}
