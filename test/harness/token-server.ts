/**
 * A Docker-style token server for registries started with `startRegistry({ token })`: the real
 * distribution registry verifies the ES256 JWTs it issues, so clients are tested against genuine
 * bearer auth (challenge → token → retry) rather than a simulation.
 *
 * ```ts
 * const ts = await startTokenServer({ users: [{ user: 'bob', pass: 'pw' }] });
 * const reg = await startRegistry({ token: ts.registryAuth, authorize: ts.authorize });
 * ```
 * Tokens: header `alg: ES256` with `x5c` = the signing certificate; claims `iss`, `sub`, `aud`
 * (= service), `exp`, `nbf`, `iat`, `jti`, `access`; signature in IEEE-P1363 form, as
 * distribution expects.
 */
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateTestCertificate } from './certs.js';

export interface TokenServerOptions {
  /** Accounts accepted with HTTP Basic on `GET /token`. */
  users?: Array<{ user: string; pass: string }>;
  /** Refresh (identity) tokens accepted on `POST /token` (grant_type=refresh_token) → subject. */
  refreshTokens?: Record<string, string>;
  /** Grant `pull` to requests without credentials. Default false. */
  anonymousPull?: boolean;
  /** Token lifetime in seconds (`expires_in`). Default 300. */
  expiresIn?: number;
  service?: string;
  issuer?: string;
  /** Serve https with this certificate (a private CA's, say) instead of plain http. */
  tls?: { cert: string; key: string };
}

export interface TokenRequestLogEntry {
  method: string;
  /** Query (GET) or form (POST) parameters; `scope` values joined with a space. */
  params: Record<string, string>;
  /** The Basic user, if any (never the password). */
  user?: string;
  status: number;
  /** Access granted, as `type:name:actions` strings. */
  granted: string[];
}

export interface RunningTokenServer {
  /** `http://127.0.0.1:PORT/token` (`https://` with {@link TokenServerOptions.tls}). */
  realm: string;
  service: string;
  issuer: string;
  /** PEM of the signing certificate, for the registry's `rootcertbundle`. */
  rootCertBundle: string;
  /** Exactly what `startRegistry({ token })` wants. */
  registryAuth: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** `Bearer <token>` with full access to `scope` (for the harness' own pushes). */
  authorize: (scope: string) => string;
  /** Mints a token for any subject and access list (for hand-made or expired tokens). */
  mint: (subject: string, access: AccessEntry[], lifetimeSeconds?: number) => string;
  requests(): TokenRequestLogEntry[];
  clear(): void;
  stop(): Promise<void>;
}

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function parseScope(scope: string): AccessEntry | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

export async function startTokenServer(opts: TokenServerOptions = {}): Promise<RunningTokenServer> {
  const service = opts.service ?? 'harness-registry';
  const issuer = opts.issuer ?? 'harness-token-issuer';
  const expiresIn = opts.expiresIn ?? 300;
  // generateTestCertificate makes an EC P-256 key: exactly what ES256 needs.
  const { cert, key } = generateTestCertificate(['127.0.0.1']);
  const signingKey: KeyObject = createPrivateKey(key);
  const x5c = cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const log: TokenRequestLogEntry[] = [];

  const mint = (subject: string, access: AccessEntry[], lifetime = expiresIn): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [x5c] };
    const claims = { iss: issuer, sub: subject, aud: service, exp: now + lifetime, nbf: now - 1, iat: now, jti: randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(input), { key: signingKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(signature)}`;
  };

  const listener: RequestListener = (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://token.invalid');
      const entry: TokenRequestLogEntry = { method: req.method ?? 'GET', params: {}, status: 200, granted: [] };
      log.push(entry);
      const reply = (status: number, body: object) => {
        entry.status = status;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname !== '/token') return reply(404, { details: 'not found' });

      let params: URLSearchParams;
      let subject: string | undefined;
      if (req.method === 'POST') {
        params = new URLSearchParams(await readBody(req));
        if (params.get('grant_type') !== 'refresh_token') return reply(400, { error: 'unsupported_grant_type' });
        subject = opts.refreshTokens?.[params.get('refresh_token') ?? ''];
        if (!subject) return reply(401, { error: 'invalid_grant', error_description: 'unknown refresh token' });
      } else {
        params = url.searchParams;
        const auth = req.headers.authorization;
        if (auth) {
          const [user, ...rest] = Buffer.from(auth.replace(/^Basic\s+/i, ''), 'base64').toString('utf8').split(':');
          entry.user = user;
          const ok = opts.users?.some((u) => u.user === user && u.pass === rest.join(':'));
          if (!ok) return reply(401, { details: 'incorrect username or password' });
          subject = user;
        }
      }
      for (const [k, v] of params) entry.params[k] = entry.params[k] === undefined ? v : `${entry.params[k]} ${v}`;
      if (params.get('service') !== service) return reply(400, { details: `unknown service ${params.get('service')}` });

      const requested = params
        .getAll('scope')
        .flatMap((s) => s.split(' '))
        .map(parseScope)
        .filter((a): a is AccessEntry => a !== undefined);
      let access: AccessEntry[];
      if (subject) access = requested;
      else if (opts.anonymousPull) access = requested.map((a) => ({ ...a, actions: a.actions.filter((x) => x === 'pull') }));
      else return reply(401, { details: 'authentication required' });
      entry.granted = access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`);

      const token = mint(subject ?? '', access);
      // Both spellings, as Docker Hub does: clients read either.
      reply(200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() });
    })().catch((err: Error) => {
      res.writeHead(500);
      res.end(err.message);
    });
  };
  const server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const realm = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}/token`;

  return {
    realm,
    service,
    issuer,
    rootCertBundle: cert,
    registryAuth: { realm, service, issuer, rootCertBundle: cert },
    authorize: (scope) => {
      const access = scope.split(' ').map(parseScope).filter((a): a is AccessEntry => a !== undefined);
      return `Bearer ${mint('harness', access)}`;
    },
    mint,
    requests: () => [...log],
    clear: () => {
      log.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
