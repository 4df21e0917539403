import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/registry/client.js';
import { parseRepository } from '../../src/registry/name.js';
import { isLocalRegistry, SchemeResolver } from '../../src/registry/scheme.js';
import { generateTestCertificate, pushImage, registryAvailable, startRegistry, type RunningRegistry } from '../harness/registry.js';

describe('isLocalRegistry', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['registry.localhost:5000', true],
    ['127.0.0.1:5000', true],
    ['127.1.2.3', true],
    ['[::1]:5000', true],
    ['10.1.2.3:443', true],
    ['172.16.0.1', true],
    ['172.31.255.255:80', true],
    ['172.32.0.1', false],
    ['192.168.1.10:5000', true],
    ['[fd00::1]:5000', true],
    ['8.8.8.8', false],
    ['ghcr.io', false],
    ['localhost.example.com', false],
    ['index.docker.io', false],
  ])('%s → %s', (host, local) => {
    expect(isLocalRegistry(host)).toBe(local);
  });
});

describe('SchemeResolver', () => {
  it('never probes public registries, probes local and insecure ones once per host', async () => {
    const probed: string[] = [];
    const r = new SchemeResolver({
      insecureRegistries: ['insecure.example:5000', 'bare.example'],
      probeHttps: async (host) => {
        probed.push(host);
        return host.startsWith('127.');
      },
    });
    expect(await r.resolve('ghcr.io')).toBe('https');
    expect(await r.resolve('127.0.0.1:5000')).toBe('https');
    expect(await Promise.all([r.resolve('localhost:5000'), r.resolve('localhost:5000')])).toEqual(['http', 'http']);
    expect(await r.resolve('insecure.example:5000')).toBe('http');
    expect(await r.resolve('bare.example:443')).toBe('http');
    expect(await r.resolve('insecure.example:6000')).toBe('https');
    expect(probed).toEqual(['127.0.0.1:5000', 'localhost:5000', 'insecure.example:5000', 'bare.example:443']);
  });
});

describe.skipIf(!registryAvailable())('scheme against real registries on 127.0.0.1', () => {
  let plain: RunningRegistry;
  let tls: RunningRegistry;
  let cert: { cert: string; key: string };
  beforeAll(async () => {
    cert = generateTestCertificate(['127.0.0.1']);
    [plain, tls] = await Promise.all([startRegistry(), startRegistry({ tls: cert })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), tls?.stop()]);
  });

  it('uses https on a TLS registry at 127.0.0.1 (trusting the given CA) and http on a plain one', async () => {
    const [a, b] = await Promise.all([
      pushImage(tls, 'scheme/app', { tags: ['1'] }),
      pushImage(plain, 'scheme/app', { tags: ['1'] }),
    ]);
    const c = createRegistryClient({ ca: cert.cert });
    try {
      expect(await c.resolveDigest(parseRepository(`${tls.host}/scheme/app`), '1')).toBe(a.digest);
      expect(await c.resolveDigest(parseRepository(`${plain.host}/scheme/app`), '1')).toBe(b.digest);
      const entries = await tls.settledRequests();
      expect(entries.filter((e) => e.method === 'HEAD' && e.path.includes('/manifests/')).map((e) => `${e.path} ${e.status}`)).toEqual(['/v2/scheme/app/manifests/1 200']);
    } finally {
      await c.close();
    }
  });

  it('an untrusted certificate is reported as such, not as a confusing http error', async () => {
    await pushImage(tls, 'scheme/untrusted', { tags: ['1'] });
    const c = createRegistryClient({});
    try {
      const err = (await c.resolveDigest(parseRepository(`${tls.host}/scheme/untrusted`), '1').catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(new RegExp(`^HEAD https://${tls.host}/v2/scheme/untrusted/manifests/1: .*(self.signed|certificate)`, 'i'));
    } finally {
      await c.close();
    }
  });
});
