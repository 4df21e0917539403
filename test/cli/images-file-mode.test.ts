import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runFn } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';

// The images mode needs no comments, so it also serves repositories whose manifests
// are generated or reformatted; in file mode it is driven by --config.
describe.skipIf(!registryAvailable())('file mode with spec.images', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-images-files-' });
  let latest: PushedImage;

  beforeAll(async () => {
    await pushImage(fx.registry, 'team/api', { tags: ['3.0.0'] });
    latest = await pushImage(fx.registry, 'team/api', { tags: ['3.1.0'] });
  });

  it('pins every container image of the named repository, leaving other images and bytes alone', async () => {
    const dir = join(fx.tempDir, 'repo');
    mkdirSync(join(dir, 'apps'), { recursive: true });
    const config = join(dir, 'pins.yaml');
    writeFileSync(
      config,
      `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
metadata:
  name: pins
spec:
  images:
  - name: ${fx.registry.host}/team/api
    policy: flux-system:api
  policies:
  - name: api
    image: ${fx.registry.host}/team/api
    policy:
      semver:
        range: 3.x
`,
    );
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api # no markers anywhere
spec:
  template:
    spec:
      initContainers:
      - name: migrate
        image: "${fx.registry.host}/team/api:3.0.0"
      containers:
      - name: api
        image: ${fx.registry.host}/team/api:3.0.0
      - name: proxy
        image: docker.io/library/envoy:1.30
`;
    const cronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: report
            image: ${fx.registry.host}/team/api:3.0.0
`;
    const other = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: untouched\n';
    writeFileSync(join(dir, 'apps', 'api.yaml'), deployment);
    writeFileSync(join(dir, 'apps', 'report.yaml'), cronJob);
    writeFileSync(join(dir, 'apps', 'other.yaml'), other);
    const otherMtime = statSync(join(dir, 'apps', 'other.yaml')).mtimeMs;

    const run = await runFn('', { args: ['--config', config, join(dir, 'apps')], env: isolatedEnv(fx.tempDir) });
    expect(run.stderr).not.toContain('[error]');
    expect(run.code).toBe(0);
    const pinned = `${fx.registry.host}/team/api:3.1.0@${latest.digest}`;
    expect(readFileSync(join(dir, 'apps', 'api.yaml'), 'utf8')).toBe(
      deployment.replace(`"${fx.registry.host}/team/api:3.0.0"`, `"${pinned}"`).replace(`image: ${fx.registry.host}/team/api:3.0.0`, `image: ${pinned}`),
    );
    expect(readFileSync(join(dir, 'apps', 'report.yaml'), 'utf8')).toBe(cronJob.replace(`${fx.registry.host}/team/api:3.0.0`, pinned));
    expect(statSync(join(dir, 'apps', 'other.yaml')).mtimeMs).toBe(otherMtime);

    const check = await runFn('', { args: ['--check', '--config', config, join(dir, 'apps')], env: isolatedEnv(fx.tempDir) });
    expect(check.code).toBe(0);
  });
});
