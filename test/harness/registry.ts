/**
 * Test harness: a real CNCF distribution registry (Debian `docker-registry`, 2.8) per test file.
 *
 * Why a real registry rather than a mock: the 2.8 quirks that break clients (Accept negotiation
 * silently changing digests, `tags/list` ignoring `n`/`last`, upload Location handling) only show up
 * against the real thing. Anything the real registry cannot do (pagination, 429s, redirects) is added
 * in front of it by {@link startProxy} in `proxy.ts`.
 *
 * Typical use:
 * ```ts
 * const available = registryAvailable();
 * describe.skipIf(!available)('my feature', () => {
 *   let reg: RunningRegistry;
 *   beforeAll(async () => { reg = await startRegistry(); });
 *   afterAll(() => reg?.stop());
 *   it('…', async () => {
 *     const img = await pushImage(reg, 'team/app', { tags: ['1.0.0'], kind: 'oci' });
 *   });
 * });
 * ```
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';

export * from './push.js';
export * from './target.js';
export * from './proxy.js';
export * from './certs.js';
export * from './token-server.js';
import type { RegistryTarget } from './target.js';

/** Path of the registry binary; `DOCKER_REGISTRY_BIN` overrides it for machines that put it elsewhere. */
export const REGISTRY_BINARY = process.env.DOCKER_REGISTRY_BIN ?? '/usr/bin/docker-registry';

/** Printed (once per process) when registry tests are skipped, so a skip never goes unnoticed. */
export const REGISTRY_MISSING_MESSAGE =
  `\n*** REGISTRY TESTS SKIPPED: ${REGISTRY_BINARY} not found. ***\n` +
  `*** Install it with \`apt-get install -y docker-registry\` (CNCF distribution 2.8). ***\n` +
  `*** In CI (CI=true) this is an error instead of a skip. ***\n`;

let warned = false;

/**
 * Whether the real registry can be started here. Use it with `describe.skipIf(!registryAvailable())`.
 *
 * Missing binary: throws when `process.env.CI === 'true'` (CI must never silently skip the suite);
 * otherwise warns loudly on stderr (once per process) and returns false.
 */
