import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';
import { isolatedEnv, resourceList, runFn } from './run-fn.js';

describe.skipIf(!registryAvailable())('digestReflectionPolicy', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-digest-', proxy: true });
  let current: PushedImage;

  beforeAll(async () => {
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0'], kind: 'oci' });
    current = await pushImage(fx.registry, 'team/app', { tags: ['1.1.0'], kind: 'oci-index' });
  });

  const config = (digestPolicy: string | undefined, spec = ''): string => `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
metadata: {name: pins}
spec:
${spec}  policies:
  - name: app
    image: ${fx.proxy.host}/team/app
    policy: {semver: {range: 1.x}}
${digestPolicy ? `    digestReflectionPolicy: ${digestPolicy}\n` : ''}`;
  const pod = (value: string, suffix = ''): string => `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: ${value} # {"$imagepolicy": "flux-system:app${suffix}"}
`;
  const heads = (): number => fx.proxy.requests().filter((r) => r.method === 'HEAD').length;

  it('Always (the default) re-resolves the digest every run', async () => {
    const stale = `${fx.proxy.host}/team/app:1.1.0@sha256:${'0'.repeat(64)}`;
    fx.proxy.clear();
    const run = await runFn(resourceList([pod(stale)], config(undefined)), { env: isolatedEnv(fx.tempDir) });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`image: ${fx.proxy.host}/team/app:1.1.0@${current.digest} #`);
    expect(heads()).toBe(1);
  });

  it('IfNotPresent keeps the digest in the field while the tag is unchanged, without a HEAD', async () => {
    const kept = `${fx.proxy.host}/team/app:1.1.0@sha256:${'1'.repeat(64)}`;
    fx.proxy.clear();
    const unchanged = await runFn(resourceList([pod(kept)], config('IfNotPresent')), { env: isolatedEnv(fx.tempDir) });
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).toContain(`image: ${kept} #`);
    expect(heads()).toBe(0);

    fx.proxy.clear();
    const moved = await runFn(resourceList([pod(`${fx.proxy.host}/team/app:1.0.0@sha256:${'1'.repeat(64)}`)], config('IfNotPresent')), {
      env: isolatedEnv(fx.tempDir),
    });
    expect(moved.stdout).toContain(`image: ${fx.proxy.host}/team/app:1.1.0@${current.digest} #`);
    expect(heads()).toBe(1);
  });

  it('Never writes Flux-style tags without digests, also when set as the spec-wide default', async () => {
    fx.proxy.clear();
    const run = await runFn(resourceList([pod(`${fx.proxy.host}/team/app:1.0.0`)], config(undefined, '  digestReflectionPolicy: Never\n')), {
      env: isolatedEnv(fx.tempDir),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`image: ${fx.proxy.host}/team/app:1.1.0 #`);
    expect(heads()).toBe(0);
  });

  it('a :digest marker under Never is an error naming the marker and policy', async () => {
    const run = await runFn(resourceList([pod('sha256:abc', ':digest')], config('Never')), { env: isolatedEnv(fx.tempDir) });
    expect(run.code).toBe(1);
    const results = (parse(run.stdout) as { results: { severity: string; message: string }[] }).results;
    expect(results.find((r) => r.severity === 'error')?.message).toMatch(
      /marker \{"\$imagepolicy": "flux-system:app:digest"\} asks for a digest, but ImagePolicy flux-system\/app has digestReflectionPolicy Never/,
    );
    expect(run.stdout).toContain('image: sha256:abc #');
  });
});
