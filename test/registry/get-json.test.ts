import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient, type RegistryClient } from '../../src/registry/client.js';
import { NoTokenError, RegistryError } from '../../src/registry/errors.js';
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

  describe('bearer: a vendor API on another host with a token of its own (GitHub beside ghcr.io)', () => {
    const asked: string[] = [];
    const spying: Keychain = {
      resolve: async (registry) => {
        asked.push(registry);
        return registry === 'ghcr.io' ? { username: 'octo', password: 'ghp_keychainToken123' } : { username: 'bob', password: 'builder-pass-7' };
      },
    };
    const seen: string[] = [];
    const withIntercept = () =>
      fx.proxy.setIntercept((e) => {
        if (!e.path.startsWith('/orgs/')) return undefined;
        seen.push(String(e.headers.authorization ?? ''));
        // GitHub's 401 carries no registry challenge; a challenge here would tempt the auth layer.
        return { status: 200, headers: { 'content-type': 'application/json' }, body: [] };
      });
    const own = () => {
      const c = createRegistryClient({ keychain: spying, retry: { baseDelayMs: 1 } });
      clients.push(c);
      return c;
    };

    it('sends the given token as is, and never asks the keychain or a token server for that host', async () => {
      withIntercept();
      seen.length = 0;
      asked.length = 0;
      const repo = { ...parseRepository('ghcr.io/octo/app'), apiHost: fx.proxy.host };
      const res = await own().getJson(repo, '/orgs/octo/packages/container/app/versions', { bearer: { token: 'ghp_envToken456' } });
      expect(res.status).toBe(200);
      expect(seen).toEqual(['Bearer ghp_envToken456']);
      expect(asked).toEqual([]);
      expect(fx.tokenServer.requests()).toEqual([]);
    });

    it("sends the password of the named registry's login, and only that", async () => {
      withIntercept();
      seen.length = 0;
      asked.length = 0;
      const repo = { ...parseRepository('ghcr.io/octo/app'), apiHost: fx.proxy.host };
      await own().getJson(repo, '/orgs/octo/packages/container/app/versions', { bearer: { passwordOf: 'ghcr.io' } });
      expect(seen).toEqual(['Bearer ghp_keychainToken123']);
      expect(asked).toEqual(['ghcr.io']);
    });

    it('sends nothing when there is no token', async () => {
      withIntercept();
      seen.length = 0;
      const none = createRegistryClient({ keychain: { resolve: async () => undefined } });
      clients.push(none);
      const repo = { ...parseRepository('ghcr.io/octo/app'), apiHost: fx.proxy.host };
      await expect(none.getJson(repo, '/orgs/octo/packages/container/app/versions', { bearer: { passwordOf: 'ghcr.io' } })).rejects.toBeInstanceOf(NoTokenError);
      expect(seen).toEqual([]);
      expect(fx.proxy.requests()).toEqual([]);
    });
  });
});
