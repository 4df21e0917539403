/**
 * What a broken or hostile registry cannot make the client do: wait past the registry's timeout
 * (silent, trickling, or asking for a long Retry-After), or read more than the caps on a manifest
 * and a token response.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadFunctionConfig } from '../../src/config/function-config.js';
import { createRegistryClient, MAX_BYTES, type RegistryClient, type RegistryClientOptions } from '../../src/registry/client.js';
import { parseRepository } from '../../src/registry/name.js';
import { registrySettings } from '../../src/setup/registry-settings.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { registryAvailable } from '../harness/registry.js';
import { startFaultProxy, startSilentServer, type FaultProxy, type SilentServer } from '../reliability/fault-proxy.js';

const TIMEOUT_MS = 200;
const ATTEMPTS = 4;

/** What the user reads when a registry runs out its time, retries included. */
const deadlineMessage = (method: string, url: string, host: string, timeoutMs: number) =>
  `${method} ${url}: no complete answer from ${host} within ${ATTEMPTS * timeoutMs}ms, retries included (${ATTEMPTS} × its timeout of ${timeoutMs}ms; spec.registries[].timeout for ${host} sets it)`;

/** The error `work` fails with, and how long that took. */
async function timedFailure(work: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = performance.now();
  const error = await work.then(
    () => new Error('expected the request to fail'),
    (e: unknown) => e as Error,
  );
  return { error, ms: performance.now() - started };
}

