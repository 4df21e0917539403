import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient, type RegistryClient } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { parseRepository } from '../../src/registry/name.js';
import type { Keychain } from '../../src/registry/types.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable } from '../harness/registry.js';

describe.skipIf(!registryAvailable())('getJson: authenticated JSON GET for vendor APIs', () => {
  const fx = useRegistryFixture({ tokenServer: { users: [{ user: 'bob', pass: 'builder-pass-7' }] }, proxy: true });
  const clients: RegistryClient[] = [];
  const keychain: Keychain = { resolve: async () => ({ username: 'bob', password: 'builder-pass-7' }) };
  const client = () => {
    const c = createRegistryClient({ keychain, retry: { baseDelayMs: 1 } });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0', '1.1.0'] });
  });
  afterEach(async () => {
    fx.proxy.setIntercept(undefined);
    fx.tokenServer.clear();
    fx.proxy.clear();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('reads a distribution endpoint with a pull token for the repository', async () => {
    const res = await client().getJson(parseRepository(`${fx.registry.host}/team/app`), '/v2/team/app/tags/list');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'team/app' });
    expect(((res.body as { tags: string[] }).tags ?? []).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(fx.tokenServer.requests().map((r) => r.granted)).toEqual([['repository:team/app:pull']]);
  });

  it('asks the token server for the repository pull scope on a path that names no repository', async () => {
    // A stand-in for a vendor API (Quay's /api/v1/…), which registry 2.8 does not serve: the proxy
    // challenges like the registry does and checks that a token arrives.
    fx.proxy.setIntercept((e) => {
      if (!e.path.startsWith('/api/v1/')) return undefined;
      if (!String(e.headers.authorization ?? '').startsWith('Bearer ')) {
        return { status: 401, headers: { 'www-authenticate': `Bearer realm="${fx.tokenServer.realm}",service="${fx.tokenServer.service}"` }, body: { errors: [{ code: 'UNAUTHORIZED' }] } };
      }
      return { status: 200, headers: { 'content-type': 'application/json' }, body: { tags: [{ name: '1.0.0', manifest_digest: 'sha256:' + 'a'.repeat(64) }] } };
    });
    const res = await client().getJson(parseRepository(`${fx.proxy.host}/team/app`), '/api/v1/repository/team/app/tag/?limit=100');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ tags: [{ name: '1.0.0', manifest_digest: 'sha256:' + 'a'.repeat(64) }] });
    expect(fx.tokenServer.requests().map((r) => [r.user, r.params.scope])).toEqual([['bob', 'repository:team/app:pull']]);
    expect(fx.proxy.requests().map((e) => e.status)).toEqual([401, 200]);
  });

  it('returns a non-2xx answer to the caller instead of throwing', async () => {
    const res = await client().getJson(parseRepository(`${fx.registry.host}/team/missing`), '/v2/team/missing/tags/list');
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).toContain('NAME_UNKNOWN');
  });

  it('refuses a body over maxBytes, and a path that would leave the host', async () => {
    const repo = parseRepository(`${fx.registry.host}/team/app`);
    await expect(client().getJson(repo, '/v2/team/app/tags/list', { maxBytes: 10 })).rejects.toThrow(/larger than 10 bytes/);
    await expect(client().getJson(repo, '//evil.example/x')).rejects.toThrow(/must be a path on the registry host/);
  });

  it('fails clearly when a 200 is not JSON', async () => {
    fx.proxy.setIntercept((e) => (e.path === '/api/v2.0/ping' ? { status: 200, body: '<html>login</html>' } : undefined));
    const error = await client()
      .getJson(parseRepository(`${fx.proxy.host}/team/app`), '/api/v2.0/ping')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as Error).message).toMatch(/\/api\/v2\.0\/ping: the response is not JSON/);
  });
});
