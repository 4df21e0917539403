import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { dockerConfigKeychain } from '../../src/registry/keychain.js';
import { parseRepository } from '../../src/registry/name.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, startProxy, startRegistry, type RunningProxy, type RunningRegistry } from '../harness/registry.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function tempDockerConfig(auths: Record<string, unknown>): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'aip-docker-config-'));
  await writeFile(join(dir, 'config.json'), JSON.stringify({ auths }));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function expectNoSecret(message: string, ...secrets: string[]) {
  for (const s of secrets) {
    expect(message).not.toContain(s);
    expect(message).not.toContain(b64(s));
  }
}

describe.skipIf(!registryAvailable())('auth', () => {
  const clients: RegistryClient[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const client = (opts: RegistryClientOptions) => {
    const c = createRegistryClient({ retry: { baseDelayMs: 1 }, ...opts });
    clients.push(c);
    return c;
  };
  const keychainFor = async (auths: Record<string, unknown>) => {
    const cfg = await tempDockerConfig(auths);
    cleanups.push(cfg.cleanup);
    return dockerConfigKeychain({ env: { DOCKER_CONFIG: cfg.dir } });
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(cleanups.splice(0).map((f) => f()));
  });

  describe('htpasswd (Basic)', () => {
    const fx = useRegistryFixture({ registry: { htpasswd: { user: 'alice', pass: 'wonder-land-42' } }, proxy: true });
    let digest: string;
    beforeAll(async () => {
      digest = (await pushImage(fx.registry, 'private/app', { tags: ['1', '2', '3'], kind: 'oci-index' })).digest;
    });

    it('authenticates with config.json `auth`, and sends Basic up front after the first challenge', async () => {
      const keychain = await keychainFor({ [fx.proxy.host]: { auth: b64('alice:wonder-land-42') } });
      const c = client({ keychain });
      fx.proxy.clear();
      const repo = parseRepository(`${fx.proxy.host}/private/app`);
      expect(await c.listTags(repo)).toEqual(expect.arrayContaining(['1', '2', '3']));
      expect(await Promise.all(['1', '2', '3'].map((t) => c.resolveDigest(repo, t)))).toEqual([digest, digest, digest]);
      const statuses = fx.proxy.requests().map((e) => `${e.method} ${e.status} ${e.headers.authorization ? 'auth' : 'anon'}`);
      expect(statuses).toEqual(['GET 401 anon', 'GET 200 auth', 'HEAD 200 auth', 'HEAD 200 auth', 'HEAD 200 auth']);
    });

    it('accepts username/password fields under a URL-style key', async () => {
      const keychain = await keychainFor({ [`https://${fx.registry.host}/v2/`]: { username: 'alice', password: 'wonder-land-42' } });
      expect(await client({ keychain }).resolveDigest(parseRepository(`${fx.registry.host}/private/app`), '1')).toBe(digest);
    });

    it('wrong credentials: an error naming registry, repository and status, without the secret', async () => {
      const keychain = await keychainFor({ [fx.registry.host]: { auth: b64('alice:not-the-password') } });
      const err = (await client({ keychain })
        .listTags(parseRepository(`${fx.registry.host}/private/app`))
        .catch((e: unknown) => e)) as RegistryError;
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.message).toBe(
        `GET http://${fx.registry.host}/v2/private/app/tags/list?n=1000: 401 Unauthorized (UNAUTHORIZED: authentication required)`,
      );
      expect(err.registry).toBe(fx.registry.host);
      expect(err.repository).toBe('private/app');
      expectNoSecret(err.message + JSON.stringify(err) + String(err.stack), 'not-the-password', 'alice:not-the-password');
    });

    it('no credentials: the 401 is reported once, no retry loop', async () => {
      fx.proxy.clear();
      const err = (await client({})
        .resolveDigest(parseRepository(`${fx.proxy.host}/private/app`), '1')
        .catch((e: unknown) => e)) as RegistryError;
      expect(err.message).toBe(`HEAD http://${fx.proxy.host}/v2/private/app/manifests/1: 401 Unauthorized`);
      expect(fx.proxy.count()).toBe(1);
    });
  });

  // Bearer tokens are tested against the real registry and token server in token-auth.test.ts.

  describe('redirects', () => {
    let reg: RunningRegistry;
    let front: RunningProxy;
    let cdn: RunningProxy;
    let digest: string;
    beforeAll(async () => {
      reg = await startRegistry();
      digest = (await pushImage(reg, 'redirect/app', { tags: ['v'], kind: 'docker-list' })).digest;
      cdn = await startProxy(reg.url);
      // The front demands Basic auth, then sends manifest reads to the "CDN" on another port.
      front = await startProxy(reg.url, {
        intercept: (e) => {
          if (!e.headers.authorization) return { status: 401, headers: { 'www-authenticate': 'Basic realm="front"' } };
          if (e.path === '/v2/redirect/app/manifests/v' && e.query.hop === undefined) {
            return { status: 307, headers: { location: e.query.same ? `${e.path}?hop=1` : `${cdn.url}${e.path}?hop=1` } };
          }
          return undefined;
        },
      });
    });
    afterAll(async () => {
      await front?.stop();
      await cdn?.stop();
      await reg?.stop();
    });

    it('follows a redirect to another origin without forwarding Authorization', async () => {
      const keychain = await keychainFor({ [front.host]: { username: 'carol', password: 'cdn-secret-7' } });
      const c = client({ keychain });
      expect(await c.resolveDigest(parseRepository(`${front.host}/redirect/app`), 'v')).toBe(digest);
      const fronted = front.requests().filter((e) => e.path === '/v2/redirect/app/manifests/v');
      expect(fronted.map((e) => [e.status, Boolean(e.headers.authorization)])).toEqual([
        [401, false],
        [307, true],
      ]);
      const arrived = cdn.requests();
      expect(arrived).toHaveLength(1);
      expect(arrived[0]!.method).toBe('HEAD');
      expect(arrived[0]!.query).toEqual({ hop: '1' });
      expect(arrived[0]!.headers.authorization).toBeUndefined();
      expect(arrived[0]!.headers.accept).toContain('application/vnd.oci.image.index.v1+json');
    });

    it('keeps Authorization on a same-origin redirect', async () => {
      front.clear();
      front.setIntercept((e) => {
        if (!e.headers.authorization) return { status: 401, headers: { 'www-authenticate': 'Basic realm="front"' } };
        if (e.query.hop === undefined && e.path.includes('/manifests/')) return { status: 302, headers: { location: `${e.path}?hop=1` } };
        return undefined;
      });
      const keychain = await keychainFor({ [front.host]: { username: 'carol', password: 'cdn-secret-7' } });
      expect(await client({ keychain }).resolveDigest(parseRepository(`${front.host}/redirect/app`), 'v')).toBe(digest);
      const last = front.requests().at(-1)!;
      expect(last.query).toEqual({ hop: '1' });
      expect(last.headers.authorization).toBe(`Basic ${b64('carol:cdn-secret-7')}`);
    });

    it('stops a redirect loop', async () => {
      front.setIntercept((e) => ({ status: 302, headers: { location: `${e.path}?n=${e.index}` } }));
      await expect(client({ maxRedirects: 3 }).resolveDigest(parseRepository(`${front.host}/redirect/app`), 'v')).rejects.toThrow(
        `HEAD http://${front.host}/v2/redirect/app/manifests/v: more than 3 redirects (last to http://${front.host}/v2/redirect/app/manifests/v)`,
      );
    });
  });
});
