// kpt running the function image (podman runtime) against the real registry on 127.0.0.1:
// `fn eval --image --network` and a Kptfile pipeline under `fn render --allow-network`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, ensureFunctionImageTimed, kptEnv, requireCommand, requirePodman, run } from '../container/podman.js';
import { copyFixture } from '../kustomize/copy-fixture.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, startRegistry, type PushedImage } from '../harness/registry.js';

const PACKAGE_DIR = join(REPO_ROOT, 'test/kpt-container/package');
/** The registry the package names; the test serves it from the harness registry instead. */
const PACKAGE_REGISTRY = 'localhost:5000';

const ready = registryAvailable() && requirePodman('kpt container tests') && requireCommand('kpt', 'kpt container tests');

describe.skipIf(!ready)('kpt with the function image', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-kpt-image-' });
  let image: string;
  let host: string;
  let app: PushedImage;
  let worker: PushedImage;

  beforeAll(async () => {
    const build = await ensureFunctionImageTimed();
    console.info(`function image ready in ${(build.ms / 1000).toFixed(1)} s\n${build.log}`);
    image = build.image;
    host = fx.registry.host;
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0', '2.0.0'], kind: 'oci' });
    app = await pushImage(fx.registry, 'team/app', { tags: ['1.4.0'], kind: 'oci-index' });
    worker = await pushImage(fx.registry, 'team/worker', { tags: ['v7'], kind: 'docker' });
    await pushImage(fx.registry, 'team/worker', { tags: ['v6'], kind: 'docker' });
  }, 600_000);

  /** The committed package (docs/kustomize.md quotes it) with its registry pointed at the harness. */
  const packageCopy = (name: string, registryHost = host): string =>
    copyFixture(PACKAGE_DIR, join(fx.tempDir, name), { named: PACKAGE_REGISTRY, actual: registryHost });
  const original = (file: string): string => readFileSync(join(PACKAGE_DIR, file), 'utf8').replaceAll(PACKAGE_REGISTRY, host);
  const pinnedDeployment = (): string =>
    original('deployment.yaml')
      .replace(`${host}/team/app:1.0.0`, `${host}/team/app:1.4.0@${app.digest}`)
      .replace(`"${host}/team/worker:v6"`, `"${host}/team/worker:v7@${worker.digest}"`);

  it('kpt fn eval --image --network pins markers and images rules, and nothing else', async () => {
    const dir = packageCopy('eval');
    const result = await run('kpt', ['fn', 'eval', '--image', image, '--network', '--fn-config', join(dir, 'pin-images.yaml'), dir], {
      env: kptEnv(),
    });
    console.info(`kpt fn eval --image --network took ${result.ms.toFixed(0)} ms`);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(readFileSync(join(dir, 'deployment.yaml'), 'utf8')).toBe(pinnedDeployment());
    for (const file of ['Kptfile', 'pin-images.yaml', 'policies.yaml']) {
      expect(readFileSync(join(dir, file), 'utf8'), file).toBe(original(file));
    }
  });

  it('kpt fn eval without --network fails, names the field, and changes no file', async () => {
    const dir = packageCopy('eval-offline');
    const result = await run('kpt', ['fn', 'eval', '--image', image, dir], { env: kptEnv() });
    expect(result.code).not.toBe(0);
    const output = result.stderr + result.stdout;
    expect(output).toContain('spec.template.spec.containers[0].image');
    expect(output).toContain(`ImagePolicy flux-system/app (${host}/team/app)`);
    expect(readFileSync(join(dir, 'deployment.yaml'), 'utf8')).toBe(original('deployment.yaml'));
  });

  it('the Kptfile image mutator under kpt fn render --allow-network pins the package; a second render changes nothing', async () => {
    const dir = packageCopy('render');
    const result = await run('kpt', ['fn', 'render', '--allow-network', dir], { env: kptEnv() });
    console.info(`kpt fn render --allow-network took ${result.ms.toFixed(0)} ms`);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(readFileSync(join(dir, 'deployment.yaml'), 'utf8')).toBe(pinnedDeployment());
    for (const file of ['Kptfile', 'pin-images.yaml', 'policies.yaml']) {
      expect(readFileSync(join(dir, file), 'utf8'), file).toBe(original(file));
    }

    const again = await run('kpt', ['fn', 'render', '--allow-network', dir], { env: kptEnv() });
    console.info(`second kpt fn render --allow-network (nothing to change) took ${again.ms.toFixed(0)} ms`);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(readFileSync(join(dir, 'deployment.yaml'), 'utf8')).toBe(pinnedDeployment());
  });

  it('reaches a private registry with credentials passed by kpt fn eval --mount and -e', async () => {
    const user = 'ci-reader';
    const password = 'kpt-mount-secret';
    const privateRegistry = await startRegistry({ htpasswd: { user, pass: password } });
    try {
      const secret = await pushImage(privateRegistry, 'team/app', { tags: ['1.4.0'], kind: 'oci' });
      const dir = packageCopy('private', privateRegistry.host);
      const credentials = join(fx.tempDir, 'docker-config');
      mkdirSync(credentials, { recursive: true });
      const auth = Buffer.from(`${user}:${password}`).toString('base64');
      // World-readable: kpt runs the container as nobody.
      writeFileSync(join(credentials, 'config.json'), JSON.stringify({ auths: { [privateRegistry.host]: { auth } } }), { mode: 0o644 });

      const base = ['fn', 'eval', '--image', image, '--network', dir];
      const without = await run('kpt', base, { env: kptEnv() });
      expect(without.code).not.toBe(0);
      expect(without.stderr + without.stdout).toMatch(/401|unauthori[sz]ed|authentication/i);

      const result = await run(
        'kpt',
        [...base, '--mount', `type=bind,src=${credentials},dst=/credentials,readonly`, '-e', 'DOCKER_CONFIG=/credentials'],
        { env: kptEnv() },
      );
      expect(result.code, result.stderr + result.stdout).toBe(0);
      expect(readFileSync(join(dir, 'deployment.yaml'), 'utf8')).toContain(
        `image: ${privateRegistry.host}/team/app:1.4.0@${secret.digest} # {"$imagepolicy": "flux-system:app"}`,
      );
    } finally {
      await privateRegistry.stop();
    }
  });
});
