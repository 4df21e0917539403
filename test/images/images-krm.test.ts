// The images mode end to end: the built CLI reads a ResourceList without a single comment (as
// kustomize sends it) and pins image fields against the real registry.
import { beforeAll, describe, expect, it } from 'vitest';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';
import { isolatedEnv, resourceList, runFn } from '../e2e/run-fn.js';
import { resultsOf } from '../reliability/invariants.js';

describe.skipIf(!registryAvailable())('images mode against a real registry', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-images-', proxy: true });
  let host: string;
  let app: PushedImage;
  let stable: PushedImage;
  let worker: PushedImage;

  beforeAll(async () => {
    host = fx.proxy.host;
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0'], kind: 'oci' });
    stable = await pushImage(fx.registry, 'team/app', { tags: ['1.1.0'], kind: 'oci' });
    app = await pushImage(fx.registry, 'team/app', { tags: ['1.2.0'], kind: 'oci-index' });
    await pushImage(fx.registry, 'team/app', { tags: ['2.0.0'], kind: 'oci' });
    worker = await pushImage(fx.registry, 'team/worker', { tags: ['20240601'], kind: 'docker' });
    await pushImage(fx.registry, 'team/worker', { tags: ['20240101'], kind: 'docker' });
  });

  const env = (): NodeJS.ProcessEnv => isolatedEnv(fx.tempDir);
  const config = (extra = '', digestReflectionPolicy = 'Always'): string => `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
metadata:
  name: pins
spec:
  digestReflectionPolicy: ${digestReflectionPolicy}
  images:
  - name: ${host}/team/app
    policy: flux-system:app
  - name: ${host}/team/worker
    policy: flux-system:worker
  policies:
  - name: app
    image: ${host}/team/app
    policy: {semver: {range: 1.x}}
  - name: stable
    image: ${host}/team/app
    policy: {semver: {range: ~1.1}}
  - name: worker
    image: ${host}/team/worker
    policy: {numerical: {order: asc}}
${extra}`;

  // Keys sorted and no comments: what kustomize hands a transformer.
  const deployment = (): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    kustomize.config.k8s.io/id: |
      group: apps
      kind: Deployment
      name: web
      version: v1
  name: web
spec:
  template:
    spec:
      containers:
      - image: ${host}/team/app:1.0.0
        name: app
      - image: ${host}/team/unrelated:1.0.0
        name: other
      initContainers:
      - image: ${host}/team/worker
        name: migrate
`;
  const cronJob = (): string => `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - image: ${host}/team/worker:20230101
            name: job
  schedule: "@daily"
`;

  /** A Pod whose containers are `[name, image]` pairs; the image may carry a marker comment. */
  const podWith = (...containers: [string, string][]): string =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n${containers.map(([name, image]) => `  - name: ${name}\n    image: ${image}\n`).join('')}`;

  it('pins every matching container image in workloads and CronJobs, and nothing else', async () => {
    const input = resourceList([deployment(), cronJob()], config());
    const run = await runFn(input, { env: env() });
    expect(run.stderr).not.toContain('[error]');
    expect(run.code).toBe(0);
    const expected = input
      .replace(`image: ${host}/team/app:1.0.0`, `image: ${host}/team/app:1.2.0@${app.digest}`)
      .replace(`- image: ${host}/team/worker\n`, `- image: ${host}/team/worker:20240601@${worker.digest}\n`)
      .replace(`image: ${host}/team/worker:20230101`, `image: ${host}/team/worker:20240601@${worker.digest}`);
    expect(run.stdout.slice(0, run.stdout.indexOf('results:'))).toBe(expected);
    const infos = resultsOf(run.stdout).filter((r) => r.severity === 'info');
    expect(infos.map((r) => r.field?.path).sort()).toEqual([
      'spec.jobTemplate.spec.template.spec.containers[0].image',
      'spec.template.spec.containers[0].image',
      'spec.template.spec.initContainers[0].image',
    ]);
  });

  it('lets a marker take precedence over a rule on the same field', async () => {
    const pod = podWith(
      ['pinned-by-marker', `${host}/team/app:1.0.0 # {"$imagepolicy": "flux-system:stable"}`],
      ['pinned-by-rule', `${host}/team/app:1.0.0`],
    );
    const run = await runFn(resourceList([pod], config()), { env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`image: ${host}/team/app:1.1.0@${stable.digest} # {"$imagepolicy": "flux-system:stable"}`);
    expect(run.stdout).toContain(`image: ${host}/team/app:1.2.0@${app.digest}\n`);
    const infos = resultsOf(run.stdout).filter((r) => r.severity === 'info');
    expect(infos.map((r) => r.field?.path).sort()).toEqual(['spec.containers[0].image', 'spec.containers[1].image']);
  });

  it('reaches custom resources through fieldSpecs', async () => {
    const custom = `apiVersion: apps.example.com/v1
kind: App
metadata:
  name: shop
spec:
  components:
  - image: ${host}/team/app:1.0.0
  - image: ${host}/team/worker:1
`;
    const fieldSpecs = `  fieldSpecs:
  - kind: App
    path: spec.components[].image
`;
    const without = await runFn(resourceList([custom], config()), { env: env() });
    expect(without.code).toBe(0);
    expect(without.stdout).toContain(`image: ${host}/team/app:1.0.0\n`);
    const run = await runFn(resourceList([custom], config(fieldSpecs)), { env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`- image: ${host}/team/app:1.2.0@${app.digest}\n`);
    expect(run.stdout).toContain(`- image: ${host}/team/worker:20240601@${worker.digest}\n`);
  });

  it('IfNotPresent keeps the digest already pinned to the chosen tag and asks the registry for none', async () => {
    const old = `sha256:${'0'.repeat(64)}`;
    const pod = podWith(
      ['same-tag', `${host}/team/app:1.2.0@${old}`],
      ['older-tag', `${host}/team/worker:20240101@${old}`],
    );
    fx.proxy.clear();
    const run = await runFn(resourceList([pod], config('', 'IfNotPresent')), { env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`image: ${host}/team/app:1.2.0@${old}\n`);
    expect(run.stdout).toContain(`image: ${host}/team/worker:20240601@${worker.digest}\n`);
    const heads = fx.proxy.requests().filter((r) => r.method === 'HEAD');
    expect(heads.map((r) => r.path)).toEqual(['/v2/team/worker/manifests/20240601']);

    const always = await runFn(resourceList([pod], config()), { env: env() });
    expect(always.stdout).toContain(`image: ${host}/team/app:1.2.0@${app.digest}\n`);
  });

  it('fails with the rule named when its policy is missing or tracks another repository, changing nothing', async () => {
    const pod = podWith(['app', `${host}/team/app:1.0.0`], ['worker', `${host}/team/worker:1`]);
    const wrongPolicy = config().replace('policy: flux-system:worker', 'policy: flux-system:stable');
    const missing = config().replace('policy: flux-system:app', 'policy: flux-system:nope');
    for (const [cfg, message] of [
      [wrongPolicy, `functionConfig spec.images[1] (name: ${host}/team/worker) uses ImagePolicy flux-system/stable, which tracks ${host}/team/app`],
      [missing, `functionConfig spec.images[0] (name: ${host}/team/app) names ImagePolicy flux-system/nope, which is not defined`],
    ] as const) {
      const run = await runFn(resourceList([pod], cfg), { env: env() });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`image: ${host}/team/app:1.0.0\n`);
      const errors = resultsOf(run.stdout).filter((r) => r.severity === 'error');
      expect(errors.map((e) => e.message)).toEqual([expect.stringContaining(message)]);
    }
  });

  it('warns about a rule that matched no field and still succeeds', async () => {
    const run = await runFn(resourceList([cronJob()], config()), { env: env() });
    expect(run.code, run.stderr).toBe(0);
    const warnings = resultsOf(run.stdout).filter((r) => r.severity === 'warning');
    expect(warnings.map((w) => w.message)).toEqual([`functionConfig spec.images[0] (name: ${host}/team/app) matched no image field`]);
  });
});
