/**
 * What must never happen with a user's credentials, and what a run says about rate limits.
 */
import { createServer as createTcpServer, connect, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadFunctionConfig } from '../../src/config/function-config.js';
import { createRegistryClient, type RegistryClientHandle } from '../../src/registry/client.js';
import { parseRepository } from '../../src/registry/name.js';
import type { Keychain } from '../../src/registry/types.js';
import { createRunRegistry, type RunRegistry } from '../../src/setup/registry.js';
import { isolatedEnv } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { generateTestCertificate, pushImage, registryAvailable, startProxy, startRegistry, type PushedImage } from '../harness/registry.js';

const PASSWORD = 'never-over-http-9';
const keychain: Keychain = { resolve: async () => ({ username: 'u', password: PASSWORD }) };

/** A TCP forwarder on `address` (a non-loopback interface of this machine) to `target`. */
async function forward(address: string, targetPort: number): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    const upstream = connect(targetPort, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  return { server, port: (server.address() as { port: number }).port, connections: () => connections };
}

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

const uniqueLocal = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === 'IPv6' && /^f[cd]/i.test(i.address))?.address;
if (!uniqueLocal) {
  const message = 'no unique-local IPv6 address on this machine: the plain-http credential test cannot run';
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(message);
}

describe.skipIf(!registryAvailable())('credential safety and rate limits', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-safety-', registry: { htpasswd: { user: 'u', pass: PASSWORD } }, proxy: true });
  let image: PushedImage;
  const clients: Array<RegistryClientHandle | RunRegistry> = [];
  const runRegistry = (registries: object[] = [], env: NodeJS.ProcessEnv = {}) => {
    const config = loadFunctionConfig({ apiVersion: 'fn.apply-image-policies.dev/v1alpha1', kind: 'ApplyImagePolicies', spec: { registries, cache: { disabled: true } } });
    const r = createRunRegistry(config, [], { offline: false, env: { ...isolatedEnv(fx.tempDir), ...env }, warn: () => {} });
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

  describe.skipIf(!uniqueLocal)('plain http to a private-network address', () => {
    it('refuses to send credentials unless the registry is marked insecure', async () => {
      const fwd = await forward(uniqueLocal!, Number(fx.registry.host.split(':')[1]));
      try {
        const host = `[${uniqueLocal}]:${fwd.port}`;
        const repo = parseRepository(`${host}/team/app`);
        const refused = createRegistryClient({ keychain, retry: { baseDelayMs: 1 } });
        clients.push(refused);
        const error = (await refused.listTags(repo).catch((e: unknown) => e)) as Error;
        expect(error.message).toContain(`refusing to send credentials to ${host} over plain http`);
        expect(error.message).not.toContain(PASSWORD);

        const allowed = createRegistryClient({ keychain, insecureRegistries: [host] });
        clients.push(allowed);
        expect(await allowed.resolveDigest(repo, '1.0.0')).toBe(image.digest);
      } finally {
        await Promise.all(clients.splice(0).map((c) => c.close()));
        await new Promise<void>((resolve) => fwd.server.close(() => resolve()));
      }
    });
  });

  it('refuses a token realm over plain http on another host, before sending it anything', async () => {
    fx.proxy.setIntercept(() => ({ status: 401, headers: { 'www-authenticate': 'Bearer realm="http://192.0.2.1/token",service="s"' } }));
    const c = createRegistryClient({ keychain, retry: { baseDelayMs: 1 } });
    clients.push(c);
    await expect(c.listTags(parseRepository(`${fx.proxy.host}/team/app`))).rejects.toThrow(
      `${fx.proxy.host} sends us to the token realm http://192.0.2.1/token over plain http; refusing`,
    );
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
