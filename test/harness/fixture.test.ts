import { existsSync } from 'node:fs';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useRegistryFixture } from './fixture.js';
import { pushImage, registryAvailable } from './registry.js';

describe.skipIf(!registryAvailable())('useRegistryFixture', () => {
  let started: { tempDir: string; registryUrl: string; proxyUrl: string; realm: string } | undefined;

  describe('with every part asked for', () => {
    const fx = useRegistryFixture({ tempDir: 'aip-fixture-', tokenServer: { users: [{ user: 'u', pass: 'p' }] }, proxy: true });

    it('wires the registry to the token server and the proxy in front of the registry', async () => {
      started = { tempDir: fx.tempDir, registryUrl: fx.registry.url, proxyUrl: fx.proxy.url, realm: fx.tokenServer.realm };
      expect(existsSync(fx.tempDir)).toBe(true);
      const image = await pushImage(fx.registry, 'fixture/app', { tags: ['1'] });
      const challenge = await request(`${fx.proxy.url}/v2/fixture/app/manifests/1`, { method: 'HEAD' });
      await challenge.body.dump();
      expect(challenge.statusCode).toBe(401);
      expect(challenge.headers['www-authenticate']).toContain(`Bearer realm="${fx.tokenServer.realm}"`);
      expect(fx.proxy.count({ method: 'HEAD', path: '/v2/fixture/app/manifests/1' })).toBe(1);
      expect(image.digest).toMatch(/^sha256:/);
    });
  });

  it('removed the temp dir and stopped every process once that describe ended', async () => {
    expect(started).toBeDefined();
    expect(existsSync(started!.tempDir)).toBe(false);
    for (const url of [started!.registryUrl, started!.proxyUrl, started!.realm]) {
      await expect(request(url), url).rejects.toThrow(/ECONNREFUSED/);
    }
  });

  describe('with only a registry', () => {
    const fx = useRegistryFixture();

    it('names a part that was not asked for instead of handing out undefined', () => {
      expect(fx.registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(() => fx.proxy).toThrow('registry fixture: no proxy');
      expect(() => fx.tempDir).toThrow('registry fixture: no tempDir');
      expect(() => fx.tokenServer).toThrow('registry fixture: no tokenServer');
    });
  });
});
