// Gates on the real registry: what an index lists, what a single image's config names, and when
// an image was made decide whether Flux's choice is pinned, or the next candidate in its order.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fluxPolicy, fluxRepository, isolatedEnv, resourceList, runFn } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushImageOptions, type PushedImage } from '../harness/registry.js';
import { resultsOf } from '../reliability/invariants.js';

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const OLD = '2020-06-01T00:00:00Z';

describe.skipIf(!registryAvailable())('gates before pinning (built CLI, real registry)', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-gates-', proxy: true });
  let runs = 0;

  const deployment = (image: string, name = 'web') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  annotations:
    config.kubernetes.io/index: '0'
    config.kubernetes.io/path: '${name}.yaml'
spec:
  template:
    spec:
      containers:
      - name: app
        image: ${image} # {"$imagepolicy": "flux-system:${name}"}
`;

  /** A functionConfig with one inline policy `web` on `repo` (through the counting proxy). */
  const config = (repo: string, body: string, shared = '') =>
    `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
spec:
${shared}  policies:
  - name: web
    image: ${fx.proxy.host}/${repo}
${body.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n')}
`;

  const run = (repo: string, body: string, options: { current?: string; shared?: string; env?: NodeJS.ProcessEnv; args?: string[] } = {}) => {
    const current = options.current ?? `${fx.proxy.host}/${repo}:0.1.0`;
    return runFn(resourceList([deployment(current)], config(repo, body, options.shared)), {
      env: options.env ?? isolatedEnv(`${fx.tempDir}/run-${runs++}`),
      ...(options.args ? { args: options.args } : {}),
    });
  };

  const push = (repo: string, tag: string, opts: PushImageOptions = {}): Promise<PushedImage> => pushImage(fx.registry, repo, { tags: [tag], ...opts });
  const pinned = (repo: string, tag: string, image: PushedImage) => `image: ${fx.proxy.host}/${repo}:${tag}@${image.digest} #`;
  const semver = 'policy:\n  semver:\n    range: ">=1.0.0"';

  describe('platforms', () => {
    it('an index that lists every platform asked for is pinned', async () => {
      const latest = await push('plat/index', '1.3.0', { kind: 'oci-index' });
      const r = await run('plat/index', `${semver}\nplatforms: [linux/arm64, linux/amd64]`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(pinned('plat/index', '1.3.0', latest));
    });

    it('an index lacking one is passed over for the next candidate that has it', async () => {
      const repo = 'plat/fallback';
      const older = await push(repo, '1.2.0', { kind: 'oci-index', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 's390x' }] });
      await push(repo, '1.3.0', { kind: 'oci-index' });
      const r = await run(repo, `${semver}\nplatforms: [linux/s390x]`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(pinned(repo, '1.2.0', older));
    });

    it('no candidate has it: the field is left as it was and the error names the gate and the best candidate', async () => {
      const repo = 'plat/none';
      await push(repo, '1.2.0', { kind: 'docker-list' });
      await push(repo, '1.3.0', { kind: 'oci-index' });
      const r = await run(repo, `${semver}\nplatforms: [linux/s390x]`);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`image: ${fx.proxy.host}/${repo}:0.1.0 #`);
      const errors = resultsOf(r.stdout).filter((x) => x.severity === 'error');
      expect(errors.map((e) => e.message).join('\n')).toContain('1.3.0 lacks linux/s390x (has linux/amd64, linux/arm64) (platforms; 2 candidates checked)');
    });

    it('a single image passes for its one platform, variant included; asked for two it is not an index', async () => {
      const repo = 'plat/single';
      const armv7 = await push(repo, '2.0.0', { platforms: [{ os: 'linux', architecture: 'arm', variant: 'v7' }] });
      const ok = await run(repo, `${semver}\nplatforms: [linux/arm/v7]`);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(pinned(repo, '2.0.0', armv7));

      const v6 = await run(repo, `${semver}\nplatforms: [linux/arm/v6]`);
      expect(v6.code).toBe(1);
      expect(v6.stdout).toContain('2.0.0 lacks linux/arm/v6 (has linux/arm/v7)');

      const two = await run(repo, `${semver}\nplatforms: [linux/arm/v7, linux/amd64]`);
      expect(two.code).toBe(1);
      expect(two.stdout).toContain('2.0.0 is a single-platform image (linux/arm/v7), not an index of linux/arm/v7, linux/amd64');
    });

    it('spec.platforms applies to Flux ImagePolicy objects too', async () => {
      const repo = 'plat/flux';
      const older = await push(repo, '1.0.0', { kind: 'oci-index', platforms: [{ os: 'linux', architecture: 'riscv64' }] });
      await push(repo, '1.1.0', { kind: 'oci-index' });
      const fnConfig = 'apiVersion: fn.apply-image-policies.dev/v1alpha1\nkind: ApplyImagePolicies\nspec:\n  platforms: [linux/riscv64]\n';
      const input = resourceList(
        [fluxRepository('web', `${fx.proxy.host}/${repo}`), fluxPolicy('web', 'web', 'semver:\n  range: ">=1.0.0"'), deployment(`${fx.proxy.host}/${repo}:0.1.0`)],
        fnConfig,
      );
      const r = await runFn(input, { env: isolatedEnv(`${fx.tempDir}/run-${runs++}`) });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(pinned(repo, '1.0.0', older));
    });
  });

  describe('minReleaseAge', () => {
    it('a config created an hour ago is too fresh: the older release is pinned', async () => {
      const repo = 'age/config';
      const older = await push(repo, '1.0.0', { created: OLD });
      await push(repo, '1.1.0', { created: ago(HOUR) });
      const r = await run(repo, `${semver}\nminReleaseAge: 3d`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(pinned(repo, '1.0.0', older));
    });

    it('an index without the created annotation is judged by its first platform image', async () => {
      const repo = 'age/index';
      await push(repo, '1.1.0', { kind: 'oci-index', created: ago(HOUR) });
      const r = await run(repo, `${semver}\nminReleaseAge: 72h`);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('1.1.0 was created 1h ago (minReleaseAge 72h) (minReleaseAge; 1 candidate checked)');
    });

    it('the created annotation comes before the config: an annotation-only time decides', async () => {
      const repo = 'age/annotation';
      const fresh = await push(repo, '1.1.0', { kind: 'oci-index', created: null, annotations: { 'org.opencontainers.image.created': ago(5 * HOUR) } });
      const stale = await push(repo, '1.2.0', { created: OLD, annotations: { 'org.opencontainers.image.created': ago(2 * HOUR) } });
      const r = await run(repo, `${semver}\nminReleaseAge: 4h`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(pinned(repo, '1.1.0', fresh));
      expect(stale.digest).not.toBe(fresh.digest);
    });

    it('zero and 1970 times are unknown: refused by default, pinned with unknownReleaseAge: allow', async () => {
      const repo = 'age/zero';
      const zero = await push(repo, '1.1.0', { created: '0001-01-01T00:00:00Z' });
      await push(repo, '1.2.0', { created: '1970-01-01T00:00:00Z' });
      const denied = await run(repo, `${semver}\nminReleaseAge: 1h`);
      expect(denied.code).toBe(1);
      expect(denied.stdout).toContain('1.2.0 has no known release time');
      expect(denied.stdout).toContain(`image: ${fx.proxy.host}/${repo}:0.1.0 #`);

      const allowed = await run(repo, `${semver}\nminReleaseAge: 1h\nunknownReleaseAge: allow\nfilterTags:\n  pattern: '^1\\.1\\.'`);
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(allowed.stdout).toContain(pinned(repo, '1.1.0', zero));
    });

    it('a time in the future is unknown too', async () => {
      const repo = 'age/future';
      await push(repo, '1.0.0', { created: new Date(Date.now() + 30 * 24 * HOUR).toISOString() });
      const r = await run(repo, `${semver}\nminReleaseAge: 1h`);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('1.0.0 has no known release time');
    });
  });

  it('with aliasOf the gates judge the rolling tag’s image', async () => {
    const repo = 'gate/alias';
    const image = await pushImage(fx.registry, repo, { tags: ['latest', 'sha-1234567'], created: ago(HOUR) });
    const body = "filterTags:\n  pattern: '^sha-[0-9a-f]{7}$'\naliasOf:\n  tag: latest";
    const fresh = await run(repo, `${body}\nminReleaseAge: 1d`, { current: `${fx.proxy.host}/${repo}:sha-0000000` });
    expect(fresh.code).toBe(1);
    expect(fresh.stdout).toContain(`latest's image (${image.digest.slice(0, 19)}, tag sha-1234567) was created 1h ago (minReleaseAge 1d)`);

    const ok = await run(repo, `${body}\nminReleaseAge: 30m`, { current: `${fx.proxy.host}/${repo}:sha-0000000` });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(pinned(repo, 'sha-1234567', image));
  });

  it('a gate never moves a field backwards: a newer current pin is kept, with a warning', async () => {
    const repo = 'gate/backwards';
    await push(repo, '1.2.0', { created: OLD });
    const newest = await push(repo, '1.3.0', { created: ago(HOUR) });
    const current = `${fx.proxy.host}/${repo}:1.3.0@${newest.digest}`;
    const r = await run(repo, `${semver}\nminReleaseAge: 3d`, { current });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`image: ${current} #`);
    const warnings = resultsOf(r.stdout).filter((x) => x.severity === 'warning');
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/kept 1\.3\.0, newer than 1\.2\.0, the best candidate that passes the gates \(1\.3\.0 was created 1h ago .*\); a gate never moves a field backwards/);
  });

  it('explain shows each gate as a stage and each gated candidate with its reason', async () => {
    const repo = 'gate/explain';
    await push(repo, '1.0.0', { kind: 'oci-index', created: OLD, platforms: [{ os: 'linux', architecture: 'amd64' }] });
    await push(repo, '1.1.0', { kind: 'oci-index', created: ago(HOUR), platforms: [{ os: 'linux', architecture: 'amd64' }] });
    await push(repo, '1.2.0', { kind: 'oci-index', created: OLD, platforms: [{ os: 'linux', architecture: 'arm64' }] });
    const file = `${fx.tempDir}/explain.json`;
    const r = await run(repo, `${semver}\nplatforms: [linux/amd64]\nminReleaseAge: 3d`, { args: ['--explain-json', file] });
    expect(r.code, r.stderr).toBe(0);
    const marker = (JSON.parse(await readFile(file, 'utf8')) as { markers: Array<Record<string, unknown>> }).markers[0]!;
    expect(marker.stages).toEqual([
      { stage: 'listed', remaining: 3 },
      { stage: 'exclusionList', remaining: 3 },
      { stage: 'filterTags', remaining: 3 },
      { stage: 'policy', remaining: 3 },
      { stage: 'platforms', remaining: 2 },
      { stage: 'minReleaseAge', remaining: 1 },
    ]);
    expect(marker.candidates).toEqual([
      { tag: '1.2.0', verdict: 'gated', gate: 'platforms', reason: 'lacks linux/amd64 (has linux/arm64)' },
      { tag: '1.1.0', verdict: 'gated', gate: 'minReleaseAge', reason: 'was created 1h ago (minReleaseAge 3d)' },
      { tag: '1.0.0', verdict: 'selected', reason: 'the best candidate that passes the gates (1.2.0 ranks higher but does not)' },
    ]);
  });

  it('costs at most two requests per candidate checked beyond its digest, and nothing on the next run', async () => {
    const repo = 'gate/cost';
    for (const [tag, created] of [['1.0.0', OLD], ['1.1.0', ago(HOUR)], ['1.2.0', ago(HOUR)]] as const) await push(repo, tag, { created });
    // One cache for both runs, as one machine keeps between commits.
    const env = isolatedEnv(`${fx.tempDir}/cost`);
    const requests = () => fx.proxy.requests().filter((e) => e.path.includes(`/${repo}/`));
    const before = requests().length;
    const first = await run(repo, `${semver}\nminReleaseAge: 3d`, { env });
    expect(first.code, first.stderr).toBe(0);
    const firstRun = requests().slice(before);
    const manifestGets = firstRun.filter((e) => e.method === 'GET' && e.path.includes('/manifests/sha256:'));
    const blobGets = firstRun.filter((e) => e.method === 'GET' && e.path.includes('/blobs/'));
    // Three candidates checked (1.2.0, 1.1.0 too fresh; 1.0.0 passes): one manifest and one config each.
    expect(manifestGets).toHaveLength(3);
    expect(blobGets).toHaveLength(3);

    const between = requests().length;
    const second = await run(repo, `${semver}\nminReleaseAge: 3d`, { env });
    expect(second.code, second.stderr).toBe(0);
    const secondRun = requests().slice(between);
    expect(secondRun.filter((e) => e.path.includes('/manifests/sha256:') || e.path.includes('/blobs/'))).toHaveLength(0);
  });
});
