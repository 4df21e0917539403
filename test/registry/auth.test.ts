import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient, type RegistryClientHandle, type RegistryClientOptions } from '../../src/registry/client.js';
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
  const clients: RegistryClientHandle[] = [];
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

  describe('bearer tokens (token server stub, registry behind a checking proxy)', () => {
    let reg: RunningRegistry;
    let proxy: RunningProxy;
    let tokenServer: Server;
    let realm: string;
    let digest: string;
    const tokenRequests: Array<{ method: string; query: Record<string, string>; authorization?: string; form?: Record<string, string> }> = [];
    let challengeScope: string | undefined;
    let tokenStatus = 200;
    let issued = 0;

    const body = (req: IncomingMessage) =>
      new Promise<string>((resolve) => {
        let s = '';
        req.on('data', (c) => (s += c));
        req.on('end', () => resolve(s));
      });

    beforeAll(async () => {
      reg = await startRegistry();
      digest = (await pushImage(reg, 'bearer/app', { tags: ['1', '2'] })).digest;
      tokenServer = createServer(async (req, res) => {
        const url = new URL(req.url!, 'http://x');
        const entry: (typeof tokenRequests)[number] = { method: req.method!, query: Object.fromEntries(url.searchParams) };
        if (req.headers.authorization) entry.authorization = req.headers.authorization;
        if (req.method === 'POST') entry.form = Object.fromEntries(new URLSearchParams(await body(req)));
        tokenRequests.push(entry);
        const ok =
          (req.method === 'GET' && (!req.headers.authorization || req.headers.authorization === `Basic ${b64('bob:hunter22')}`)) ||
          (req.method === 'POST' && entry.form?.refresh_token === 'refresh-me');
        if (tokenStatus !== 200 || !ok) {
          res.writeHead(tokenStatus !== 200 ? tokenStatus : 401, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ details: 'incorrect username or password' }));
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        const value = `tok-${++issued}`;
        res.end(JSON.stringify(req.method === 'POST' ? { access_token: value, expires_in: 300 } : { token: value, expires_in: 300 }));
      });
      await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
      realm = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
      proxy = await startProxy(reg.url, {
        intercept: (e) =>
          /^Bearer (tok-\d+|static-registry-token)$/.test(String(e.headers.authorization ?? ''))
            ? undefined
            : {
                status: 401,
                headers: {
                  'www-authenticate': `Bearer realm="${realm}",service="stub-registry",scope="${challengeScope ?? 'repository:bearer/app:pull'}"`,
                },
                body: { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
              },
      });
    });
    afterEach(() => {
      tokenRequests.length = 0;
      challengeScope = undefined;
      tokenStatus = 200;
      proxy.clear();
    });
    afterAll(async () => {
      await proxy?.stop();
      await reg?.stop();
      await new Promise<void>((r) => tokenServer.close(() => r()));
    });

    it('username/password: GET the realm with Basic, then reuse the token for the scope', async () => {
      const keychain = await keychainFor({ [proxy.host]: { auth: b64('bob:hunter22') } });
      const c = client({ keychain });
      const repo = parseRepository(`${proxy.host}/bearer/app`);
      // The first request goes alone; the rest wait for it to learn the challenge.
      await Promise.all([c.listTags(repo), c.resolveDigest(repo, '1'), c.resolveDigest(repo, '2')]);
      expect(tokenRequests).toEqual([
        {
          method: 'GET',
          query: { service: 'stub-registry', scope: 'repository:bearer/app:pull' },
          authorization: `Basic ${b64('bob:hunter22')}`,
        },
      ]);
      expect(proxy.requests().map((e) => e.status)).toEqual([401, 200, 200, 200]);
      expect(c.requestCount()).toBe(1 + 4 + 1); // https probe, 4 registry requests, 1 token
    });

    it('identity token: POST grant_type=refresh_token', async () => {
      const keychain = await keychainFor({ [proxy.host]: { auth: b64('<token>:'), identitytoken: 'refresh-me' } });
      expect(await client({ keychain }).resolveDigest(parseRepository(`${proxy.host}/bearer/app`), '1')).toBe(digest);
      expect(tokenRequests).toHaveLength(1);
      expect(tokenRequests[0]!.method).toBe('POST');
      expect(tokenRequests[0]!.form).toEqual({
        grant_type: 'refresh_token',
        refresh_token: 'refresh-me',
        client_id: 'apply-image-policies',
        service: 'stub-registry',
        scope: 'repository:bearer/app:pull',
      });
    });

    it('registry token: sent as the bearer, no token exchange', async () => {
      const keychain = await keychainFor({ [proxy.host]: { registrytoken: 'static-registry-token' } });
      expect(await client({ keychain }).resolveDigest(parseRepository(`${proxy.host}/bearer/app`), '1')).toBe(digest);
      expect(tokenRequests).toEqual([]);
    });

    it('anonymous: GET the realm without credentials', async () => {
      expect(await client({}).resolveDigest(parseRepository(`${proxy.host}/bearer/app`), '2')).toBe(digest);
      expect(tokenRequests).toEqual([{ method: 'GET', query: { service: 'stub-registry', scope: 'repository:bearer/app:pull' } }]);
    });

    it('asks for the challenge scope verbatim, commas included', async () => {
      challengeScope = 'repository:bearer/app:pull,push';
      await client({}).resolveDigest(parseRepository(`${proxy.host}/bearer/app`), '1');
      expect(tokenRequests[0]!.query.scope).toBe('repository:bearer/app:pull,push');
    });

    it('token server refusal: the error names the realm and the request, never the secret', async () => {
      const keychain = await keychainFor({ [proxy.host]: { username: 'bob', password: 'wrong-pass-99' } });
      const err = (await client({ keychain })
        .resolveDigest(parseRepository(`${proxy.host}/bearer/app`), '1')
        .catch((e: unknown) => e)) as RegistryError;
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.message).toBe(
        `HEAD http://${proxy.host}/v2/bearer/app/manifests/1: token request GET ${realm} (service stub-registry, scope repository:bearer/app:pull): 401 Unauthorized (incorrect username or password)`,
      );
      expectNoSecret(err.message + String(err.stack), 'wrong-pass-99');
    });
  });

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
