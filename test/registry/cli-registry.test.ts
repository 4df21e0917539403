/**
 * The built CLI (KRM mode, as kpt runs it) against real registries: credentials, wrong
 * credentials, a Secret bound to one ImageRepository, transient faults, and the cache across runs.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fluxPolicy, fluxRepository, isolatedEnv, resourceList, runFn, type FnRun } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const PASSWORD = 'Sup3r-Secret-Passw0rd!';

const pod = (policy: string, value = 'old') => `apiVersion: v1
kind: Pod
metadata: {name: ${policy}}
spec:
  containers:
  - name: c
    image: ${value} # {"$imagepolicy": "flux-system:${policy}"}
`;

const pinnedTo = (run: FnRun, image: string, digest: string) => expect(run.stdout).toContain(`image: ${image}@${digest} #`);

function expectNoSecret(run: FnRun, ...secrets: string[]) {
  for (const secret of secrets) {
    for (const form of [secret, b64(secret)]) {
      expect(run.stdout).not.toContain(form);
      expect(run.stderr).not.toContain(form);
    }
  }
}

describe.skipIf(!registryAvailable())('the CLI reaching real registries', () => {
  // The Basic fixture also holds the temp dir every run's HOME lives in.
  const basic = useRegistryFixture({ tempDir: 'aip-cli-registry-', registry: { htpasswd: { user: 'deploy', pass: PASSWORD } }, proxy: true });
  const bearer = useRegistryFixture({ tokenServer: { users: [{ user: 'robot', pass: PASSWORD }] } });
  const open = useRegistryFixture({ proxy: true });
  let basicImage: PushedImage;
  let tokenImage: PushedImage;
  let openImage: PushedImage;

  beforeAll(async () => {
    basicImage = await pushImage(basic.registry, 'private/app', { tags: ['1.0.0'] });
    tokenImage = await pushImage(bearer.registry, 'private/app', { tags: ['1.0.0'] });
    openImage = await pushImage(open.registry, 'public/app', { tags: ['1.0.0'] });
  });

  let runs = 0;
  /** A fresh home per run, with a docker config.json holding `auths`. */
  const envWith = async (auths: Record<string, unknown>) => {
    const dir = join(basic.tempDir, `run-${runs++}`);
    await mkdir(join(dir, 'docker'), { recursive: true });
    await writeFile(join(dir, 'docker', 'config.json'), JSON.stringify({ auths }));
    return isolatedEnv(dir);
  };
  const policy = (name: string, image: string, extra = '') => [fluxRepository(name, image, extra), fluxPolicy(name, name, 'semver:\n  range: 1.x')];

  /**
   * One input run twice on one cache, each run printing Node's own list of the built-in modules it
   * loaded as it exits. The list is taken before anything is written, and written through the
   * descriptor, so the probe loads nothing the run did not.
   */
  const runTwiceOnOneCache = async (name: string): Promise<{ cold: string[]; warm: string[] }> => {
    const probe = join(basic.tempDir, `${name}-probe.cjs`);
    await writeFile(
      probe,
      "process.on('exit', () => { const loaded = JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule '))); require('node:fs').writeSync(2, 'BUILTINS ' + loaded + '\\n'); });\n",
    );
    const builtinsOf = (run: FnRun): string[] => {
      const line = run.stderr.split('\n').find((l) => l.startsWith('BUILTINS '));
      expect(line, run.stderr).toBeDefined();
      return JSON.parse(line!.slice('BUILTINS '.length)) as string[];
    };
    const env = { ...(await envWith({})), NODE_OPTIONS: `--require ${probe}` };
    const cacheDir = join(basic.tempDir, name);
    // IfNotPresent: under the default, Always, each run asks again whether the tag moved.
    const input = resourceList([
      fluxRepository('public', `${open.proxy.host}/public/app`),
      fluxPolicy('public', 'public', 'semver:\n  range: 1.x', '  digestReflectionPolicy: IfNotPresent\n'),
      pod('public'),
    ]);
    const cold = await runFn(input, { args: ['--cache-dir', cacheDir], env });
    expect(cold.code, cold.stderr).toBe(0);
    open.proxy.clear();
    const warm = await runFn(input, { args: ['--cache-dir', cacheDir], env });
    expect(warm.code, warm.stderr).toBe(0);
    pinnedTo(warm, `${open.proxy.host}/public/app:1.0.0`, openImage.digest);
    expect(open.proxy.count()).toBe(0);
    return { cold: builtinsOf(cold), warm: builtinsOf(warm) };
  };

  it('a run the cache answers whole (IfNotPresent digests) loads no HTTP or TLS code at all', async () => {
    // The registry client's transport (undici, node:http, node:tls, node:http2) costs ~25 ms to load.
    const { cold, warm: loaded } = await runTwiceOnOneCache('answered-by-cache');
    // The probe sees what a run with requests loads, so its silence below is not blindness.
    expect(cold).toContain('NativeModule http');
    for (const module of ['http', 'tls', 'http2', '_http_client']) expect(loaded).not.toContain(`NativeModule ${module}`);
  });

  it('a run the cache answers whole loads neither sockets, streams, crypto nor fs/promises', async () => {
    // ~20 ms of a ~140 ms run: stdin and stdout as net.Socket streams, SHA-256 for cache file
    // names, FileHandle and readline for a few small reads.
    const { cold, warm } = await runTwiceOnOneCache('answered-by-cache-lean');
    expect(cold).toContain('NativeModule crypto');
    for (const module of ['net', 'stream', 'crypto', 'fs/promises', 'tty']) expect(warm).not.toContain(`NativeModule ${module}`);
  });

  it('a plain-http local registry costs one TLS attempt before plain http, not two', async () => {
    // Its answer to the ClientHello (a 400 in plain text) already proves it speaks no TLS.
    open.proxy.clear();
    const run = await runFn(resourceList([...policy('public', `${open.proxy.host}/public/app`), pod('public')]), { env: await envWith({}) });
    expect(run.code, run.stderr).toBe(0);
    pinnedTo(run, `${open.proxy.host}/public/app:1.0.0`, openImage.digest);
    expect(open.proxy.tlsAttempts()).toBe(1);
  });

  it('htpasswd (Basic) and token auth with credentials from config.json', async () => {
    const env = await envWith({ [basic.registry.host]: { auth: b64(`deploy:${PASSWORD}`) }, [bearer.registry.host]: { username: 'robot', password: PASSWORD } });
    const run = await runFn(
      resourceList([...policy('basic', `${basic.registry.host}/private/app`), ...policy('token', `${bearer.registry.host}/private/app`), pod('basic'), pod('token')]),
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    pinnedTo(run, `${basic.registry.host}/private/app:1.0.0`, basicImage.digest);
    pinnedTo(run, `${bearer.registry.host}/private/app:1.0.0`, tokenImage.digest);
    expect(bearer.tokenServer.requests().some((r) => r.user === 'robot' && r.granted.includes('repository:private/app:pull'))).toBe(true);
    expectNoSecret(run, PASSWORD);
  });

  it('wrong credentials: exit 1, a result naming the registry, the items unchanged, no secret anywhere', async () => {
    const wrong = 'Wr0ng-But-Still-Secret';
    const env = await envWith({ [basic.registry.host]: { auth: b64(`deploy:${wrong}`) } });
    const run = await runFn(resourceList([...policy('basic', `${basic.registry.host}/private/app`), pod('basic')]), { env });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('image: old #');
    expect(run.stdout).toMatch(new RegExp(`severity: error[\\s\\S]*${basic.registry.host.replace(/\./g, '\\.')}/v2/private/app/tags/list[^\\n]*401 Unauthorized`));
    expectNoSecret(run, wrong, `deploy:${wrong}`);
  });

  it("a Secret named by secretRef is used for that repository only, not for another policy's registry", async () => {
    const secret = `apiVersion: v1
kind: Secret
type: kubernetes.io/dockerconfigjson
metadata: {name: pull, namespace: flux-system}
data:
  .dockerconfigjson: ${b64(JSON.stringify({ auths: { [basic.proxy.host]: { auth: b64(`deploy:${PASSWORD}`) }, [open.proxy.host]: { auth: b64(`deploy:${PASSWORD}`) } } }))}
`;
    basic.proxy.clear();
    open.proxy.clear();
    // The other registry challenges like a private one: the Secret lists it too, but is not bound to it.
    open.proxy.setIntercept((e) => (e.headers.authorization ? undefined : { status: 401, headers: { 'www-authenticate': 'Basic realm="open"' } }));
    const run = await runFn(
      resourceList([
        secret,
        ...policy('bound', `${basic.proxy.host}/private/app`, '  secretRef:\n    name: pull\n'),
        ...policy('other', `${open.proxy.host}/public/app`),
        pod('bound'),
        pod('other'),
      ]),
      { env: await envWith({}) },
    );
    open.proxy.setIntercept(undefined);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`ImagePolicy flux-system/other (${open.proxy.host}/public/app): GET http://${open.proxy.host}/v2/public/app/tags/list?n=1000: 401 Unauthorized`);
    expect(run.stderr).not.toContain('flux-system/bound');
    expect(basic.proxy.requests().some((e) => e.headers.authorization === `Basic ${b64(`deploy:${PASSWORD}`)}`)).toBe(true);
    expect(open.proxy.requests().length).toBeGreaterThan(0);
    expect(open.proxy.requests().filter((e) => e.headers.authorization !== undefined)).toEqual([]);
    expectNoSecret(run, PASSWORD);
  });

  it('429 with Retry-After, then 503, then success: the run pins, with a bounded number of requests', async () => {
    open.proxy.clear();
    let listings = 0;
    open.proxy.setIntercept((e) => {
      if (!e.path.endsWith('/tags/list')) return undefined;
      listings++;
      if (listings === 1) return { status: 429, headers: { 'retry-after': '1' }, body: { errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] } };
      if (listings === 2) return { status: 503, body: 'upstream unavailable' };
      return undefined;
    });
    const run = await runFn(resourceList([...policy('flaky', `${open.proxy.host}/public/app`), pod('flaky')]), { env: await envWith({}) });
    open.proxy.setIntercept(undefined);
    expect(run.code, run.stderr).toBe(0);
    pinnedTo(run, `${open.proxy.host}/public/app:1.0.0`, openImage.digest);
    expect(open.proxy.requests().map((e) => `${e.method} ${e.status}`)).toEqual(['GET 429', 'GET 503', 'GET 200', 'HEAD 200']);
    expect(run.stderr).toMatch(/, [1-6] registry requests,/);
  });

  describe('the cache across runs', () => {
    const fx = useRegistryFixture({ registry: { htpasswd: { user: 'deploy', pass: PASSWORD } }, proxy: true });
    let image: PushedImage;
    let cacheDir: string;
    beforeAll(async () => {
      image = await pushImage(fx.registry, 'team/app', { tags: ['1.0.0', '0.9.0'] });
      cacheDir = join(basic.tempDir, 'shared-cache');
    });

    const input = () => resourceList([...policy('cached', `${fx.proxy.host}/team/app`), pod('cached')]);
    const cachedRun = async (args: string[] = []) =>
      runFn(input(), { args: ['--cache-dir', cacheDir, ...args], env: await envWith({ [fx.proxy.host]: { auth: b64(`deploy:${PASSWORD}`) } }) });

    it('a warm cache makes no tag-list request inside the interval', async () => {
      const first = await cachedRun();
      expect(first.code, first.stderr).toBe(0);
      expect(fx.proxy.count({ path: '/v2/team/app/tags/list' })).toBeGreaterThan(0);
      fx.proxy.clear();
      const second = await cachedRun();
      expect(second.code, second.stderr).toBe(0);
      pinnedTo(second, `${fx.proxy.host}/team/app:1.0.0`, image.digest);
      expect(fx.proxy.count({ path: '/v2/team/app/tags/list' })).toBe(0);
    });

    it('the cache holds no credential or token', async () => {
      const files = await readdir(join(cacheDir, 'v1'));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const text = await readFile(join(cacheDir, 'v1', file), 'utf8');
        for (const form of [PASSWORD, b64(PASSWORD), b64(`deploy:${PASSWORD}`), 'Basic ', 'Bearer ']) expect(text).not.toContain(form);
      }
    });

    it('--offline works with the registry stopped; a cold cache says to run once online', async () => {
      await fx.proxy.stop();
      await fx.registry.stop();
      const offline = await cachedRun(['--offline']);
      expect(offline.code, offline.stderr).toBe(0);
      pinnedTo(offline, `${fx.proxy.host}/team/app:1.0.0`, image.digest);
      const cold = await runFn(input(), { args: ['--offline', '--cache-dir', join(basic.tempDir, 'cold-cache')], env: await envWith({}) });
      expect(cold.code).toBe(1);
      expect(cold.stdout).toContain('not in the cache; run once online');
    });
  });
});