describe.skipIf(!registryAvailable())('limits a misbehaving registry cannot push past', () => {
  const fx = useRegistryFixture({ proxy: true });
  const clients: RegistryClient[] = [];
  const client = (opts: RegistryClientOptions = {}) => {
    const c = createRegistryClient({ proxy: {}, ...opts });
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    fx.proxy.setIntercept(undefined);
    fx.proxy.clear();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  describe('timeouts (spec.registries[].timeout)', () => {
    let silent: SilentServer;
    let faults: FaultProxy;
    afterAll(async () => {
      await silent?.stop();
      await faults?.stop();
    });

    it('a registry that accepts connections and never answers (not even TLS): ended at 4 × its timeout', async () => {
      silent = await startSilentServer();
      const c = client({ timeoutByHost: new Map([[silent.host, TIMEOUT_MS]]) });
      const { error, ms } = await timedFailure(c.listTags(parseRepository(`${silent.host}/team/app`)));
      expect(error.message).toBe(deadlineMessage('GET', `http://${silent.host}/v2/team/app/tags/list?n=1000`, silent.host, TIMEOUT_MS));
      // The https probe (given no more than the timeout), then plain http. undici's timers tick
      // about once a second, so how many attempts fit in 800 ms varies; the retries of a stall
      // are shown with a 1 s timeout in test/reliability/faults.test.ts.
      expect(silent.connections()).toBeGreaterThanOrEqual(2);
      // Probe 200 ms, then the 800 ms deadline; the default timeout would have taken two minutes.
      expect(ms).toBeGreaterThanOrEqual(ATTEMPTS * TIMEOUT_MS);
      expect(ms).toBeLessThan(3000);
    });

    it('a body that trickles in (never silent for a whole timeout) still ends at the deadline', async () => {
      faults = await startFaultProxy(fx.registry.url);
      faults.setFault(() => ({
        kind: 'respond',
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: async function* () {
          yield '{"name":"team/app","tags":[';
          for (;;) {
            await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS / 4));
            yield '"1",';
          }
        },
      }));
      const c = client({ timeoutByHost: new Map([[faults.host, TIMEOUT_MS]]) });
      const { error, ms } = await timedFailure(c.listTags(parseRepository(`${faults.host}/team/app`)));
      expect(error.message).toBe(deadlineMessage('GET', `http://${faults.host}/v2/team/app/tags/list?n=1000`, faults.host, TIMEOUT_MS));
      expect(ms).toBeGreaterThanOrEqual(ATTEMPTS * TIMEOUT_MS);
      expect(ms).toBeLessThan(3000);
      // A response that has begun is never retried: one request, abandoned mid-body.
      expect(faults.requests().filter((r) => r.path.endsWith('/tags/list'))).toHaveLength(1);
    });

    it('a Retry-After within what we honour is still cut short by the deadline', async () => {
      fx.proxy.setIntercept(() => ({ status: 503, headers: { 'retry-after': '30' } }));
      const c = client({ timeoutByHost: new Map([[fx.proxy.host, TIMEOUT_MS]]) });
      const { error, ms } = await timedFailure(c.resolveDigest(parseRepository(`${fx.proxy.host}/team/app`), '1.0.0'));
      expect(error.message).toBe(deadlineMessage('HEAD', `http://${fx.proxy.host}/v2/team/app/manifests/1.0.0`, fx.proxy.host, TIMEOUT_MS));
      expect(ms).toBeLessThan(3000);
      expect(fx.proxy.count()).toBe(1);
    });

    it('the functionConfig field: a Go duration per registry; zero is refused', () => {
      const config = (timeout: string) =>
        loadFunctionConfig({
          apiVersion: 'fn.apply-image-policies.dev/v1alpha1',
          kind: 'ApplyImagePolicies',
          spec: { registries: [{ host: 'registry.example.test:5000', timeout }] },
        });
      expect(registrySettings(config('1.5s').registries).timeouts).toEqual(new Map([['registry.example.test:5000', 1500]]));
      expect(registrySettings(config('2m').registries).timeouts).toEqual(new Map([['registry.example.test:5000', 120_000]]));
      expect(() => config('0')).toThrow(new ConfigError('invalid functionConfig', ["spec.registries[0].timeout (registry.example.test:5000): '0' is shorter than 1ms"]));
      expect(() => config('soon')).toThrow(/spec\/registries\/0\/timeout|registries\[0\]\.timeout/);
    });
  });

  describe('size caps', () => {
    const manifestOf = (size: number) => Buffer.alloc(size, ' ');

    it(`a manifest of exactly ${MAX_BYTES.manifest} bytes is read and hashed; one byte more is refused`, async () => {
      let body = manifestOf(MAX_BYTES.manifest);
      // No digest header, so the client must GET the manifest and hash it.
      fx.proxy.setIntercept((e) => (e.method === 'HEAD' ? { status: 200, headers: {} } : { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body }));
      const repo = parseRepository(`${fx.proxy.host}/team/app`);
      expect(await client().resolveDigest(repo, 'at-cap')).toBe(`sha256:${createHash('sha256').update(body).digest('hex')}`);

      body = manifestOf(MAX_BYTES.manifest + 1);
      await expect(client().resolveDigest(repo, 'over-cap')).rejects.toThrow(
        `GET http://${fx.proxy.host}/v2/team/app/manifests/over-cap: the response is larger than ${MAX_BYTES.manifest} bytes`,
      );
    });

    it('a token response over 1 MiB is refused, and no token from it is ever sent', async () => {
      const realm = `${fx.proxy.url}/token`;
      fx.proxy.setIntercept((e) =>
        e.path === '/token'
          ? { status: 200, headers: { 'content-type': 'application/json' }, body: `{"token":"${'t'.repeat(1024 * 1024)}"}` }
          : { status: 401, headers: { 'www-authenticate': `Bearer realm="${realm}",service="svc"` } },
      );
      await expect(client().resolveDigest(parseRepository(`${fx.proxy.host}/team/app`), '1.0.0')).rejects.toThrow(
        `HEAD http://${fx.proxy.host}/v2/team/app/manifests/1.0.0: response from ${fx.proxy.url} exceeds ${1024 * 1024} bytes`,
      );
      expect(fx.proxy.requests().map((e) => [e.method, e.path, e.headers.authorization])).toEqual([
        ['HEAD', '/v2/team/app/manifests/1.0.0', undefined],
        ['GET', '/token', undefined],
      ]);
    });
  });
});
