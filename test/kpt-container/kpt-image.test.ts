// kpt running the function image (podman runtime) against the real registry on 127.0.0.1:
// `fn eval --image --network` and a Kptfile pipeline under `fn render --allow-network`.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFunctionImageTimed, kptEnv, requireCommand, requirePodman, run } from '../container/podman.js';
import { fluxPolicy, fluxRepository } from '../e2e/run-fn.js';
import { pushImage, registryAvailable, startRegistry, type PushedImage, type RunningRegistry } from '../harness/registry.js';

const ready = registryAvailable() && requirePodman('kpt container tests') && requireCommand('kpt', 'kpt container tests');

describe.skipIf(!ready)('kpt with the function image', () => {
  let registry: RunningRegistry;
  let workDir: string;
  let image: string;
  let host: string;
  let app: PushedImage;
  let worker: PushedImage;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'aip-kpt-image-'));
    const [build, reg] = await Promise.all([ensureFunctionImageTimed(), startRegistry()]);
    console.info(`function image ready in ${(build.ms / 1000).toFixed(1)} s\n${build.log}`);
    image = build.image;
    registry = reg;
    host = registry.host;
    await pushImage(registry, 'team/app', { tags: ['1.0.0', '2.0.0'], kind: 'oci' });
    app = await pushImage(registry, 'team/app', { tags: ['1.4.0'], kind: 'oci-index' });
    worker = await pushImage(registry, 'team/worker', { tags: ['v7'], kind: 'docker' });
    await pushImage(registry, 'team/worker', { tags: ['v6'], kind: 'docker' });
  }, 600_000);

  afterAll(async () => {
    await registry?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const deployment = (): string => `# The web tier. Comments and layout survive: only the marked value changes.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${host}/team/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
          args: ['--port', "8080"]
        - name: worker
          image: "${host}/team/worker:v6"
`;

  function writePackage(name: string, files: Record<string, string>): string {
    const dir = join(workDir, name);
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return dir;
  }

  it('kpt fn eval --image --network pins markers from the ImagePolicy objects in the package', async () => {
    const policies = [fluxRepository('app', `${host}/team/app`), fluxPolicy('app', 'app', 'semver:\n  range: 1.x')].join('---\n');
    const dir = writePackage('eval', { 'deployment.yaml': deployment(), 'policies.yaml': policies });
    const result = await run('kpt', ['fn', 'eval', '--image', image, '--network', dir], { env: kptEnv() });
    console.info(`kpt fn eval --image --network took ${result.ms.toFixed(0)} ms`);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(readFileSync(join(dir, 'deployment.yaml'), 'utf8')).toBe(
      deployment().replace(`${host}/team/app:1.0.0`, `${host}/team/app:1.4.0@${app.digest}`),
    );
    expect(readFileSync(join(dir, 'policies.yaml'), 'utf8')).toBe(policies);
  });

  it('kpt fn eval without --network fails, names the field, and changes no file', async () => {
    const policies = [fluxRepository('app', `${host}/team/app`), fluxPolicy('app', 'app', 'semver:\n  range: 1.x')].join('---\n');
    const dir = writePackage('eval-offline', { 'deployment.yaml': deployment(), 'policies.yaml': policies });
    const result = await run('kpt', ['fn', 'eval', '--image', image, dir], { env: kptEnv() });
    expect(result.code).not.toBe(0);
    const output = result.stderr + result.stdout;
    expect(output).toContain('spec.template.spec.containers[0].image');
    expect(output).toContain(`${host}/team/app`);
    expect(readFileSync(join(dir, 'deployment.yaml'), 'utf8')).toBe(deployment());
  });

  it('a Kptfile image mutator under kpt fn render --allow-network pins markers and images rules', async () => {
    const kptfile = `apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: web
pipeline:
  mutators:
    - image: ${image}
      configPath: pin-images.yaml
`;
    const config = `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
metadata:
  name: pin-images
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  images:
    - name: ${host}/team/worker
      policy: flux-system:worker
  policies:
    - name: app
      image: ${host}/team/app
      policy:
        semver:
          range: 1.x
    - name: worker
      image: ${host}/team/worker
      policy:
        alphabetical:
          order: asc
`;
    const dir = writePackage('render', { Kptfile: kptfile, 'pin-images.yaml': config, 'deployment.yaml': deployment() });
    const result = await run('kpt', ['fn', 'render', '--allow-network', dir], { env: kptEnv() });
    console.info(`kpt fn render --allow-network took ${result.ms.toFixed(0)} ms`);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const pinned = deployment()
      .replace(`${host}/team/app:1.0.0`, `${host}/team/app:1.4.0@${app.digest}`)
      .replace(`"${host}/team/worker:v6"`, `"${host}/team/worker:v7@${worker.digest}"`);
    expect(readFileSync(join(dir, 'deployment.yaml'), 'utf8')).toBe(pinned);
    expect(readFileSync(join(dir, 'Kptfile'), 'utf8')).toBe(kptfile);
    expect(readFileSync(join(dir, 'pin-images.yaml'), 'utf8')).toBe(config);

    const again = await run('kpt', ['fn', 'render', '--allow-network', dir], { env: kptEnv() });
    console.info(`second kpt fn render --allow-network (nothing to change) took ${again.ms.toFixed(0)} ms`);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(readFileSync(join(dir, 'deployment.yaml'), 'utf8')).toBe(pinned);
  });
});
