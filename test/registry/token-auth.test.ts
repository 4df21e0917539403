import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { dockerConfigKeychain } from '../../src/registry/keychain.js';
import { parseRepository } from '../../src/registry/name.js';
import {
  pushImage,
  registryAvailable,
  startProxy,
  startRegistry,
  startTokenServer,
  type RunningProxy,
  type RunningRegistry,
  type RunningTokenServer,
} from '../harness/registry.js';

describe.skipIf(!registryAvailable())('bearer auth against distribution 2.8 with an ES256 token server', () => {
  let ts: RunningTokenServer;
  let reg: RunningRegistry;
  let proxy: RunningProxy;
  let configDir: string;
  let digest: string;

  beforeAll(async () => {
    ts = await startTokenServer({ users: [{ user: 'dora', pass: 'explorer-pw-1' }], refreshTokens: { 'rt-abc-123': 'dora' } });
    reg = await startRegistry({ token: ts.registryAuth, authorize: ts.authorize });
    proxy = await startProxy(reg.url);
    digest = (await pushImage(reg, 'tokens/app', { tags: ['1', '2'], kind: 'oci-index' })).digest;
    configDir = await mkdtemp(join(tmpdir(), 'aip-token-config-'));
  });
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
    await ts?.stop();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  const keychain = async (name: string, entry: object) => {
    const dir = join(configDir, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [proxy.host]: entry } }));
    return dockerConfigKeychain({ env: { DOCKER_CONFIG: dir } });
  };

  it('the registry really demands a token', async () => {
    const res = await request(`${reg.url}/v2/tokens/app/tags/list`);
    await res.body.dump();
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="${ts.realm}",service="${ts.service}",scope="repository:tokens/app:pull"`,
    );
  });

  it('username/password: one token for the scope, reused for every request', async () => {
    ts.clear();
    proxy.clear();
    const c = createRegistryClient({ keychain: await keychain('basic', { username: 'dora', password: 'explorer-pw-1' }) });
    try {
      const repo = parseRepository(`${proxy.host}/tokens/app`);
      const [tags, d1, d2] = await Promise.all([c.listTags(repo), c.resolveDigest(repo, '1'), c.resolveDigest(repo, '2')]);
      expect(new Set(tags)).toEqual(new Set(['1', '2']));
      expect([d1, d2]).toEqual([digest, digest]);
      expect(ts.requests()).toEqual([
        { method: 'GET', params: { service: ts.service, scope: 'repository:tokens/app:pull' }, user: 'dora', status: 200, granted: ['repository:tokens/app:pull'] },
      ]);
      expect(proxy.requests().map((e) => e.status)).toEqual([401, 200, 200, 200]);
    } finally {
      await c.close();
    }
  });

  it('identity token: refresh-token grant', async () => {
    ts.clear();
    const c = createRegistryClient({ keychain: await keychain('identity', { auth: Buffer.from('<token>:').toString('base64'), identitytoken: 'rt-abc-123' }) });
    try {
      expect(await c.resolveDigest(parseRepository(`${proxy.host}/tokens/app`), '1')).toBe(digest);
      expect(ts.requests().map((r) => [r.method, r.params.grant_type, r.status])).toEqual([['POST', 'refresh_token', 200]]);
    } finally {
      await c.close();
    }
  });

  it('no credentials and no anonymous access: the token server refusal is the error', async () => {
    const c = createRegistryClient({});
    try {
      const err = (await c.resolveDigest(parseRepository(`${proxy.host}/tokens/app`), '1').catch((e: unknown) => e)) as RegistryError;
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.message).toBe(
        `HEAD http://${proxy.host}/v2/tokens/app/manifests/1: token request GET ${ts.realm} (service ${ts.service}, scope repository:tokens/app:pull): 401 Unauthorized (authentication required)`,
      );
    } finally {
      await c.close();
    }
  });

  it('a token for another repository is refused by the registry: fresh token once, then the 401', async () => {
    const wrong = ts.mint('dora', [{ type: 'repository', name: 'other/repo', actions: ['pull'] }]);
    proxy.clear();
    const c = createRegistryClient({ keychain: await keychain('static', { registrytoken: wrong }) });
    try {
      const err = (await c.listTags(parseRepository(`${proxy.host}/tokens/app`)).catch((e: unknown) => e)) as RegistryError;
      expect(err.status).toBe(401);
      expect(err.message).toMatch(/: 401 Unauthorized \(UNAUTHORIZED: authentication required\)$/);
      expect(err.message).not.toContain(wrong);
      expect(proxy.requests().map((e) => [e.status, e.headers.authorization === `Bearer ${wrong}`])).toEqual([
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
