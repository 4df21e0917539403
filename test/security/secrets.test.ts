/**
 * Credentials never leave the process: not on stdout (results), not on stderr, not in the cache.
 * Each credential is distinctive, so a leak in any encoding we can think of (as written, base64
 * alone, the `user:password` pair in base64 as HTTP Basic sends it, a bearer JWT) is found by a
 * plain substring search. Registries are real: htpasswd (Basic) and a token server (Bearer), with
 * credentials from a docker config.json (`auth`, `identitytoken`) and from a Kubernetes Secret
 * among the inputs. Some runs face a registry that echoes the Authorization header back in its
 * error body, which is what a badly written registry or proxy does.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fluxPolicy, fluxRepository, isolatedEnv, resourceList, runFn, type FnRun } from '../e2e/run-fn.js';
import { filesBelow } from '../harness/files.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage, type RunningProxy } from '../harness/registry.js';

const BASIC = { user: 'aip-robot-basic', pass: 'htpasswd-Pa55-c0rrect-HORSE-41' };
const TOKEN_USER = { user: 'aip-robot-token', pass: 'token-Pa55-battery-STAPLE-82' };
const REFRESH_TOKEN = 'refresh-T0ken-9f8e7d6c5b4a-opaque';
const WRONG_PASS = 'wr0ng-But-Still-S3cret-q7';
const NO_COLON_AUTH = 'nocolonButS3cretValue-55';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Every form in which a credential could escape. */
function leakForms(): string[] {
  const forms: string[] = [];
  for (const [user, pass] of [
    [BASIC.user, BASIC.pass],
    [TOKEN_USER.user, TOKEN_USER.pass],
    [BASIC.user, WRONG_PASS],
  ] as const) {
    forms.push(pass, b64(pass), b64(`${user}:${pass}`));
  }
  forms.push(REFRESH_TOKEN, b64(REFRESH_TOKEN), NO_COLON_AUTH, b64(NO_COLON_AUTH));
  return forms;
}

/** A JWT as the token server issues them (header `{"alg":"ES256",…`). */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

function expectNoSecret(where: string, text: string): void {
  for (const form of leakForms()) expect(text.includes(form), `${where} contains a credential (${form.slice(0, 6)}…)`).toBe(false);
  expect(JWT.exec(text)?.[0], `${where} contains a bearer token`).toBeUndefined();
}

/** Every regular file below `dir` (the cache, HOME), scanned as text. Returns how many were read. */
function expectNoSecretInFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  const files = filesBelow(dir);
  for (const path of files) expectNoSecret(join(dir, path), readFileSync(join(dir, path), 'latin1'));
  return files.length;
}

