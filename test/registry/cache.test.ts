import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OfflineCacheMissError, withCache } from '../../src/registry/cache/caching-client.js';
import { defaultCacheDir, fileCacheStore } from '../../src/registry/cache/store.js';
import { createRegistryClient, type RegistryClient } from '../../src/registry/client.js';
import { parseRepository } from '../../src/registry/name.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, tagExisting } from '../harness/registry.js';

describe('cache store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aip-store-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('lives under $XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/apply-image-policies');
    expect(defaultCacheDir({ HOME: '/h' })).toBe('/h/.cache/apply-image-policies');
  });

  it('ignores a truncated or foreign entry instead of failing', async () => {
    const store = fileCacheStore(join(dir, 'corrupt'));
    await store.write('tags a/b', { tags: ['1'] });
    const [file] = (await readdir(join(dir, 'corrupt', 'v1'))).map((f) => join(dir, 'corrupt', 'v1', f));
    const whole = await readFile(file!, 'utf8');
    await writeFile(file!, whole.slice(0, whole.length / 2));
    expect(await store.read('tags a/b')).toBeUndefined();
    await writeFile(file!, JSON.stringify({ key: 'tags other/repo', storedAt: 1, value: { tags: ['x'] } }));
    expect(await store.read('tags a/b')).toBeUndefined();
  });

  it('concurrent writers of one entry leave a whole entry and no temp files', async () => {
    const a = fileCacheStore(join(dir, 'race'));
    const b = fileCacheStore(join(dir, 'race'));
    const lists = Array.from({ length: 40 }, (_, i) => Array.from({ length: 200 }, (_, j) => `${i}.${j}.0`));
    await Promise.all(lists.map((tags, i) => (i % 2 ? a : b).write('tags team/app', { tags })));
    const read = await a.read<{ tags: string[] }>('tags team/app');
    expect(lists).toContainEqual(read!.value.tags);
    expect(await readdir(join(dir, 'race', 'v1'))).toHaveLength(1);
  });

  it('a directory that cannot be created turns the cache off and says so once', async () => {
    await writeFile(join(dir, 'a-file'), '');
    const said: string[] = [];
    const store = fileCacheStore(join(dir, 'a-file', 'cache'), { onUnavailable: (m) => said.push(m) });
    await store.write('k1', { tags: [] });
    await store.write('k2', { tags: [] });
    expect(await store.read('k1')).toBeUndefined();
    expect(said).toEqual([`cache directory ${join(dir, 'a-file', 'cache')} is not usable (ENOTDIR); running without a persistent cache`]);
  });
});

describe.skipIf(!registryAvailable())('caching client against distribution 2.8', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-cache-', proxy: true });
  const clients: RegistryClient[] = [];
  let clock = 1_000_000;
  /** One "run": a fresh client (no in-run memo) over the shared cache directory. */
  const run = (opts: { offline?: boolean; store?: string } = {}) => {
    const inner = createRegistryClient({ retry: { baseDelayMs: 1 } });
    clients.push(inner);
    return withCache(inner, { store: fileCacheStore(opts.store ?? join(fx.tempDir, 'cache'), { now: () => clock }), offline: opts.offline ?? false, now: () => clock });
  };

  beforeAll(async () => {
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0', 'latest'] });
  });
  afterEach(async () => {
    fx.proxy.clear();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('reuses a tag list younger than maxAgeMs, lists again when older or when asked with 0', async () => {
    const repo = parseRepository(`${fx.proxy.host}/cached/tags`);
    await pushImage(fx.registry, 'cached/tags', { tags: ['1.0.0'] });
    expect(await run().listTags(repo, { maxAgeMs: 60_000 })).toEqual(['1.0.0']);
    await pushImage(fx.registry, 'cached/tags', { tags: ['1.1.0'], seed: 'two' });
    clock += 30_000;
    expect(await run().listTags(repo, { maxAgeMs: 60_000 })).toEqual(['1.0.0']);
    expect(fx.proxy.count({ path: '/v2/cached/tags/tags/list' })).toBe(1);
    expect((await run().listTags(repo, { maxAgeMs: 0 })).sort()).toEqual(['1.0.0', '1.1.0']);
    clock += 61_000;
    await pushImage(fx.registry, 'cached/tags', { tags: ['1.2.0'], seed: 'three' });
    expect((await run().listTags(repo, { maxAgeMs: 60_000 })).sort()).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    expect(fx.proxy.count({ path: '/v2/cached/tags/tags/list' })).toBe(3);
  });

  it('an immutable digest is answered from the cache; a mutable one is revalidated with If-None-Match (304)', async () => {
    const repo = parseRepository(`${fx.proxy.host}/team/app`);
    const first = await run().resolveDigest(repo, '1.0.0', { mutable: false });
    fx.proxy.clear();
    expect(await run().resolveDigest(repo, '1.0.0', { mutable: false })).toBe(first);
    expect(fx.proxy.count()).toBe(0);

    const latest = await run().resolveDigest(repo, 'latest', { mutable: true });
    fx.proxy.clear();
    expect(await run().resolveDigest(repo, 'latest', { mutable: true })).toBe(latest);
    const [revalidation, ...rest] = fx.proxy.requests();
    expect(rest).toEqual([]);
    expect(revalidation).toMatchObject({ method: 'HEAD', status: 304 });
    expect(revalidation!.headers['if-none-match']).toBe(`"${latest}"`);

    const moved = await pushImage(fx.registry, 'team/app', { tags: ['next'], seed: 'nine' });
    await tagExisting(fx.registry, 'team/app', moved.digest, 'latest');
    expect(await run().resolveDigest(repo, 'latest', { mutable: true })).toBe(moved.digest);
    expect(await run().resolveDigest(repo, 'latest', { mutable: true })).toBe(moved.digest);
  });

  it('offline: answers from the cache without a request, and a miss says to run once online', async () => {
    const repo = parseRepository(`${fx.proxy.host}/team/app`);
    await run().listTags(repo, { maxAgeMs: 0 });
    const digest = await run().resolveDigest(repo, '1.0.0', { mutable: true });
    fx.proxy.clear();
    const offline = run({ offline: true });
    expect(await offline.listTags(repo, { maxAgeMs: 0 })).toContain('1.0.0');
    expect(await offline.resolveDigest(repo, '1.0.0', { mutable: true })).toBe(digest);
    expect(fx.proxy.count()).toBe(0);
    const miss = await offline.resolveDigest(repo, 'never-seen', { mutable: false }).catch((e: unknown) => e);
    expect(miss).toBeInstanceOf(OfflineCacheMissError);
    expect((miss as Error).message).toBe(`offline: the digest of ${fx.proxy.host}/team/app:never-seen is not in the cache; run once online to fill it`);
    await expect(run({ offline: true, store: join(fx.tempDir, 'empty') }).listTags(repo)).rejects.toThrow(
      `offline: the tag list of ${fx.proxy.host}/team/app is not in the cache; run once online to fill it`,
    );
  });
});
