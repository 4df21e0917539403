import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';
import { kpt, kptAvailable, kptWorkspace } from '../kpt/kpt.js';
import { CLI, isolatedEnv, resourceList, runFn } from './run-fn.js';

interface Result {
  severity: string;
  message: string;
  field?: { path: string };
  file?: { path: string };
  resourceRef?: { kind: string; name: string; namespace?: string };
}

const resultsOf = (stdout: string): Result[] => (parse(stdout) as { results?: Result[] }).results ?? [];

describe.skipIf(!registryAvailable())('Flux objects as users write them', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-flux-objects-', proxy: true });
  let stable: PushedImage;
  let candidate: PushedImage;
  const host = (): string => fx.proxy.host;

  beforeAll(async () => {
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0', '1.1.0'], kind: 'oci' });
    stable = await pushImage(fx.registry, 'team/app', { tags: ['1.2.0'], kind: 'oci' });
    candidate = await pushImage(fx.registry, 'team/app', { tags: ['2.0.0-rc.1'], kind: 'oci' });
  });

  const repository = (apiVersion: string, namespace?: string): string => `apiVersion: image.toolkit.fluxcd.io/${apiVersion}
kind: ImageRepository
metadata:
  name: app
${namespace ? `  namespace: ${namespace}\n` : ''}spec:
  image: ${host()}/team/app
  interval: 1m
`;
  const policy = (apiVersion: string, name: string, range: string, namespace?: string): string => `apiVersion: image.toolkit.fluxcd.io/${apiVersion}
kind: ImagePolicy
metadata:
  name: ${name}
${namespace ? `  namespace: ${namespace}\n` : ''}spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: "${range}"
`;
  const pod = (markers: string[]): string => `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    config.kubernetes.io/path: pods/web.yaml
spec:
  containers:
${markers.map((m, i) => `  - name: c${i}\n    image: ${host()}/team/app:0.0.1 # {"$imagepolicy": "${m}"}\n`).join('')}`;

  it.each(['v1beta2', 'v1beta1'])('accepts %s ImageRepository and ImagePolicy objects', async (apiVersion) => {
    const run = await runFn(resourceList([repository(apiVersion, 'flux-system'), policy(apiVersion, 'app', '1.x', 'flux-system'), pod(['flux-system:app'])]), {
      env: isolatedEnv(fx.tempDir),
    });
    expect(run.stderr).not.toContain('[error]');
    expect(run.stdout).toContain(`image: ${host()}/team/app:1.2.0@${stable.digest} #`);
  });

  it('puts an object without metadata.namespace in namespace default, as the cluster does', async () => {
    const inDefault = await runFn(resourceList([repository('v1'), policy('v1', 'app', '1.x'), pod(['default:app'])]), { env: isolatedEnv(fx.tempDir) });
    expect(inDefault.code).toBe(0);
    expect(inDefault.stdout).toContain(`image: ${host()}/team/app:1.2.0@${stable.digest} #`);

    const elsewhere = await runFn(resourceList([repository('v1'), policy('v1', 'app', '1.x'), pod(['flux-system:app'])]), { env: isolatedEnv(fx.tempDir) });
    expect(elsewhere.code).toBe(1);
    expect(resultsOf(elsewhere.stdout).find((r) => r.severity === 'error')?.message).toMatch(/ImagePolicy flux-system\/app, which is not defined/);
  });

  it('two policies on one repository share one tag list, and each selected tag gets one HEAD', async () => {
    fx.proxy.clear();
    const run = await runFn(
      resourceList([
        repository('v1', 'flux-system'),
        policy('v1', 'stable', '1.x', 'flux-system'),
        policy('v1', 'next', '>=2.0.0-0', 'flux-system'),
        pod(['flux-system:stable', 'flux-system:next', 'flux-system:stable']),
      ]),
      { env: isolatedEnv(fx.tempDir) },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${host()}/team/app:1.2.0@${stable.digest}`);
    expect(run.stdout).toContain(`${host()}/team/app:2.0.0-rc.1@${candidate.digest}`);
    const seen = fx.proxy.requests().filter((r) => r.status !== 401 && r.path !== '/v2/');
    expect(seen.filter((r) => r.path.endsWith('/tags/list'))).toHaveLength(1);
    expect(seen.filter((r) => r.method === 'HEAD').map((r) => r.path).sort()).toEqual([
      '/v2/team/app/manifests/1.2.0',
      '/v2/team/app/manifests/2.0.0-rc.1',
    ]);
  });

  it.each([
    ['a policy that selects nothing', '>=9.0.0', 'team/app', /unable to determine latest version from provided list/],
    ['a repository that does not exist', '1.x', 'team/missing', /team\/missing/],
  ])('%s: the error names the file, resource, field and policy', async (_, range, repo, reason) => {
    const input = resourceList([
      repository('v1', 'flux-system').replace('/team/app', `/${repo}`),
      policy('v1', 'app', range, 'flux-system'),
      pod(['flux-system:app']),
    ]);
    const run = await runFn(input, { env: isolatedEnv(fx.tempDir) });
    expect(run.code).toBe(1);
    const error = resultsOf(run.stdout).find((r) => r.severity === 'error');
    expect(error).toMatchObject({
      file: { path: 'pods/web.yaml' },
      field: { path: 'spec.containers[0].image' },
      resourceRef: { kind: 'Pod', name: 'web' },
    });
    expect(error?.message).toMatch(/ImagePolicy flux-system\/app/);
    expect(error?.message).toMatch(reason);
    expect(run.stdout).toContain(`image: ${host()}/team/app:0.0.1 #`);
  });

  describe.skipIf(!kptAvailable())('the quick start', () => {
    it('kpt fn eval --exec runs the built bin itself (no launcher)', async () => {
      const workspace = kptWorkspace('quickstart');
      const pkg = join(workspace.dir, 'pkg');
      mkdirSync(pkg);
      writeFileSync(join(pkg, 'flux.yaml'), `${repository('v1', 'flux-system')}---\n${policy('v1', 'app', '1.x', 'flux-system')}`);
      writeFileSync(join(pkg, 'pod.yaml'), pod(['flux-system:app']).replace(/  annotations:\n.*\n/, ''));
      const run = await kpt(['eval', pkg, '--exec', CLI], workspace);
      expect(run.stderr).not.toMatch(/permission denied/);
      expect(run.code).toBe(0);
      expect(readFileSync(join(pkg, 'pod.yaml'), 'utf8')).toContain(`image: ${host()}/team/app:1.2.0@${stable.digest} # {"$imagepolicy": "flux-system:app"}`);
    });
  });
});
