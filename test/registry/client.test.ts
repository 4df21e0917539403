import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { parseRepository } from '../../src/registry/name.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, seedRepository, startProxy, tagExisting, type ManifestKind } from '../harness/registry.js';

describe.skipIf(!registryAvailable())('registry client against distribution 2.8', () => {
  const fx = useRegistryFixture({ proxy: { paginate: { maxPageSize: 10 } } });
  const clients: RegistryClient[] = [];
  const client = (opts: RegistryClientOptions = {}) => {
    const c = createRegistryClient({ retry: { baseDelayMs: 1 }, ...opts });
    clients.push(c);
    return c;
  };

  afterEach(async () => {
    fx.proxy.setIntercept(undefined);
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  describe('resolveDigest returns the top-level digest', () => {
    it.each<ManifestKind>(['oci', 'oci-index', 'docker', 'docker-list'])('%s', async (kind) => {
      const img = await pushImage(fx.registry, `digest/${kind}`, { tags: ['1.0.0'], kind });
      const c = client();
      const digest = await c.resolveDigest(parseRepository(`${fx.registry.host}/digest/${kind}`), '1.0.0');
      expect(digest).toBe(img.digest);
      if (img.children) expect(img.children.map((x) => x.digest)).not.toContain(digest);
    });
  });

  it('sends HEAD with all four manifest types and no GET when the digest header is there', async () => {
    await pushImage(fx.registry, 'accept/app', { tags: ['v'] });
    fx.proxy.clear();
    const c = client();
    await c.resolveDigest(parseRepository(`${fx.proxy.host}/accept/app`), 'v');
    const [req, ...rest] = fx.proxy.requests();
    expect(rest).toEqual([]);
    expect(req!.method).toBe('HEAD');
    expect(String(req!.headers.accept).split(/,\s*/).sort()).toEqual([
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.oci.image.manifest.v1+json',
    ]);
  });

  it.each([
    ['missing', {}],
    ['bogus', { 'docker-content-digest': 'sha256:nothex' }],
  ])('falls back to GET and hashes the bytes when the digest header is %s', async (_label, headers) => {
    const img = await pushImage(fx.registry, 'nodigest/app', { tags: ['v'], kind: 'docker-list' });
    fx.proxy.clear();
    fx.proxy.setIntercept((e) => (e.method === 'HEAD' ? { status: 200, headers: { 'content-type': img.mediaType, ...headers } } : undefined));
    const c = client();
    expect(await c.resolveDigest(parseRepository(`${fx.proxy.host}/nodigest/app`), 'v')).toBe(img.digest);
    expect(fx.proxy.requests().map((e) => e.method)).toEqual(['HEAD', 'GET']);
  });

  it('follows a moved tag only in a new client (one run = one answer)', async () => {
    const a = await pushImage(fx.registry, 'moved/app', { tags: ['latest'] });
    const b = await pushImage(fx.registry, 'moved/app', { tags: ['other'] });
    const repo = parseRepository(`${fx.registry.host}/moved/app`);
    const first = client();
    expect(await first.resolveDigest(repo, 'latest')).toBe(a.digest);
    await tagExisting(fx.registry, 'moved/app', b.digest, 'latest');
    expect(await first.resolveDigest(repo, 'latest')).toBe(a.digest);
    expect(await client().resolveDigest(repo, 'latest')).toBe(b.digest);
  });

  it('reports a missing tag with host, repository and status', async () => {
    await pushImage(fx.registry, 'missing/app', { tags: ['there'] });
    const err = await client()
      .resolveDigest(parseRepository(`${fx.registry.host}/missing/app`), 'not-there')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).message).toBe(`HEAD http://${fx.registry.host}/v2/missing/app/manifests/not-there: 404 Not Found`);
    expect((err as RegistryError).status).toBe(404);
  });

  it('reports an unknown repository with the registry error code', async () => {
    const err = (await client()
      .listTags(parseRepository(`${fx.registry.host}/no/such`))
      .catch((e: unknown) => e)) as RegistryError;
    expect(err.message).toBe(
      `GET http://${fx.registry.host}/v2/no/such/tags/list?n=1000: 404 Not Found (NAME_UNKNOWN: repository name not known to registry)`,
    );
    expect(err.code).toBe('NAME_UNKNOWN');
  });

  describe('tag pagination (through the paginating proxy)', () => {
    const tags = Array.from({ length: 47 }, (_, i) => `v${String(i).padStart(3, '0')}`);
    beforeAll(async () => {
      await seedRepository(fx.registry, 'paged/app', tags, { distinct: false });
    });

    it('follows relative Link headers until the end (server caps n at 10)', async () => {
      fx.proxy.clear();
      const c = client();
      const listed = await c.listTags(parseRepository(`${fx.proxy.host}/paged/app`));
      expect([...listed].sort()).toEqual(tags);
      const pages = fx.proxy.requests().filter((e) => e.path === '/v2/paged/app/tags/list');
      expect(pages).toHaveLength(5);
      expect(pages[0]!.query).toEqual({ n: '1000' });
      expect(pages[1]!.query).toEqual({ n: '10', last: 'v009' });
    });

    it('honours a smaller page size and absolute Links on the same host', async () => {
      const absolute = await startProxy(fx.registry.url, { paginate: { absoluteLinks: true } });
      try {
        const c = client({ pageSize: 20 });
        const listed = await c.listTags(parseRepository(`${absolute.host}/paged/app`));
        expect(listed).toEqual(tags);
        expect(absolute.count({ path: '/v2/paged/app/tags/list' })).toBe(3);
        expect(absolute.requests()[1]!.query).toEqual({ n: '20', last: 'v019' });
      } finally {
        await absolute.stop();
      }
    });

    it('refuses a next page on another host', async () => {
      const other = await startProxy(fx.registry.url);
      try {
        fx.proxy.setIntercept((e) =>
          e.path === '/v2/paged/app/tags/list'
            ? { status: 200, headers: { link: `<${other.url}/v2/paged/app/tags/list?n=5&last=v004>; rel="next"` }, body: { name: 'paged/app', tags: ['v000'] } }
            : undefined,
        );
        const err = (await client()
          .listTags(parseRepository(`${fx.proxy.host}/paged/app`))
          .catch((e: unknown) => e)) as RegistryError;
        expect(err).toBeInstanceOf(RegistryError);
        expect(err.message).toContain(`GET http://${fx.proxy.host}/v2/paged/app/tags/list?n=1000: the next-page Link points to ${other.url}`);
        expect(other.count()).toBe(0);
      } finally {
        await other.stop();
      }
    });

    it('refuses a Link that loops', async () => {
      fx.proxy.setIntercept((e) =>
        e.path === '/v2/paged/app/tags/list'
          ? { status: 200, headers: { link: '</v2/paged/app/tags/list?n=1000>; rel="next"' }, body: { name: 'paged/app', tags: ['v000'] } }
          : undefined,
      );
      await expect(client().listTags(parseRepository(`${fx.proxy.host}/paged/app`))).rejects.toThrow(/Link loops back/);
    });
  });

  it('dedupes: one tag listing per repository and one HEAD per (repository, tag), however many callers', async () => {
    await seedRepository(fx.registry, 'dedupe/app', ['1', '2', '3']);
    await seedRepository(fx.registry, 'dedupe/other', ['1']);
    fx.proxy.clear();
    const c = client();
    const app = parseRepository(`${fx.proxy.host}/dedupe/app`);
    // Two spellings of the same repository object must share the work too.
    const again = parseRepository(`${fx.proxy.host}/dedupe/app`);
    const other = parseRepository(`${fx.proxy.host}/dedupe/other`);
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      work.push(c.listTags(i % 2 ? app : again), c.listTags(other));
      for (const tag of ['1', '2', '3']) work.push(c.resolveDigest(i % 2 ? app : again, tag));
      work.push(c.resolveDigest(other, '1'));
    }
    await Promise.all(work);
    expect(fx.proxy.count({ method: 'GET', path: '/v2/dedupe/app/tags/list' })).toBe(1);
    expect(fx.proxy.count({ method: 'GET', path: '/v2/dedupe/other/tags/list' })).toBe(1);
    for (const tag of ['1', '2', '3']) expect(fx.proxy.count({ method: 'HEAD', path: `/v2/dedupe/app/manifests/${tag}` })).toBe(1);
    expect(fx.proxy.count({ method: 'HEAD', path: '/v2/dedupe/other/manifests/1' })).toBe(1);
    expect(fx.proxy.count()).toBe(6);
    // The https probe never reaches the plain-http proxy as a request, but the client counts it.
    expect(c.requestCount()).toBe(7);
  });

  it('listTags callers get independent arrays', async () => {
    await seedRepository(fx.registry, 'copies/app', ['a', 'b']);
    const c = client();
    const repo = parseRepository(`${fx.registry.host}/copies/app`);
    const first = await c.listTags(repo);
    first.pop();
    expect(await c.listTags(repo)).toHaveLength(2);
  });

  describe('retries', () => {
    it.each([
      [503, {}],
      [429, { 'retry-after': '2' }],
      [502, {}],
      [408, {}],
    ])('retries %i and succeeds', async (status, headers) => {
      const img = await pushImage(fx.registry, 'retry/app', { tags: ['v'] });
      fx.proxy.clear();
      let failures = 2;
      fx.proxy.setIntercept((e) => (e.method === 'HEAD' && failures-- > 0 ? { status, headers } : undefined));
      const delays: number[] = [];
      const c = client({ retry: { baseDelayMs: 100, sleep: async (ms) => void delays.push(ms), random: () => 0.5 } });
      expect(await c.resolveDigest(parseRepository(`${fx.proxy.host}/retry/app`), 'v')).toBe(img.digest);
      expect(fx.proxy.count({ method: 'HEAD' })).toBe(3);
      // Retry-After (seconds) replaces the backoff; otherwise exponential: 75, 150 with this jitter.
      expect(delays).toEqual(status === 429 ? [2000, 2000] : [75, 150]);
    });

    it('jitters each backoff between half and all of its exponential step, capped at maxDelayMs', async () => {
      fx.proxy.setIntercept(() => ({ status: 503 }));
      const repo = parseRepository(`${fx.proxy.host}/jitter/app`);
      const draws = [0, 1, 0.5];
      const delays: number[] = [];
      const sleep = async (ms: number) => void delays.push(ms);
      const scripted = client({ retry: { baseDelayMs: 100, maxDelayMs: 300, sleep, random: () => draws.shift()! } });
      await expect(scripted.resolveDigest(repo, 'v')).rejects.toThrow(/503/);
      // Steps 100, 200, then 300 (400 capped): the lowest, the highest, and the middle of each range.
      expect(delays).toEqual([50, 200, 225]);

      // With the real Math.random: every delay within its range, and callers do not retry in lockstep.
      const firstDelays: number[] = [];
      const bounded = client({ retry: { baseDelayMs: 100, maxDelayMs: 300, sleep } });
      for (const tag of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
        delays.length = 0;
        await expect(bounded.resolveDigest(repo, tag)).rejects.toThrow(/503/);
        expect(delays).toHaveLength(3);
        [100, 200, 300].forEach((step, i) => {
          expect(delays[i]).toBeGreaterThanOrEqual(step / 2);
          expect(delays[i]).toBeLessThanOrEqual(step);
        });
        firstDelays.push(delays[0]!);
      }
      expect(new Set(firstDelays).size).toBeGreaterThan(1);
    });

    it('gives up after maxAttempts with the last status in the error', async () => {
      await pushImage(fx.registry, 'retry/down', { tags: ['v'] });
      fx.proxy.clear();
      fx.proxy.setIntercept((e) => (e.method === 'GET' ? { status: 503, body: { errors: [{ code: 'UNAVAILABLE', message: 'try later' }] } } : undefined));
      const c = client({ retry: { maxAttempts: 3, baseDelayMs: 1 } });
      await expect(c.listTags(parseRepository(`${fx.proxy.host}/retry/down`))).rejects.toThrow(
        `GET http://${fx.proxy.host}/v2/retry/down/tags/list?n=1000: 503 Service Unavailable (UNAVAILABLE: try later)`,
      );
      expect(fx.proxy.count()).toBe(3);
    });

    it('does not retry 404 or 501', async () => {
      fx.proxy.clear();
      fx.proxy.setIntercept(() => ({ status: 501 }));
      await expect(client().resolveDigest(parseRepository(`${fx.proxy.host}/x/y`), 'v')).rejects.toThrow(/501/);
      expect(fx.proxy.count()).toBe(1);
    });

    it('passes on a Retry-After longer than it is willing to wait', async () => {
      fx.proxy.clear();
      fx.proxy.setIntercept(() => ({ status: 429, headers: { 'retry-after': '3600' } }));
      const c = client({ retry: { maxRetryAfterMs: 1000 } });
      await expect(c.resolveDigest(parseRepository(`${fx.proxy.host}/x/y`), 'v')).rejects.toThrow(/429 Too Many Requests/);
      expect(fx.proxy.count()).toBe(1);
    });

    it('retries a connection reset', async () => {
      const img = await pushImage(fx.registry, 'retry/reset', { tags: ['v'] });
      // A TCP relay to the proxy that kills the first plain-HTTP connection (after the client's
      // https probe, which it also kills, as a plain server would).
      const net = await import('node:net');
      let plainConnections = 0;
      const server = net.createServer((socket) => {
        socket.once('data', (chunk: Buffer) => {
          if (chunk[0] === 0x16 || plainConnections++ === 0) return socket.destroy();
          const upstream = net.connect(Number(fx.proxy.host.split(':')[1]), '127.0.0.1');
          upstream.write(chunk);
          socket.pipe(upstream).pipe(socket);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const port = (server.address() as import('node:net').AddressInfo).port;
        const c = client();
        expect(await c.resolveDigest(parseRepository(`127.0.0.1:${port}/retry/reset`), 'v')).toBe(img.digest);
        expect(plainConnections).toBe(2);
        expect(c.requestCount()).toBe(3);
      } finally {
        server.close();
      }
    });
  });
});