describe.skipIf(!registryAvailable())('no credential in any output, result, error or cache file', () => {
  // Proxies in front of each, so a registry can be made to echo what it received. The Basic
  // fixture also holds the file's temp dir (docker configs, packages, the scanned homes).
  const basic = useRegistryFixture({ tempDir: 'aip-secrets-', registry: { htpasswd: BASIC }, proxy: true });
  const bearer = useRegistryFixture({ tokenServer: { users: [TOKEN_USER], refreshTokens: { [REFRESH_TOKEN]: TOKEN_USER.user } }, proxy: true });
  let basicNewest: PushedImage;
  let tokenNewest: PushedImage;
  /** Each run's HOME and XDG_CACHE_HOME live below this, scanned at the end; credentials live elsewhere. */
  let homes: string;
  let runs = 0;

  beforeAll(async () => {
    homes = join(basic.tempDir, 'homes');
    mkdirSync(homes);
    for (const registry of [basic.registry, bearer.registry]) await pushImage(registry, 'team/app', { tags: ['1.0.0'], kind: 'oci' });
    basicNewest = await pushImage(basic.registry, 'team/app', { tags: ['1.1.0'], kind: 'oci' });
    tokenNewest = await pushImage(bearer.registry, 'team/app', { tags: ['1.1.0'], kind: 'oci' });
  });

  /** A docker config.json outside HOME (it holds the secret on purpose); returns its folder. */
  const dockerConfig = (auths: Record<string, Record<string, string>>): string => {
    const dir = join(basic.tempDir, `docker-${runs++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths }));
    return dir;
  };
  // A fresh cache per run: a cached tag list would spare the request a test wants answered.
  const env = (dockerConfigDir: string): NodeJS.ProcessEnv => ({ ...isolatedEnv(join(homes, `run-${runs++}`)), DOCKER_CONFIG: dockerConfigDir });

  const repositoryDoc = (host: string, secretRef?: string): string =>
    fluxRepository('app', `${host}/team/app`, secretRef ? `  secretRef:\n    name: ${secretRef}\n` : '');

  const workloadDoc = (host: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${host}/team/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
`;

  const krmInput = (host: string, extra: string[] = [], secretRef?: string): string =>
    resourceList([repositoryDoc(host, secretRef), fluxPolicy('app', 'app', 'semver:\n  range: 1.x'), workloadDoc(host), ...extra]);

  /** stdout past the echoed input (the results), and stderr: what the function itself wrote. */
  const expectCleanRun = (run: FnRun, input: string): void => {
    const own = run.stdout.startsWith(input) ? run.stdout.slice(input.length) : run.stdout;
    expectNoSecret('the results on stdout', own);
    expectNoSecret('stderr', run.stderr);
  };

  /** Authorization values the echoing registry saw, so the test can look for exactly those. */
  const echoed: string[] = [];
  /**
   * Makes the registry answer an authenticated tag-list request with a 400 whose error message
   * quotes the credential: the whole header, or (as a registry logging a bad signature does) only
   * the last dot-separated part of a token, which is what makes a JWT usable.
   */
  const echoAuthorization = (proxy: RunningProxy, quote: (authorization: string) => string = (a) => a): void => {
    echoed.length = 0;
    proxy.setIntercept((entry) => {
      const authorization = entry.headers.authorization;
      if (!authorization || !/tags\/list/.test(entry.path)) return undefined;
      echoed.push(authorization);
      return {
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: { errors: [{ code: 'DENIED', message: `rejected credential ${quote(authorization)}` }] },
      };
    });
  };
  const expectEchoedValuesAbsent = (run: FnRun, input: string, part: (authorization: string) => string): void => {
    expect(echoed.length).toBeGreaterThan(0);
    const own = run.stdout.slice(input.length) + run.stderr;
    for (const authorization of echoed) expect(own.includes(part(authorization)), 'the echoed credential reached the output').toBe(false);
  };
  const lastSegment = (authorization: string): string => authorization.split('.').pop()!;

  describe('HTTP Basic (htpasswd) with a docker config `auth` entry', () => {
    it('a successful run, KRM and file mode', async () => {
      basic.proxy.setIntercept(undefined);
      const docker = dockerConfig({ [basic.proxy.host]: { auth: b64(`${BASIC.user}:${BASIC.pass}`) } });
      const input = krmInput(basic.proxy.host);
      const run = await runFn(input, { env: env(docker) });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`${basic.proxy.host}/team/app:1.1.0@${basicNewest.digest}`);
      // The credential really was sent: otherwise this test proves nothing.
      expect(basic.proxy.requests().some((r) => r.headers.authorization === `Basic ${b64(`${BASIC.user}:${BASIC.pass}`)}`)).toBe(true);
      expectCleanRun(run, input);

      const pkg = join(basic.tempDir, `pkg-${runs++}`);
      mkdirSync(pkg);
      writeFileSync(join(pkg, 'all.yaml'), [repositoryDoc(basic.proxy.host), fluxPolicy('app', 'app', 'semver:\n  range: 1.x'), workloadDoc(basic.proxy.host)].join('---\n'));
      const files = await runFn('', { args: ['.'], env: env(docker), cwd: pkg });
      expect(files.code, files.stderr).toBe(0);
      expectCleanRun(files, '');
    });

    it('a wrong password: the 401 is reported, the password is not', async () => {
      basic.proxy.setIntercept(undefined);
      const docker = dockerConfig({ [basic.proxy.host]: { auth: b64(`${BASIC.user}:${WRONG_PASS}`) } });
      const input = krmInput(basic.proxy.host);
      const run = await runFn(input, { env: env(docker) });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/401|UNAUTHORIZED|unauthorized/i);
      expectCleanRun(run, input);
    });

    it('a registry that echoes the Authorization header in its error body', async () => {
      echoAuthorization(basic.proxy);
      const docker = dockerConfig({ [basic.proxy.host]: { auth: b64(`${BASIC.user}:${BASIC.pass}`) } });
      const input = krmInput(basic.proxy.host);
      const run = await runFn(input, { env: env(docker) });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/400.*DENIED/);
      expectEchoedValuesAbsent(run, input, (a) => a.replace(/^Basic /, ''));
      expectCleanRun(run, input);
    });

    it('a config.json `auth` that is not user:password is named by file and key, not by value', async () => {
      basic.proxy.setIntercept(undefined);
      const docker = dockerConfig({ [basic.proxy.host]: { auth: b64(NO_COLON_AUTH) } });
      const input = krmInput(basic.proxy.host);
      const run = await runFn(input, { env: env(docker) });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(join(docker, 'config.json'));
      expect(run.stderr).toContain(basic.proxy.host);
      expectCleanRun(run, input);
    });

    it('a Kubernetes Secret among the inputs: nothing beyond the Secret item itself carries it', async () => {
      basic.proxy.setIntercept(undefined);
      const dockerconfigjson = b64(JSON.stringify({ auths: { [basic.proxy.host]: { auth: b64(`${BASIC.user}:${BASIC.pass}`) } } }));
      const secret = `apiVersion: v1
kind: Secret
type: kubernetes.io/dockerconfigjson
metadata:
  name: pull-creds
  namespace: flux-system
data:
  .dockerconfigjson: ${dockerconfigjson}
`;
      const input = krmInput(basic.proxy.host, [secret], 'pull-creds');
      const run = await runFn(input, { env: env(dockerConfig({})) });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`${basic.proxy.host}/team/app:1.1.0@${basicNewest.digest}`);
      expectCleanRun(run, input);
      expect(run.stdout.slice(input.length)).not.toContain(dockerconfigjson);
    });
  });

  describe('Bearer tokens from a token server', () => {
    it('username and password: the run pins and neither they nor the token show', async () => {
      bearer.proxy.setIntercept(undefined);
      const docker = dockerConfig({ [bearer.proxy.host]: { username: TOKEN_USER.user, password: TOKEN_USER.pass } });
      const input = krmInput(bearer.proxy.host);
      const run = await runFn(input, { env: env(docker) });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`${bearer.proxy.host}/team/app:1.1.0@${tokenNewest.digest}`);
      expectCleanRun(run, input);
    });

    it('an identity (refresh) token: the run pins and neither it nor the access token show', async () => {
      bearer.proxy.setIntercept(undefined);
      const docker = dockerConfig({ [bearer.proxy.host]: { identitytoken: REFRESH_TOKEN } });
      const input = krmInput(bearer.proxy.host);
      const run = await runFn(input, { env: env(docker) });
      expect(run.code, run.stderr).toBe(0);
      expect(bearer.tokenServer.requests().some((r) => r.method === 'POST' && r.params.grant_type === 'refresh_token')).toBe(true);
      expectCleanRun(run, input);
    });

    it.each([
      { name: 'the whole header', quote: (a: string) => a },
      { name: 'the signature part of the token', quote: lastSegment },
    ])('a registry that echoes the bearer token in its error body: $name', async ({ quote }) => {
      echoAuthorization(bearer.proxy, quote);
      const docker = dockerConfig({ [bearer.proxy.host]: { username: TOKEN_USER.user, password: TOKEN_USER.pass } });
      const input = krmInput(bearer.proxy.host);
      const run = await runFn(input, { env: env(docker) });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/400.*DENIED/);
      expectEchoedValuesAbsent(run, input, lastSegment);
      expectCleanRun(run, input);
    });
  });

  it('no file under HOME or the cache holds a credential after all these runs', () => {
    const scanned = expectNoSecretInFiles(homes);
    // The successful runs above wrote tag lists and digests to the cache, if there is one.
    console.info(`scanned ${scanned} file(s) under ${homes}`);
  });
});
