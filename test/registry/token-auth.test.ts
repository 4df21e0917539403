import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { dockerConfigKeychain } from '../../src/registry/keychain.js';
import { parseRepository } from '../../src/registry/name.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, startRegistry, startTokenServer } from '../harness/registry.js';

describe.skipIf(!registryAvailable())('bearer auth against distribution 2.8 with an ES256 token server', () => {
  const fx = useRegistryFixture({
    tempDir: 'aip-token-config-',
    tokenServer: { users: [{ user: 'dora', pass: 'explorer-pw-1' }], refreshTokens: { 'rt-abc-123': 'dora' } },
    proxy: true,
  });
  let digest: string;

  beforeAll(async () => {
    digest = (await pushImage(fx.registry, 'tokens/app', { tags: ['1', '2'], kind: 'oci-index' })).digest;
  });

  const keychain = async (name: string, entry: object) => {
    const dir = join(fx.tempDir, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [fx.proxy.host]: entry } }));
    return dockerConfigKeychain({ env: { DOCKER_CONFIG: dir } });
  };

  it('the registry really demands a token', async () => {
    const res = await request(`${fx.registry.url}/v2/tokens/app/tags/list`);
    await res.body.dump();
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="${fx.tokenServer.realm}",service="${fx.tokenServer.service}",scope="repository:tokens/app:pull"`,
    );
  });

  it('username/password: one token for the scope, reused for every request', async () => {
    fx.tokenServer.clear();
    fx.proxy.clear();
    const c = createRegistryClient({ keychain: await keychain('basic', { username: 'dora', password: 'explorer-pw-1' }) });
    try {
      const repo = parseRepository(`${fx.proxy.host}/tokens/app`);
      const [tags, d1, d2] = await Promise.all([c.listTags(repo), c.resolveDigest(repo, '1'), c.resolveDigest(repo, '2')]);
      expect(new Set(tags)).toEqual(new Set(['1', '2']));
      expect([d1, d2]).toEqual([digest, digest]);
      expect(fx.tokenServer.requests()).toEqual([
        { method: 'GET', params: { service: fx.tokenServer.service, scope: 'repository:tokens/app:pull' }, user: 'dora', status: 200, granted: ['repository:tokens/app:pull'] },
      ]);
      expect(fx.proxy.requests().map((e) => e.status)).toEqual([401, 200, 200, 200]);
    } finally {
      await c.close();
    }
  });

  it('identity token: refresh-token grant', async () => {
    fx.tokenServer.clear();
    const c = createRegistryClient({ keychain: await keychain('identity', { auth: Buffer.from('<token>:').toString('base64'), identitytoken: 'rt-abc-123' }) });
    try {
      expect(await c.resolveDigest(parseRepository(`${fx.proxy.host}/tokens/app`), '1')).toBe(digest);
      expect(fx.tokenServer.requests().map((r) => [r.method, r.params.grant_type, r.status])).toEqual([['POST', 'refresh_token', 200]]);
    } finally {
      await c.close();
    }
  });

  it('no credentials and no anonymous access: the token server refusal is the error', async () => {
    const c = createRegistryClient({});
    try {
      const err = (await c.resolveDigest(parseRepository(`${fx.proxy.host}/tokens/app`), '1').catch((e: unknown) => e)) as RegistryError;
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.message).toBe(
        `HEAD http://${fx.proxy.host}/v2/tokens/app/manifests/1: token request GET ${fx.tokenServer.realm} (service ${fx.tokenServer.service}, scope repository:tokens/app:pull): 401 Unauthorized (authentication required)`,
      );
    } finally {
      await c.close();
    }
  });

  it('a token for another repository is refused by the registry: fresh token once, then the 401', async () => {
    const wrong = fx.tokenServer.mint('dora', [{ type: 'repository', name: 'other/repo', actions: ['pull'] }]);
    fx.proxy.clear();
    const c = createRegistryClient({ keychain: await keychain('static', { registrytoken: wrong }) });
    try {
      const err = (await c.listTags(parseRepository(`${fx.proxy.host}/tokens/app`)).catch((e: unknown) => e)) as RegistryError;
      expect(err.status).toBe(401);
      expect(err.message).toMatch(/: 401 Unauthorized \(UNAUTHORIZED: authentication required\)$/);
      expect(err.message).not.toContain(wrong);
      expect(fx.proxy.requests().map((e) => [e.status, e.headers.authorization === `Bearer ${wrong}`])).toEqual([
        [401, false],
        [401, true],
      ]);
    } finally {
      await c.close();
    }
  });

  it('fetches a new token once the old one is near expiry', async () => {
    const shortLived = await startTokenServer({ users: [{ user: 'dora', pass: 'explorer-pw-1' }], expiresIn: 1 });
    const reg2 = await startRegistry({ token: shortLived.registryAuth, authorize: shortLived.authorize });
    const c = createRegistryClient({ keychain: { resolve: async () => ({ username: 'dora', password: 'explorer-pw-1' }) } });
    try {
      const img = await pushImage(reg2, 'short/app', { tags: ['1', '2'] });
      shortLived.clear();
      const repo = parseRepository(`${reg2.host}/short/app`);
      expect(await c.resolveDigest(repo, '1')).toBe(img.digest);
      expect(shortLived.requests()).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await c.resolveDigest(repo, '2')).toBe(img.digest);
      expect(shortLived.requests()).toHaveLength(2);
    } finally {
      await c.close();
      await reg2.stop();
      await shortLived.stop();
    }
  });
});
