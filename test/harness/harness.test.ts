import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_MANIFEST_TYPES,
  MEDIA_TYPES,
  generateTestCertificate,
  pushImage,
  registryAvailable,
  seedRepository,
  sha256,
  startProxy,
  startRegistry,
  tagExisting,
  type ManifestKind,
  type RegistryTarget,
  type RunningProxy,
  type RunningRegistry,
} from './registry.js';

async function head(target: RegistryTarget, path: string, headers: Record<string, string> = {}) {
  const res = await request(`${target.url}${path}`, {
    method: 'HEAD',
    headers: { accept: ALL_MANIFEST_TYPES, ...headers },
    ...(target.dispatcher ? { dispatcher: target.dispatcher } : {}),
  });
  await res.body.dump();
  return res;
}

async function getJson(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as any };
}

describe.skipIf(!registryAvailable())('test harness', () => {
  let reg: RunningRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(() => reg?.stop());

  it('starts on a random loopback port and answers /v2/', async () => {
    expect(reg.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await request(`${reg.url}/v2/`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });

  it.each<[ManifestKind, string]>([
    ['oci', MEDIA_TYPES.ociManifest],
    ['docker', MEDIA_TYPES.dockerManifest],
    ['oci-index', MEDIA_TYPES.ociIndex],
    ['docker-list', MEDIA_TYPES.dockerList],
  ])('pushes %s and HEAD returns the digest of the bytes pushed', async (kind, mediaType) => {
    const img = await pushImage(reg, `kinds/${kind}`, { tags: ['v1', 'also'], kind });
    expect(img.mediaType).toBe(mediaType);
    expect(img.digest).toBe(sha256(img.manifest));
    for (const tag of ['v1', 'also']) {
      const res = await head(reg, `/v2/kinds/${kind}/manifests/${tag}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['docker-content-digest']).toBe(img.digest);
      expect(res.headers['content-type']).toBe(mediaType);
    }
    if (kind.includes('-')) {
      expect(img.children).toHaveLength(2);
      const index = JSON.parse(img.manifest.toString()) as { manifests: Array<{ digest: string; platform: { architecture: string } }> };
      expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
      for (const child of img.children!) {
        const res = await head(reg, `/v2/kinds/${kind}/manifests/${child.digest}`);
        expect(res.headers['docker-content-digest']).toBe(child.digest);
      }
    }
  });

  it('same seed gives the same digest, different seeds differ', async () => {
    const a = await pushImage(reg, 'seeded/a', { tags: ['x'], seed: 's1' });
    const b = await pushImage(reg, 'seeded/b', { tags: ['x'], seed: 's1' });
    const c = await pushImage(reg, 'seeded/c', { tags: ['x'], seed: 's2' });
    expect(a.digest).toBe(b.digest);
    expect(c.digest).not.toBe(a.digest);
  });

  it('tagExisting moves a tag to another manifest, by digest or by bytes', async () => {
    const one = await pushImage(reg, 'moving/app', { tags: ['latest'], kind: 'docker-list' });
    const two = await pushImage(reg, 'moving/app', { tags: ['2.0'], kind: 'docker-list' });
    expect(await tagExisting(reg, 'moving/app', two.digest, 'latest')).toBe(two.digest);
    expect((await head(reg, '/v2/moving/app/manifests/latest')).headers['docker-content-digest']).toBe(two.digest);
    await tagExisting(reg, 'moving/app', one, 'latest');
    expect((await head(reg, '/v2/moving/app/manifests/latest')).headers['docker-content-digest']).toBe(one.digest);
  });

  it('seeds hundreds of distinct tags quickly', async () => {
    const tags = Array.from({ length: 300 }, (_, i) => `1.${i}.0`);
    const started = Date.now();
    const digests = await seedRepository(reg, 'bulk/app', tags, { kind: 'oci' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(new Set(digests.values()).size).toBe(300);
    const list = await getJson(`${reg.url}/v2/bulk/app/tags/list`);
    expect(new Set(list.body.tags)).toEqual(new Set(tags));
    const res = await head(reg, '/v2/bulk/app/manifests/1.42.0');
    expect(res.headers['docker-content-digest']).toBe(digests.get('1.42.0'));
    const same = await seedRepository(reg, 'bulk/same', ['a', 'b', 'c'], { distinct: false, kind: 'docker' });
    expect(new Set(same.values()).size).toBe(1);
  });

  it('parses the access log, exactly after settling', async () => {
    reg.clearRequests();
    for (let i = 0; i < 3; i++) await head(reg, '/v2/kinds/oci/manifests/v1');
    const entries = await reg.settledRequests();
    const heads = entries.filter((e) => e.method === 'HEAD' && e.path === '/v2/kinds/oci/manifests/v1');
    expect(heads).toHaveLength(3);
    expect(heads[0]!.status).toBe(200);
    expect(entries.every((e) => !('__harness_sync' in e.query))).toBe(true);
  });

  describe('proxy', () => {
    let proxy: RunningProxy;
    beforeAll(async () => {
      proxy = await startProxy(reg.url, { paginate: true });
      await seedRepository(reg, 'paged/app', ['b', 'a', 'e', 'c', 'd'], { distinct: false });
    });
    afterAll(() => proxy?.stop());

    it('paginates tags/list with n, last and a relative Link', async () => {
      const seen: string[] = [];
      let next: string | undefined = '/v2/paged/app/tags/list?n=2';
      const links: string[] = [];
      while (next) {
        const page = await getJson(`${proxy.url}${next}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.tags);
        const link = page.headers.link as string | undefined;
        if (link) links.push(link);
        next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
      }
      expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(links).toEqual([
        '</v2/paged/app/tags/list?n=2&last=b>; rel="next"',
        '</v2/paged/app/tags/list?n=2&last=d>; rel="next"',
      ]);
      expect(proxy.count({ method: 'GET', path: '/v2/paged/app/tags/list' })).toBe(3);
    });

    it('without n returns everything, like 2.8', async () => {
      const page = await getJson(`${proxy.url}/v2/paged/app/tags/list`);
      expect(page.body.tags).toHaveLength(5);
      expect(page.headers.link).toBeUndefined();
    });

    it('logs headers and lets intercept answer instead of the registry', async () => {
      proxy.clear();
      let calls = 0;
      proxy.setIntercept((e) => (e.path.endsWith('/manifests/v1') && calls++ === 0 ? { status: 429, headers: { 'retry-after': '1' } } : undefined));
      const first = await head(proxy, '/v2/kinds/oci/manifests/v1', { 'x-probe': 'yes' });
      const second = await head(proxy, '/v2/kinds/oci/manifests/v1');
      proxy.setIntercept(undefined);
      expect(first.statusCode).toBe(429);
      expect(first.headers['retry-after']).toBe('1');
      expect(second.statusCode).toBe(200);
      const [a, b] = proxy.requests();
      expect(a!.headers['x-probe']).toBe('yes');
      expect(a!.intercepted).toBe(true);
      expect(b!.status).toBe(200);
    });

    it('pushes work through the proxy (upload Locations point back at it)', async () => {
      proxy.clear();
      const img = await pushImage(proxy, 'via/proxy', { tags: ['t'] });
      expect((await head(reg, '/v2/via/proxy/manifests/t')).headers['docker-content-digest']).toBe(img.digest);
      expect(proxy.count({ method: 'PUT' })).toBeGreaterThanOrEqual(3);
    });
  });
});

