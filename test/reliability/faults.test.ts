/**
 * The built CLI against a real registry behind a proxy that misbehaves. Every failing run must end
 * within its test timeout with the documented exit code (KRM 1, file mode 2), an error a person can
 * act on, and the input untouched; every run that should heal (a dropped connection, a short 429
 * burst, a slow link) must pin the field.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runFn, type FnRun } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';
import { hugeTagList, startFaultProxy, startSilentServer, type Fault, type FaultProxy, type FaultRequest, type SilentServer } from './fault-proxy.js';
import { krmInput, pinned, writePackage } from './fixtures.js';
import { expectKrmFailureKeepsInput, expectTreeUnchanged, resultsOf, snapshotTree } from './invariants.js';

const TAGS_LIST = /\/tags\/list$/;
const MANIFEST = /\/manifests\//;

// Each case has its own proxy in front of the one registry, so the cases (mostly waiting on
// backoff and process start) run side by side.
describe.skipIf(!registryAvailable()).concurrent('registry faults: the run ends cleanly and loses nothing', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-faults-' });
  let newest: PushedImage;
  const proxies: Array<FaultProxy | SilentServer> = [];

  beforeAll(async () => {
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0', '0.9.0'], kind: 'oci' });
    newest = await pushImage(fx.registry, 'team/app', { tags: ['1.1.0'], kind: 'oci' });
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
  });

  const faultyProxy = async (rule?: (request: FaultRequest) => Fault | undefined): Promise<FaultProxy> => {
    const proxy = await startFaultProxy(fx.registry.url);
    proxies.push(proxy);
    proxy.setFault(rule);
    return proxy;
  };

  let runs = 0;
  const env = (): NodeJS.ProcessEnv => isolatedEnv(join(fx.tempDir, `run-${runs++}`));

  const runKrm = async (proxy: { host: string }, functionConfig?: string, repositorySpec?: string): Promise<{ run: FnRun; input: string }> => {
    const input = krmInput(proxy.host, functionConfig, repositorySpec);
    return { run: await runFn(input, { env: env() }), input };
  };

  const runFiles = async (proxy: FaultProxy): Promise<{ run: FnRun; dir: string; before: Map<string, Buffer> }> => {
    const dir = writePackage(mkdtempSync(join(fx.tempDir, 'pkg-')), proxy.host);
    const before = snapshotTree(dir);
    const run = await runFn('', { args: [dir], env: env(), cwd: dir });
    return { run, dir, before };
  };

  /** Both modes fail with `error`, and neither loses or half-writes anything. */
  const expectBothModesFail = async (proxy: FaultProxy, error: RegExp): Promise<void> => {
    const krm = await runKrm(proxy);
    expectKrmFailureKeepsInput(krm.run, krm.input, error);
    const files = await runFiles(proxy);
    expect(files.run.code, files.run.stderr).toBe(2);
    expect(files.run.stderr).toMatch(error);
    expect(files.run.stderr).toContain('no file was changed');
    expectTreeUnchanged(files.dir, files.before);
  };

  /** Both modes pin the field to the newest 1.x tag and its real digest. */
  const expectBothModesPin = async (proxy: FaultProxy): Promise<void> => {
    const krm = await runKrm(proxy);
    expect(krm.run.code, krm.run.stderr).toBe(0);
    expect(krm.run.stdout).toContain(pinned(proxy.host, '1.1.0', newest.digest));
    const files = await runFiles(proxy);
    expect(files.run.code, files.run.stderr).toBe(0);
    expect(readFileSync(join(files.dir, 'apps', 'web.yaml'), 'utf8')).toContain(pinned(proxy.host, '1.1.0', newest.digest));
  };

  const onlyFirst = (n: number, match: RegExp, fault: Fault) => {
    let hits = 0;
    return (r: FaultRequest): Fault | undefined => (match.test(r.path) && hits++ < n ? fault : undefined);
  };

  describe('faults that heal', () => {
    it('a slow registry (150 ms before every answer) still pins', async () => {
      const proxy = await faultyProxy(() => ({ kind: 'delay', ms: 150 }));
      await expectBothModesPin(proxy);
    });

    it('a connection reset before the answer is retried and the run pins', async () => {
      const resetTags = onlyFirst(1, TAGS_LIST, { kind: 'reset' });
      const resetManifest = onlyFirst(1, MANIFEST, { kind: 'reset' });
      const proxy = await faultyProxy((r) => resetTags(r) ?? resetManifest(r));
      const { run } = await runKrm(proxy);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(pinned(proxy.host, '1.1.0', newest.digest));
      expect(proxy.requests().filter((r) => TAGS_LIST.test(r.path))).toHaveLength(2);
    });

    it('a short 429 burst with Retry-After is waited out and the run pins', async () => {
      const proxy = await faultyProxy(onlyFirst(1, TAGS_LIST, { kind: 'respond', status: 429, headers: { 'retry-after': '1' }, body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' }));
      const { run } = await runKrm(proxy);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(pinned(proxy.host, '1.1.0', newest.digest));
      expect(proxy.requests().filter((r) => TAGS_LIST.test(r.path))).toHaveLength(2);
    });

    it('a malformed Docker-Content-Digest is not trusted: the manifest is fetched and hashed instead', async () => {
      for (const wrong of ['sha256:abc', 'SHA256:' + 'A'.repeat(64), 'md5:d41d8cd98f00b204e9800998ecf8427e', 'garbage']) {
        const proxy = await faultyProxy((r) => (r.method === 'HEAD' && MANIFEST.test(r.path) ? { kind: 'rewrite-headers', headers: { 'docker-content-digest': wrong } } : undefined));
        const { run } = await runKrm(proxy);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toContain(pinned(proxy.host, '1.1.0', newest.digest));
        expect(run.stdout).not.toContain(wrong);
        expect(proxy.requests().filter((r) => r.method === 'GET' && MANIFEST.test(r.path))).toHaveLength(1);
      }
    });

    it('a well-formed but wrong Docker-Content-Digest on HEAD is trusted, as Flux trusts it (undetectable without a GET)', async () => {
      // Checking it would cost a manifest GET per tag, which Docker Hub counts against its pull
      // limit; go-containerregistry (Flux) does not check it either. docs/reliability.md says so.
      const claimed = `sha256:${'f'.repeat(64)}`;
      const proxy = await faultyProxy((r) => (r.method === 'HEAD' && MANIFEST.test(r.path) ? { kind: 'rewrite-headers', headers: { 'docker-content-digest': claimed } } : undefined));
      const { run } = await runKrm(proxy);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(pinned(proxy.host, '1.1.0', claimed));
      expect(proxy.requests().filter((r) => r.method === 'GET' && MANIFEST.test(r.path))).toHaveLength(0);
    });
  });

  describe('faults that fail the run', () => {
    it('connection resets on every try: bounded retries, then a clear error', async () => {
      const proxy = await faultyProxy((r) => (TAGS_LIST.test(r.path) ? { kind: 'reset' } : undefined));
      await expectBothModesFail(proxy, /tags\/list.*(ECONNRESET|socket|closed|reset)/i);
      // Bounded: a few tries per run, not a spin.
      expect(proxy.requests().filter((r) => TAGS_LIST.test(r.path)).length).toBeLessThanOrEqual(10);
    });

    it('a reset in the middle of the tag list body', async () => {
      const proxy = await faultyProxy((r) => (TAGS_LIST.test(r.path) ? { kind: 'reset-mid-body', afterBytes: 20 } : undefined));
      await expectBothModesFail(proxy, /tags\/list/);
    });

    it('a tag list cut short of its Content-Length', async () => {
      const proxy = await faultyProxy((r) => (TAGS_LIST.test(r.path) ? { kind: 'truncate', afterBytes: 20 } : undefined));
      await expectBothModesFail(proxy, /tags\/list/);
    });

    it('a manifest GET cut short (after a HEAD without a digest) fails rather than hashing half a manifest', async () => {
      const proxy = await faultyProxy((r) => {
        if (!MANIFEST.test(r.path)) return undefined;
        if (r.method === 'HEAD') return { kind: 'rewrite-headers', headers: { 'docker-content-digest': undefined } };
        return { kind: 'truncate', afterBytes: 50 };
      });
      await expectBothModesFail(proxy, /manifests\/1\.1\.0/);
    });

    it('a registry that accepts connections and never answers: asked twice, not four times, then named with its timeout', async () => {
      const silent = await startSilentServer();
      proxies.push(silent);
      const config = `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
spec:
  registries:
    - host: ${silent.host}
      timeout: 1s
`;
      const started = performance.now();
      const krm = await runKrm(silent, config);
      const ms = performance.now() - started;
      const host = silent.host.replace(/\./g, '\\.');
      // undici notices a stall within [1 s, 2 s], so the second silence or the 4 s deadline ends it.
      expectKrmFailureKeepsInput(
        krm.run,
        krm.input,
        new RegExp(`tags/list\\?n=1000: (${host} stayed silent for 1s \\(its timeout; spec\\.registries\\[\\]\\.timeout for ${host} sets it\\)|no complete answer from ${host} within 4s, retries included)`),
      );
      // The https probe, then two plain-http attempts: a silent host is not retried like a 503.
      expect(silent.connections()).toBe(3);
      // With the default 30 s and four tries it would have taken over 2 minutes.
      expect(ms).toBeLessThan(12_000);
    });

    it("an ImageRepository's spec.timeout bounds its requests, as in Flux, and the error names that setting", async () => {
      const silent = await startSilentServer();
      proxies.push(silent);
      const started = performance.now();
      const krm = await runKrm(silent, undefined, '  timeout: 2s\n');
      const ms = performance.now() - started;
      const host = silent.host.replace(/\./g, '\\.');
      expectKrmFailureKeepsInput(
        krm.run,
        krm.input,
        new RegExp(`tags/list\\?n=1000: (${host} stayed silent for 2s|no complete answer from ${host} within 2s, retries included) \\(.*ImageRepository flux-system/app spec\\.timeout sets it\\)`),
      );
      // Without it: the run's 60 s limit.
      expect(ms).toBeLessThan(15_000);
    });

    it("no spec.registries timeout: the run's time limit (spec.timeout) ends it, naming the registry and the setting", async () => {
      const silent = await startSilentServer();
      proxies.push(silent);
      const config = `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
spec:
  timeout: 3s
`;
      const started = performance.now();
      const krm = await runKrm(silent, config);
      const ms = performance.now() - started;
      // The whole ResourceList comes back, with the error on the field whose registry never answered.
      expectKrmFailureKeepsInput(
        krm.run,
        krm.input,
        new RegExp(`the run's time limit of 3s passed before ${silent.host.replace(/\./g, '\\.')} answered \\(--timeout or spec\\.timeout sets it\\)`),
      );
      // 3 s from the process start; the registry's own default (30 s × 4 tries) would be minutes.
      expect(ms).toBeLessThan(8_000);
    });

    it('file mode --timeout: the same limit from the command line, and no file is changed', async () => {
      const silent = await startSilentServer();
      proxies.push(silent);
      const dir = writePackage(mkdtempSync(join(fx.tempDir, 'pkg-')), silent.host);
      const before = snapshotTree(dir);
      const started = performance.now();
      const run = await runFn('', { args: ['--timeout', '2s', dir], env: env(), cwd: dir });
      const ms = performance.now() - started;
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(`the run's time limit of 2s passed before ${silent.host} answered (--timeout or spec.timeout sets it)`);
      expect(run.stderr).toContain('no file was changed');
      expectTreeUnchanged(dir, before);
      expect(ms).toBeLessThan(7_000);
    });

    it('a manifest whose bytes do not hash to the digest the registry claims is refused', async () => {
      const proxy = await faultyProxy((r) => {
        if (!MANIFEST.test(r.path)) return undefined;
        // HEAD says nothing, so the manifest is fetched; the GET then claims another digest.
        if (r.method === 'HEAD') return { kind: 'rewrite-headers', headers: { 'docker-content-digest': undefined } };
        return { kind: 'rewrite-headers', headers: { 'docker-content-digest': `sha256:${'0'.repeat(64)}` } };
      });
      await expectBothModesFail(proxy, new RegExp(`says the manifest is sha256:0{64}, but its bytes hash to ${newest.digest}; refusing to pin either`));
    });

    it('a 503 storm: bounded retries, then the status in the error', async () => {
      const proxy = await faultyProxy(() => ({ kind: 'respond', status: 503, headers: { 'content-type': 'text/plain' }, body: 'upstream down' }));
      await expectBothModesFail(proxy, /503 Service Unavailable/);
      expect(proxy.requests().length).toBeLessThanOrEqual(10);
    });

    it('a 429 storm that asks for an hour is not waited for', async () => {
      const proxy = await faultyProxy(() => ({
        kind: 'respond',
        status: 429,
        headers: { 'content-type': 'application/json', 'retry-after': '3600' },
        body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit"}]}',
      }));
      await expectBothModesFail(proxy, /429 Too Many Requests.*TOOMANYREQUESTS/);
    });

    it('endless redirects stop after a few hops', async () => {
      const proxy = await faultyProxy((r) => ({ kind: 'respond', status: 307, headers: { location: `${r.path}?hop=${r.index}` } }));
      await expectBothModesFail(proxy, /redirects/);
      expect(proxy.requests().length).toBeLessThanOrEqual(2 * 4 * 6);
    });

    it('a next-page Link to another host is refused before anything is sent there', async () => {
      // A second host that a hostile Link points to; it must never be asked.
      const elsewhere = await faultyProxy();
      const proxy = await faultyProxy((r) =>
        TAGS_LIST.test(r.path)
          ? {
              kind: 'respond',
              status: 200,
              headers: { 'content-type': 'application/json', link: `<${elsewhere.url}/v2/team/app/tags/list?n=1000&last=1.1.0>; rel="next"` },
              body: JSON.stringify({ name: 'team/app', tags: ['1.0.0', '1.1.0'] }),
            }
          : undefined,
      );
      await expectBothModesFail(proxy, new RegExp(`Link points to ${elsewhere.url.replace(/\./g, '\\.')}`));
      expect(elsewhere.requests()).toHaveLength(0);
    });

    it('a 100 MB tag list is cut off at the size cap with a clear error', async () => {
      const size = 100 * 1024 * 1024;
      const proxy = await faultyProxy((r) =>
        TAGS_LIST.test(r.path) ? { kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: hugeTagList('team/app', size) } : undefined,
      );
      const krm = await runKrm(proxy);
      expectKrmFailureKeepsInput(krm.run, krm.input, /tags\/list.*(too large|exceeds|larger than|limit)/i);
      // The client stopped reading well before the end instead of buffering 100 MB.
      expect(proxy.bodyBytesSent()).toBeLessThan(size / 2);
      expect(resultsOf(krm.run.stdout).some((r) => r.field?.path === 'spec.template.spec.containers[0].image')).toBe(true);
    }, 30_000);
  });
});