export function registryAvailable(): boolean {
  if (existsSync(REGISTRY_BINARY)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${REGISTRY_BINARY} is missing and CI=true: registry tests must run in CI`);
  }
  if (!warned) {
    warned = true;
    console.warn(REGISTRY_MISSING_MESSAGE);
  }
  return false;
}

/** One line of the registry's own access log (Apache combined format). */
export interface RequestLogEntry {
  method: string;
  /** Path without the query string, e.g. `/v2/team/app/manifests/1.0.0`. */
  path: string;
  /** Query parameters (last value wins for repeated keys). */
  query: Record<string, string>;
  status: number;
  /** The `user` field of the access log; the registry writes `-` even for authenticated requests. */
  user: string;
  userAgent: string;
}

export interface StartRegistryOptions {
  /**
   * Require HTTP Basic auth (htpasswd, bcrypt). The harness' own pushes authenticate with the first
   * user; more users can be given for tests that need several identities.
   */
  htpasswd?: { user: string; pass: string } | Array<{ user: string; pass: string }>;
  /**
   * Serve HTTPS. `cert`/`key` are PEM text (see {@link generateTestCertificate}). `ca` is the PEM the
   * harness trusts for its own requests; it defaults to `cert` (self-signed).
   */
  tls?: {
    cert: string;
    key: string;
    ca?: string;
    /**
     * Require client certificates signed by this CA (distribution's `http.tls.clientcas`); the
     * harness' own pushes present `clientCert`.
     */
    clientCa?: string;
    clientCert?: { cert: string; key: string };
  };
  /**
   * Require bearer tokens from an external token server (distribution's `auth.token`).
   * `rootCertBundle` is PEM text of the certificate(s) that sign the tokens. The harness cannot mint
   * tokens itself, so pushes need {@link StartRegistryOptions.authorize}.
   */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /**
   * How the harness authorizes its own pushes, given the scope it needs
   * (`repository:<repo>:pull,push`). Defaults to Basic for `htpasswd`, nothing otherwise.
   */
  authorize?: RegistryTarget['authorize'];
  /** Extra top-level config, shallow-merged per section over the generated config (e.g. `{ log: {...} }`). */
  extraConfig?: Record<string, unknown>;
  /** Milliseconds to wait for the `listening on` line. Default 15000. */
  startTimeoutMs?: number;
  /**
   * Listen on this port instead of a random one: for fixtures whose image references are committed
   * (the examples use 127.0.0.1:5055). Default 0 (random).
   */
  port?: number;
}

export interface RunningRegistry extends RegistryTarget {
  /** `127.0.0.1:PORT` — what goes into image references. */
  host: string;
  /** `http://127.0.0.1:PORT` or `https://…` with TLS. */
  url: string;
  /** Temp dir holding config, storage and auth files; removed by {@link RunningRegistry.stop}. */
  rootDir: string;
  configPath: string;
  /**
   * Access-log entries parsed so far. The registry writes its log line just after the response, so
   * right after a request the line may be missing: use {@link RunningRegistry.settledRequests} when
   * counting exactly.
   */
  requests(): RequestLogEntry[];
  /** Waits until every request answered before this call appears in the log, then returns the log. */
  settledRequests(): Promise<RequestLogEntry[]>;
  /** Forget the entries seen so far (the counters restart from zero). */
  clearRequests(): void;
  /** Raw stdout+stderr of the registry process, for debugging failures. */
  logs(): string;
  /** SIGTERM, wait for exit (SIGKILL after 3 s), remove {@link RunningRegistry.rootDir}. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A crashed or interrupted test file must not leave registries behind on a two-core machine.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGTERM');
  });
}

const ACCESS_LINE =
  /^(\S+) \S+ (\S+) \[[^\]]+\] "(\S+) (\S+) [^"]*" (\d{3}) (?:\d+|-) "[^"]*" "([^"]*)"$/;
const SYNC_PARAM = '__harness_sync';

function parseAccessLine(line: string): (RequestLogEntry & { sync?: string }) | undefined {
  const m = ACCESS_LINE.exec(line);
  if (!m) return undefined;
  const url = new URL(m[4]!, 'http://registry.invalid');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const entry: RequestLogEntry & { sync?: string } = {
    method: m[3]!,
    path: url.pathname,
    query,
    status: Number(m[5]),
    user: m[2]!,
    userAgent: m[6]!,
  };
  if (query[SYNC_PARAM] !== undefined) entry.sync = query[SYNC_PARAM];
  return entry;
}

function htpasswdLine(user: string, pass: string): string {
  // -C 4: the lowest bcrypt cost keeps each authenticated request cheap on two cores.
  const out = spawnSync('htpasswd', ['-Bbn', '-C', '4', user, pass], { encoding: 'utf8' });
  if (out.status !== 0) {
    throw new Error(`htpasswd failed (is apache2-utils installed?): ${out.stderr || out.error?.message}`);
  }
  return out.stdout.trim();
}

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

/**
 * Starts a fresh registry on `127.0.0.1:<random port>` with filesystem storage in a temp dir.
 * Stop it in `afterAll`; it is also killed when the test process exits.
 */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<RunningRegistry> {
  if (!registryAvailable()) throw new Error(REGISTRY_MISSING_MESSAGE);
  installExitHook();
  const rootDir = await mkdtemp(join(tmpdir(), 'aip-registry-'));
  const configPath = join(rootDir, 'config.yml');

  const config: Record<string, any> = {
    version: 0.1,
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: join(rootDir, 'data') },
      delete: { enabled: true },
      // Upload purging and redirects would only add noise to request logs.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${opts.port ?? 0}`, secret: 'test-only' },
  };

  const users = opts.htpasswd === undefined ? [] : Array.isArray(opts.htpasswd) ? opts.htpasswd : [opts.htpasswd];
  if (users.length > 0 && opts.token) throw new Error('startRegistry: choose htpasswd or token, not both');
  if (users.length > 0) {
    const file = join(rootDir, 'htpasswd');
    await writeFile(file, users.map((u) => htpasswdLine(u.user, u.pass)).join('\n') + '\n');
    config.auth = { htpasswd: { realm: 'harness-realm', path: file } };
  }
  if (opts.token) {
    const bundle = join(rootDir, 'token-root.pem');
    await writeFile(bundle, opts.token.rootCertBundle);
    config.auth = {
      token: {
        realm: opts.token.realm,
        service: opts.token.service,
        issuer: opts.token.issuer,
        rootcertbundle: bundle,
      },
    };
  }
  let dispatcher: Dispatcher | undefined;
  if (opts.tls) {
    const cert = join(rootDir, 'tls.crt');
    const key = join(rootDir, 'tls.key');
    await writeFile(cert, opts.tls.cert);
    await writeFile(key, opts.tls.key, { mode: 0o600 });
    config.http.tls = { certificate: cert, key };
    if (opts.tls.clientCa) {
      const clientCa = join(rootDir, 'client-ca.crt');
      await writeFile(clientCa, opts.tls.clientCa);
      config.http.tls.clientcas = [clientCa];
    }
    const client = opts.tls.clientCert;
    dispatcher = new Agent({ connect: { ca: opts.tls.ca ?? opts.tls.cert, ...(client ? { cert: client.cert, key: client.key } : {}) } });
  }
  for (const [section, value] of Object.entries(opts.extraConfig ?? {})) {
    config[section] =
      value && typeof value === 'object' && !Array.isArray(value) && typeof config[section] === 'object'
        ? { ...config[section], ...value }
        : value;
  }
  // JSON is valid YAML, and distribution's yaml.v2 parser reads it.
  await writeFile(configPath, JSON.stringify(config, null, 2));

  const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  let entries: Array<RequestLogEntry & { sync?: string }> = [];
  let partial = '';
  const onChunk = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output += text;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const entry = parseAccessLine(line);
      if (entry) entries.push(entry);
    }
  };
  child.stdout!.on('data', onChunk);
  child.stderr!.on('data', onChunk);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));

  const port = await new Promise<number>((resolve, reject) => {
    const timeout = setTimeout(() => {
      cleanup();
      reject(new Error(`registry did not start within ${opts.startTimeoutMs ?? 15000} ms:\n${output}`));
    }, opts.startTimeoutMs ?? 15000);
    const check = () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        cleanup();
        resolve(Number(m[1]));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`registry exited early (code ${code}):\n${output}`));
    };
    const cleanup = () => {
      clearTimeout(timeout);
      child.stdout!.off('data', check);
      child.stderr!.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', onExit);
    check();
  }).catch(async (err) => {
    child.kill('SIGKILL');
    await rm(rootDir, { recursive: true, force: true });
    throw err;
  });

  const host = `127.0.0.1:${port}`;
  const url = `${opts.tls ? 'https' : 'http'}://${host}`;
  const authorize: RegistryTarget['authorize'] =
    opts.authorize ?? (users[0] ? () => basic(users[0]!.user, users[0]!.pass) : undefined);

  let syncCounter = 0;
  let stopped: Promise<void> | undefined;
  const visible = () => entries.filter((e) => e.sync === undefined).map(({ sync: _s, ...e }) => e);

  const registry: RunningRegistry = {
    host,
    url,
    rootDir,
    configPath,
    ...(dispatcher ? { dispatcher } : {}),
    ...(authorize ? { authorize } : {}),
    requests: visible,
    async settledRequests() {
      // The registry logs each request after answering it, on its own goroutine; a marker request
      // sent now is logged after everything answered before it, in practice. Poll for it.
      const marker = String(++syncCounter);
      const res = await request(`${url}/v2/?${SYNC_PARAM}=${marker}`, dispatcher ? { dispatcher } : {});
      await res.body.dump();
      const deadline = Date.now() + 5000;
      while (!entries.some((e) => e.sync === marker)) {
        if (Date.now() > deadline) throw new Error(`registry access log never showed sync marker ${marker}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      // One more tick lets lines written concurrently with the marker arrive too.
      await new Promise((r) => setTimeout(r, 10));
      return visible();
    },
    clearRequests() {
      entries = [];
    },
    logs: () => output,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        await dispatcher?.close();
        await rm(rootDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  return registry;
}
