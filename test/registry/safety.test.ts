/**
 * What must never happen with a user's credentials, and what a run says about rate limits.
 */
import { createServer as createTcpServer, connect } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadFunctionConfig } from '../../src/config/function-config.js';
import { createRegistryClient, type RegistryClient } from '../../src/registry/client.js';
import { parseRepository } from '../../src/registry/name.js';
import type { Keychain } from '../../src/registry/types.js';
import { createRunRegistry } from '../../src/setup/registry.js';
import { isolatedEnv } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { generateTestCertificate, pushImage, registryAvailable, startProxy, startRegistry, type PushedImage } from '../harness/registry.js';

const PASSWORD = 'never-over-http-9';
const keychain: Keychain = { resolve: async () => ({ username: 'u', password: PASSWORD }) };

/** A minimal HTTP CONNECT proxy, as corporate networks run them. */
async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; stop: () => Promise<void> }> {
  const tunnels: string[] = [];
  const server = createTcpServer((client) => {
    client.once('data', (head) => {
      const [, target] = /^CONNECT (\S+) HTTP/.exec(head.toString('latin1')) ?? [];
      if (!target) return client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
      tunnels.push(target);
      const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
      const upstream = connect(port, host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client).pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    tunnels,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Private-range registries get plain http (as in Flux), so the credential rule is tested with
 * private-range literals; this workplace forbids traffic to those ranges, so the client opens every
 * socket on loopback instead, and records which host each one was for.
 */
function loopbackOnly(): { addressOf: (hostname: string) => string; asked: string[] } {
  const asked: string[] = [];
  return { asked, addressOf: (hostname) => (asked.push(hostname), '127.0.0.1') };
}

describe.skipIf(!registryAvailable())('credential safety and rate limits', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-safety-', registry: { htpasswd: { user: 'u', pass: PASSWORD } }, proxy: true });
  let image: PushedImage;
  const clients: RegistryClient[] = [];
  const runRegistry = (registries: object[] = [], env: NodeJS.ProcessEnv = {}) => {
    const config = loadFunctionConfig({ apiVersion: 'fn.apply-image-policies.dev/v1alpha1', kind: 'ApplyImagePolicies', spec: { registries, cache: { disabled: true } } });
    const r = createRunRegistry(config, [], new Map(), { offline: false, env: { ...isolatedEnv(fx.tempDir), ...env }, warn: () => {} });
    clients.push(r);
    return r;
  };

  beforeAll(async () => {
    image = await pushImage(fx.registry, 'team/app', { tags: ['1.0.0'] });
  });
  afterEach(async () => {
    fx.proxy.setIntercept(undefined);
    fx.proxy.clear();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  describe('plain http to a private-network address (sockets kept on loopback)', () => {
    it.each([
      ['10.0.0.5', '10.0.0.5'],
      ['[fd00::5]', 'fd00::5'],
    ])('%s: credentials are refused unless the registry is marked insecure, and sent when it is', async (literal, hostname) => {
      const host = `${literal}:${fx.proxy.host.split(':')[1]}`;
      const repo = parseRepository(`${host}/team/app`);
      const refusedNet = loopbackOnly();
      const refused = createRegistryClient({ keychain, retry: { baseDelayMs: 1 }, proxy: {}, addressOf: refusedNet.addressOf });
      clients.push(refused);
      fx.proxy.clear();
      const error = (await refused.listTags(repo).catch((e: unknown) => e)) as Error;
      expect(error.message).toContain(`refusing to send credentials to ${host} over plain http`);
      expect(error.message).not.toContain(PASSWORD);
      // The anonymous request reached the registry (on loopback, addressed to the private host); no credentials followed it.
      expect(fx.proxy.requests().map((e) => [e.headers.host, e.status, e.headers.authorization])).toEqual([[host, 401, undefined]]);
      expect(new Set(refusedNet.asked)).toEqual(new Set([hostname]));

      const allowedNet = loopbackOnly();
      const allowed = createRegistryClient({ keychain, insecureRegistries: [host], proxy: {}, addressOf: allowedNet.addressOf });
      clients.push(allowed);
      fx.proxy.clear();
      expect(await allowed.resolveDigest(repo, '1.0.0')).toBe(image.digest);
      expect(fx.proxy.requests().map((e) => [e.status, e.headers.authorization !== undefined])).toEqual([
        [401, false],
        [200, true],
      ]);
      expect(new Set(allowedNet.asked)).toEqual(new Set([hostname]));
    });
  });

  it('refuses a token realm over plain http on another host, before sending it anything', async () => {
    // The realm's name is not loopback, but its socket would be: a regression stays on this machine, where the proxy sees it.
    const realm = `http://tokens.example.test:${fx.proxy.host.split(':')[1]}/token`;
    fx.proxy.setIntercept((e) => (e.path === '/token' ? undefined : { status: 401, headers: { 'www-authenticate': `Bearer realm="${realm}",service="s"` } }));
    const c = createRegistryClient({ keychain, retry: { baseDelayMs: 1 }, proxy: {}, addressOf: loopbackOnly().addressOf });
    clients.push(c);
    await expect(c.listTags(parseRepository(`${fx.proxy.host}/team/app`))).rejects.toThrow(
      `${fx.proxy.host} sends us to the token realm ${realm} over plain http; refusing`,
    );
    expect(fx.proxy.count({ path: '/token' })).toBe(0);
  });

  it('warns when the rate limit runs low, and stays quiet when it does not', async () => {
    const limits = { remaining: '76;w=21600' };
    fx.proxy.setIntercept((e) =>
      e.method === 'HEAD'
        ? { status: 200, headers: { 'docker-content-digest': image.digest, 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': limits.remaining } }
        : undefined,
    );
    const r = runRegistry([], { DOCKER_CONFIG: join(fx.tempDir, 'none') });
    // The registry has htpasswd; the intercept answers HEADs itself, so no credentials are needed.
    await r.resolveDigest(parseRepository(`${fx.proxy.host}/team/app`), '1.0.0', { mutable: true });
    expect(r.notices()).toEqual([]);
    limits.remaining = '7;w=21600';
    await r.resolveDigest(parseRepository(`${fx.proxy.host}/team/app`), 'other', { mutable: true });
    expect(r.notices()).toEqual([
      {
        severity: 'warning',
        message: `${fx.proxy.host}: only 7 of 100 requests left in the registry's rate-limit window (6h); further runs may fail with 429 until it resets (logging in raises Docker Hub's limit)`,
      },
    ]);
  });

  it("an exhausted rate limit says so: how many remain and when it resets", async () => {
    fx.proxy.setIntercept(() => ({
      status: 429,
      headers: { 'retry-after': '3600', 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600' },
      body: { errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }] },
    }));
    const r = runRegistry();
    const error = (await r.resolveDigest(parseRepository(`${fx.proxy.host}/team/app`), '1.0.0', { mutable: true }).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      `HEAD http://${fx.proxy.host}/v2/team/app/manifests/1.0.0: 429 Too Many Requests; the rate limit of ${fx.proxy.host} is exhausted; 0 of 100 requests remain per 6h window; it resets in about 1h`,
    );
    // A Retry-After beyond what we wait is passed on at once: one request, not a retry loop.
    expect(fx.proxy.count()).toBe(1);
  });

  it('HTTPS_PROXY tunnels to the registry; NO_PROXY bypasses it', async () => {
    const tls = generateTestCertificate(['127.0.0.1']);
    const secure = await startRegistry({ tls });
    const tunnel = await startConnectProxy();
    try {
      await pushImage(secure, 'team/app', { tags: ['2.0.0'] });
      const caFile = join(fx.tempDir, 'proxy-ca.crt');
      await writeFile(caFile, tls.cert);
      const viaProxy = runRegistry([{ host: secure.host, caFile }], { HTTPS_PROXY: tunnel.url });
      expect(await viaProxy.listTags(parseRepository(`${secure.host}/team/app`))).toEqual(['2.0.0']);
      expect(tunnel.tunnels.length).toBeGreaterThan(0);
      expect(new Set(tunnel.tunnels)).toEqual(new Set([secure.host]));

      tunnel.tunnels.length = 0;
      const bypass = runRegistry([{ host: secure.host, caFile }], { HTTPS_PROXY: tunnel.url, NO_PROXY: '127.0.0.1' });
      expect(await bypass.listTags(parseRepository(`${secure.host}/team/app`))).toEqual(['2.0.0']);
      expect(tunnel.tunnels).toEqual([]);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await tunnel.stop();
      await secure.stop();
    }
  });
});
