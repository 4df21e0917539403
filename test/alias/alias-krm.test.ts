import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, resourceList, runFn } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, tagExisting, type PushedImage } from '../harness/registry.js';
import { resultsOf } from '../reliability/invariants.js';

const SHA_TAG = `'^sha-[0-9a-f]{7}$'`;

/** A functionConfig with inline alias policies, one per entry. */
function aliasConfig(policies: Array<{ name: string; image: string; body: string }>): string {
  const entries = policies
    .map(({ name, image, body }) => `  - name: ${name}\n    image: ${image}\n${body.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n')}`)
    .join('\n');
  return `apiVersion: fn.apply-image-policies.dev/v1alpha1\nkind: ApplyImagePolicies\nspec:\n  policies:\n${entries}\n`;
}

function pod(name: string, containers: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  annotations:
    config.kubernetes.io/index: '0'
    config.kubernetes.io/path: '${name}.yaml'
spec:
  containers:
${containers}`;
}

/** Seven hex digits from a number, so decoy SHA tags sort where a test needs them. */
let builds = 0;

const shaTag = (n: number): string => `sha-${n.toString(16).padStart(7, '0')}`;

describe.skipIf(!registryAvailable())('aliasOf: pin the tag a rolling tag points at (built CLI, real fx.registry)', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-alias-', proxy: true });
  let host: string;
  beforeAll(() => {
    host = fx.proxy.host;
  });

  /** One build of `repo`: its own digest, but the blobs every build shares, so a push is one manifest PUT. */
  const pushBuild = (repo: string, tags: string[]) => pushImage(fx.registry, repo, { tags, seed: 'shared', annotations: { build: String(++builds) } });
  /** Each run gets a cache of its own unless `cacheDir` is given, so counts are cold by default. */
  const run = (items: string[], config: string, cacheDir?: string) =>
    runFn(resourceList(items, config), { env: isolatedEnv(fx.tempDir), ...(cacheDir ? { args: ['--cache-dir', cacheDir] } : {}) });

  it('pins latest to the SHA tag on its digest, passing over decoy SHA tags that sort higher', async () => {
    const build = await pushBuild('team/web', ['sha-3f2a9c1', 'latest', '1.4.0']);
    for (const decoy of ['sha-c0ffee1', 'sha-9be1d04', 'sha-0a1b2c3']) await pushBuild('team/web', [decoy]);
    const config = aliasConfig([{ name: 'web', image: `${host}/team/web`, body: `filterTags:\n  pattern: ${SHA_TAG}\naliasOf:\n  tag: latest` }]);
    const item = pod(
      'web',
      `  - name: web
    image: ${host}/team/web:old # {"$imagepolicy": "flux-system:web"}
    env:
    - name: BUILD
      value: old # {"$imagepolicy": "flux-system:web:tag"}
`,
    );
    const out = await run([item], config);
    expect(out.stderr).not.toContain('[error]');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`image: ${host}/team/web:sha-3f2a9c1@${build.digest} # {"$imagepolicy": "flux-system:web"}`);
    expect(out.stdout).toContain(`value: sha-3f2a9c1 # {"$imagepolicy": "flux-system:web:tag"}`);
  });

  it('orders several aliases of one build by the policy: numerical picks build-12, alphabetical build-7', async () => {
    const build = await pushBuild('team/api', ['latest', 'build-7', 'build-12']);
    await pushBuild('team/api', ['build-13', 'build-8']);
    const filter = `filterTags:\n  pattern: '^build-(?P<n>[0-9]+)$'\n  extract: '$n'`;
    const config = aliasConfig([
      { name: 'api-numerical', image: `${host}/team/api`, body: `policy:\n  numerical:\n    order: asc\n${filter}\naliasOf:\n  tag: latest` },
      { name: 'api-alphabetical', image: `${host}/team/api`, body: `filterTags:\n  pattern: '^build-[0-9]+$'\naliasOf:\n  tag: latest` },
    ]);
    const item = pod(
      'api',
      `  - name: a
    image: ${host}/team/api # {"$imagepolicy": "flux-system:api-numerical"}
  - name: b
    image: ${host}/team/api # {"$imagepolicy": "flux-system:api-alphabetical"}
`,
    );
    const out = await run([item], config);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`image: ${host}/team/api:build-12@${build.digest} # {"$imagepolicy": "flux-system:api-numerical"}`);
    expect(out.stdout).toContain(`image: ${host}/team/api:build-7@${build.digest} # {"$imagepolicy": "flux-system:api-alphabetical"}`);
  });

  it('repins on the next run after latest moved to a new build', async () => {
    const first = await pushBuild('team/mover', ['sha-1111111', 'latest']);
    const config = aliasConfig([{ name: 'mover', image: `${host}/team/mover`, body: `filterTags:\n  pattern: ${SHA_TAG}\naliasOf:\n  tag: latest` }]);
    const item = pod('mover', `  - name: mover\n    image: ${host}/team/mover:none # {"$imagepolicy": "flux-system:mover"}\n`);
    const before = await run([item], config);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toContain(`${host}/team/mover:sha-1111111@${first.digest}`);

    const second = await pushBuild('team/mover', ['sha-2222222']);
    await tagExisting(fx.registry, 'team/mover', second, 'latest');
    const after = await run([item.replace(`${host}/team/mover:none`, `${host}/team/mover:sha-1111111@${first.digest}`)], config);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain(`image: ${host}/team/mover:sha-2222222@${second.digest} # {"$imagepolicy": "flux-system:mover"}`);
    const info = resultsOf(after.stdout).find((r) => r.severity === 'info');
    expect(info?.message).toContain(`sha-1111111@${first.digest} → ${host}/team/mover:sha-2222222@${second.digest}`);
  });

  it('without an alias: an error naming the tracked tag, its digest and the candidates checked; the field is unchanged', async () => {
    const lonely = await pushBuild('team/lonely', ['latest']);
    await pushBuild('team/lonely', ['sha-aaaaaaa']);
    await pushBuild('team/lonely', ['sha-bbbbbbb']);
    const config = aliasConfig([{ name: 'lonely', image: `${host}/team/lonely`, body: `filterTags:\n  pattern: ${SHA_TAG}\naliasOf:\n  tag: latest` }]);
    const item = pod('lonely', `  - name: lonely\n    image: ${host}/team/lonely:keep-me # {"$imagepolicy": "flux-system:lonely"}\n`);
    const input = resourceList([item], config);
    const out = await run([item], config);
    expect(out.code, out.stderr).toBe(1);
    expect(out.stdout).toContain(`image: ${host}/team/lonely:keep-me # {"$imagepolicy": "flux-system:lonely"}`);
    expect((parse(out.stdout) as { items: unknown[] }).items).toEqual((parse(input) as { items: unknown[] }).items);
    const errors = resultsOf(out.stdout).filter((r) => r.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.field?.path).toBe('spec.containers[0].image');
    expect(errors[0]?.message).toContain(`no tag points to the same image as 'latest' (${lonely.digest}); checked 2 candidate tags`);
    expect(errors[0]?.message).toContain('flux-system/lonely');
  });

  it('compares top-level digests: a multi-arch index and its SHA tag are one image', async () => {
    const index = await pushImage(fx.registry, 'team/multi', { kind: 'oci-index', tags: ['latest', 'sha-abcdef0'], seed: 'multi' });
    // The decoy ranks first and carries the very same platform manifests, but is another index.
    const decoy = await pushImage(fx.registry, 'team/multi', { kind: 'oci-index', tags: ['sha-fffffff'], seed: 'multi', annotations: { build: 'other' } });
    expect(decoy.children?.map((c) => c.digest)).toEqual(index.children?.map((c) => c.digest));
    expect(decoy.digest).not.toBe(index.digest);
    const config = aliasConfig([{ name: 'multi', image: `${host}/team/multi`, body: `filterTags:\n  pattern: ${SHA_TAG}\naliasOf:\n  tag: latest` }]);
    const item = pod('multi', `  - name: multi\n    image: ${host}/team/multi # {"$imagepolicy": "flux-system:multi"}\n`);
    const out = await run([item], config);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`image: ${host}/team/multi:sha-abcdef0@${index.digest} #`);
  });

  it('the simple alternative: filterTags ^latest$ pins latest itself with its digest', async () => {
    const build = await pushBuild('team/plain', ['latest', 'sha-1234567']);
    const config = aliasConfig([{ name: 'plain', image: `${host}/team/plain`, body: `policy:\n  alphabetical:\n    order: asc\nfilterTags:\n  pattern: '^latest$'` }]);
    const out = await run([pod('plain', `  - name: plain\n    image: ${host}/team/plain # {"$imagepolicy": "flux-system:plain"}\n`)], config);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`image: ${host}/team/plain:latest@${build.digest} #`);
  });

  describe('registry requests on the HEAD-per-tag path, cold and warm cache', () => {
    // 21 SHA candidates; under alphabetical asc (greatest first) the alias ranks 4th (index 3).
    const DECOYS = Array.from({ length: 20 }, (_, i) => shaTag(0x1000000 + i * 0x10000));
    const ALIAS = shaTag(0x1000000 + 16 * 0x10000 + 1);
    let build: PushedImage;
    let config: string;
    let item: string;

    beforeAll(async () => {
      build = await pushBuild('team/count', [ALIAS, 'latest']);
      for (const decoy of DECOYS) await pushBuild('team/count', [decoy]);
      config = aliasConfig([{ name: 'count', image: `${host}/team/count`, body: `filterTags:\n  pattern: ${SHA_TAG}\naliasOf:\n  tag: latest` }]);
      item = pod('count', `  - name: count\n    image: ${host}/team/count # {"$imagepolicy": "flux-system:count"}\n`);
    });

    const manifestHeads = () => fx.proxy.count({ method: 'HEAD', path: /^\/v2\/team\/count\/manifests\// });
    const tagLists = () => fx.proxy.count({ method: 'GET', path: '/v2/team/count/tags/list' });
    const cacheDir = () => join(fx.tempDir, 'shared-cache');

    it('stops at the winner: 1 tag list + 1 HEAD of latest + 4 ranked HEADs + 3 in flight, against 22 HEADs naively', async () => {
      const ranked = [...DECOYS, ALIAS].sort().reverse();
      expect(ranked.indexOf(ALIAS)).toBe(3);
      fx.proxy.clear();
      const out = await run([item], config, cacheDir());
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain(`${host}/team/count:${ALIAS}@${build.digest}`);
      expect(tagLists()).toBe(1);
      // latest, then ranks 0–3 (the winner), then min(rank, window − 1) = 3 already in flight.
      expect(manifestHeads()).toBe(1 + 4 + 3);
      expect(fx.proxy.requests().filter((r) => r.path.startsWith('/v2/team/count/'))).toHaveLength(1 + 8);
    });

    it('warm and unchanged: the cached tag list and candidate digests answer; only latest is asked (304)', async () => {
      fx.proxy.clear();
      const out = await run([item], config, cacheDir());
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain(`${host}/team/count:${ALIAS}@${build.digest}`);
      expect(tagLists()).toBe(0);
      expect(fx.proxy.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`HEAD /v2/team/count/manifests/latest 304`]);
    });

    it('warm after latest moved to a new build: listed again at once, the new tag asked first — 3 requests', async () => {
      const moved = shaTag(0x1000000 + 10 * 0x10000 + 1);
      const next = await pushBuild('team/count', [moved]);
      await tagExisting(fx.registry, 'team/count', next, 'latest');
      fx.proxy.clear();
      const out = await run([item], config, cacheDir());
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain(`${host}/team/count:${moved}@${next.digest}`);
      expect(tagLists()).toBe(1);
      // latest, then the tag the last search had not seen: the 14 cached candidates the cold run
      // never reached are not asked, since an older tag cannot point at a build that is new.
      expect(manifestHeads()).toBe(1 + 1);
      expect(fx.proxy.requests().filter((r) => r.path !== '/v2/')).toHaveLength(3);

      fx.proxy.clear();
      const again = await run([item], config, cacheDir());
      expect(again.stdout).toContain(`${host}/team/count:${moved}@${next.digest}`);
      expect(fx.proxy.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`HEAD /v2/team/count/manifests/latest 304`]);
    });

    it('warm after latest rolled back to a build already aliased: the earlier answer, at most 2 requests', async () => {
      await tagExisting(fx.registry, 'team/count', build, 'latest');
      fx.proxy.clear();
      const out = await run([item], config, cacheDir());
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain(`${host}/team/count:${ALIAS}@${build.digest}`);
      const sent = fx.proxy.requests().map((r) => `${r.method} ${r.path}`);
      expect(sent).toContain('HEAD /v2/team/count/manifests/latest');
      expect(sent.length).toBeLessThanOrEqual(2);
    });

    it('cold, with no alias: every candidate asked once, and the error says how many', async () => {
      await pushBuild('team/count', ['latest']);
      fx.proxy.clear();
      const out = await run([item], config);
      expect(out.code, out.stderr).toBe(1);
      expect(resultsOf(out.stdout).map((r) => r.message).join('\n')).toContain('checked 22 candidate tags');
      expect(manifestHeads()).toBe(1 + 22);
      expect(tagLists()).toBe(1);
    });
  });
});