describe.skipIf(!registryAvailable())('test harness: auth and TLS', () => {
  it('htpasswd registry rejects anonymous pulls and accepts the harness push', async () => {
    const reg = await startRegistry({ htpasswd: { user: 'alice', pass: 's3cret' } });
    try {
      const img = await pushImage(reg, 'private/app', { tags: ['1'] });
      const anon = await request(`${reg.url}/v2/private/app/tags/list`);
      expect(anon.statusCode).toBe(401);
      expect(anon.headers['www-authenticate']).toBe('Basic realm="harness-realm"');
      await anon.body.dump();
      const authed = await head(reg, '/v2/private/app/manifests/1', { authorization: (await reg.authorize!('x'))! });
      expect(authed.headers['docker-content-digest']).toBe(img.digest);
    } finally {
      await reg.stop();
    }
  });

  it('serves TLS with a generated certificate', async () => {
    const reg = await startRegistry({ tls: generateTestCertificate() });
    try {
      expect(reg.url).toBe(`https://${reg.host}`);
      const img = await pushImage(reg, 'tls/app', { tags: ['1'], kind: 'oci-index' });
      const res = await head(reg, '/v2/tls/app/manifests/1');
      expect(res.headers['docker-content-digest']).toBe(img.digest);
    } finally {
      await reg.stop();
    }
  });
});
