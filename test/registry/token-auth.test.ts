/**
 * Bearer auth end to end: distribution 2.8 verifies every token, issued by the harness's ES256
 * token server. The proxy in front only records, or (for the comma scope) rewrites a challenge.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../../src/registry/client.js';
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
  const clients: RegistryClient[] = [];
  const client = (opts: RegistryClientOptions) => {
    const c = createRegistryClient({ proxy: {}, ...opts });
    clients.push(c);
    return c;
  };
  const pull = (name: string) => [{ type: 'repository', name, actions: ['pull'] }];

  beforeAll(async () => {
    digest = (await pushImage(fx.registry, 'tokens/app', { tags: ['1', '2'], kind: 'oci-index' })).digest;
    await pushImage(fx.registry, 'tokens/other', { tags: ['1'] });
  });
  afterEach(async () => {
    fx.proxy.setIntercept(undefined);
    fx.proxy.clear();
    fx.tokenServer.clear();
    await Promise.all(clients.splice(0).map((c) => c.close()));
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

  it('one token per scope: each repository gets its own, each is reused', async () => {
    const c = client({ keychain: await keychain('per-scope', { username: 'dora', password: 'explorer-pw-1' }) });
    const app = parseRepository(`${fx.proxy.host}/tokens/app`);
    const other = parseRepository(`${fx.proxy.host}/tokens/other`);
    await c.resolveDigest(app, '1');
    await c.resolveDigest(other, '1');
    await Promise.all([c.resolveDigest(app, '2'), c.listTags(app), c.listTags(other)]);
    expect(fx.tokenServer.requests().map((r) => r.granted)).toEqual([['repository:tokens/app:pull'], ['repository:tokens/other:pull']]);
    // One 401 to learn the challenge; after that each repository's token goes up front, even
    // though the stored challenge names the other repository's scope.
    expect(fx.proxy.requests().map((e) => e.status)).toEqual([401, 200, 200, 200, 200, 200]);
  });

  it('identity token: POST grant_type=refresh_token with the service and scope', async () => {
    const c = client({ keychain: await keychain('identity', { auth: Buffer.from('<token>:').toString('base64'), identitytoken: 'rt-abc-123' }) });
    expect(await c.resolveDigest(parseRepository(`${fx.proxy.host}/tokens/app`), '1')).toBe(digest);
    expect(fx.tokenServer.requests()).toEqual([
      {
        method: 'POST',
        params: {
          grant_type: 'refresh_token',
          refresh_token: 'rt-abc-123',
          client_id: 'apply-image-policies',
          service: fx.tokenServer.service,
          scope: 'repository:tokens/app:pull',
        },
        status: 200,
        granted: ['repository:tokens/app:pull'],
      },
    ]);
  });

  it('registry token: sent as the bearer as it is, no token exchange', async () => {
    const c = client({ keychain: await keychain('registrytoken', { registrytoken: fx.tokenServer.mint('dora', pull('tokens/app')) }) });
    expect(await c.resolveDigest(parseRepository(`${fx.proxy.host}/tokens/app`), '1')).toBe(digest);
    expect(fx.tokenServer.requests()).toEqual([]);
  });

  it('asks for the challenge scope verbatim, commas included', async () => {
    // Registry 2.8 challenges a read with `pull` only; registries that want `pull,push` (or a
    // broader scope than our request implies) say so in the challenge, which the proxy plays here.
    const scope = 'repository:tokens/app:pull,push';
    fx.proxy.setIntercept((e) =>
      e.headers.authorization
        ? undefined
        : { status: 401, headers: { 'www-authenticate': `Bearer realm="${fx.tokenServer.realm}",service="${fx.tokenServer.service}",scope="${scope}"` } },
    );
    const c = client({ keychain: await keychain('comma', { username: 'dora', password: 'explorer-pw-1' }) });
    expect(await c.resolveDigest(parseRepository(`${fx.proxy.host}/tokens/app`), '1')).toBe(digest);
    expect(fx.tokenServer.requests().map((r) => [r.params.scope, r.granted])).toEqual([[scope, [scope]]]);
  });

  it('token server refusal: the error names the realm and the request, never the password', async () => {
    const c = client({ keychain: await keychain('wrong', { username: 'dora', password: 'wrong-pass-99' }) });
    const err = (await c.resolveDigest(parseRepository(`${fx.proxy.host}/tokens/app`), '1').catch((e: unknown) => e)) as RegistryError;
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toBe(
      `HEAD http://${fx.proxy.host}/v2/tokens/app/manifests/1: token request GET ${fx.tokenServer.realm} (service ${fx.tokenServer.service}, scope repository:tokens/app:pull): 401 Unauthorized (incorrect username or password)`,
    );
    for (const secret of ['wrong-pass-99', Buffer.from('dora:wrong-pass-99').toString('base64')]) {
      expect(err.message + String(err.stack) + JSON.stringify(err)).not.toContain(secret);
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

describe.skipIf(!registryAvailable())('bearer auth: anonymous pull, and an OAuth2 endpoint that answers access_token only', () => {
  const fx = useRegistryFixture({ tokenServer: { anonymousPull: true }, proxy: true });
  let digest: string;
  beforeAll(async () => {
    digest = (await pushImage(fx.registry, 'anon/app', { tags: ['2'] })).digest;
  });

  it('anonymous: GET the realm without credentials, for the pull scope', async () => {
    fx.tokenServer.clear();
    const c = createRegistryClient({ proxy: {} });
    try {
      expect(await c.resolveDigest(parseRepository(`${fx.proxy.host}/anon/app`), '2')).toBe(digest);
      expect(fx.tokenServer.requests()).toEqual([
        { method: 'GET', params: { service: fx.tokenServer.service, scope: 'repository:anon/app:pull' }, status: 200, granted: ['repository:anon/app:pull'] },
      ]);
    } finally {
      await c.close();
    }
  });

  it('reads access_token when the token endpoint speaks OAuth2 only (no "token" field)', async () => {
    // The one stand-in in this file: the harness token server always answers both spellings, as
    // Docker Hub does; OAuth2 endpoints (ACR's refresh-token grant) send access_token alone. The
    // token itself is the harness server's, so the real registry still verifies it.
    const grants: string[] = [];
    const oauthOnly = createServer((req, res) => {
      let form = '';
      req.on('data', (chunk: Buffer) => (form += chunk));
      req.on('end', () => {
        const params = new URLSearchParams(form);
        grants.push(`${req.method} ${params.get('grant_type')} ${params.get('scope')}`);
        const [, name] = /^repository:(.+):pull$/.exec(params.get('scope') ?? '') ?? [];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: fx.tokenServer.mint('oauth-user', [{ type: 'repository', name: name!, actions: ['pull'] }]), expires_in: 300 }));
      });
    });
    await new Promise<void>((resolve) => oauthOnly.listen(0, '127.0.0.1', resolve));
    const realm = `http://127.0.0.1:${(oauthOnly.address() as AddressInfo).port}/oauth2/token`;
    const registry = await startRegistry({ token: { ...fx.tokenServer.registryAuth, realm }, authorize: fx.tokenServer.authorize });
    const c = createRegistryClient({ proxy: {}, keychain: { resolve: async () => ({ identityToken: 'acr-refresh-token' }) } });
    try {
      const image = await pushImage(registry, 'oauth/app', { tags: ['1'] });
      expect(await c.resolveDigest(parseRepository(`${registry.host}/oauth/app`), '1')).toBe(image.digest);
      expect(grants).toEqual(['POST refresh_token repository:oauth/app:pull']);
    } finally {
      await c.close();
      await registry.stop();
      await new Promise<void>((resolve) => oauthOnly.close(() => resolve()));
    }
  });
});
