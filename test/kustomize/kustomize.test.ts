// kustomize with the function image as a container transformer (real /usr/bin/kubectl, kustomize
// v5.5, podman behind a `docker` wrapper) against the real registry on 127.0.0.1.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, ensureFunctionImageTimed, kustomizeEnv, requireCommand, requirePodman, run } from '../container/podman.js';
import { CLI } from '../e2e/run-fn.js';
import { copyFixture } from './copy-fixture.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';

const EXAMPLE_DIR = join(REPO_ROOT, 'examples/kustomize-transformer');
/** The registry the example names; the test serves it from the harness registry instead. */
const EXAMPLE_REGISTRY = 'localhost:5000';
/** Seeds that reproduce the digests shown in the example's expected output. */
const EXAMPLE_SEED = 'examples/kustomize-transformer';

const ready = registryAvailable() && requirePodman('kustomize container tests') && requireCommand('kubectl', 'kustomize container tests');

describe.skipIf(!ready)('kubectl kustomize with the container transformer', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-kustomize-' });
  let web: PushedImage;

  beforeAll(async () => {
    const build = await ensureFunctionImageTimed();
    console.info(`function image ready in ${(build.ms / 1000).toFixed(1)} s`);
    for (const tag of ['1.0.0', '1.3.9', '2.0.0', '1.5.0-rc.1']) {
      await pushImage(fx.registry, 'team/web', { tags: [tag], kind: 'oci', seed: `${EXAMPLE_SEED}/${tag}` });
    }
    web = await pushImage(fx.registry, 'team/web', { tags: ['1.4.2'], kind: 'oci-index', seed: `${EXAMPLE_SEED}/1.4.2` });
  }, 600_000);

  /** The example with its registry pointed at the harness; every other byte as committed. */
  const exampleCopy = (name: string): string =>
    copyFixture(EXAMPLE_DIR, join(fx.tempDir, name), { named: EXAMPLE_REGISTRY, actual: fx.registry.host });

  const kustomize = (dir: string, ...flags: string[]) =>
    run('kubectl', ['kustomize', '--enable-alpha-plugins', ...flags, dir], { env: kustomizeEnv(), timeout: 120_000 });

  it('builds examples/kustomize-transformer to exactly its expected output', async () => {
    const dir = exampleCopy('example');
    const result = await kustomize(dir, '--network');
    console.info(`kubectl kustomize --enable-alpha-plugins --network took ${result.ms.toFixed(0)} ms`);
    expect(result.code, result.stderr).toBe(0);
    const expected = readFileSync(join(dir, 'expected-output.yaml'), 'utf8');
    expect(result.stdout).toBe(expected);
    expect(result.stdout).toContain(`${fx.registry.host}/team/web:1.4.2@${web.digest}`);
  });

  it('fails, writing nothing, when the command line does not allow the network', async () => {
    const result = await kustomize(exampleCopy('no-network'));
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('network required but not enabled');
  });

  it('fails the build with the rule named when the registry does not have the repository', async () => {
    const dir = exampleCopy('missing-repository');
    const config = join(dir, 'pin-images.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replaceAll('team/web', 'team/absent'));
    writeFileSync(join(dir, 'deployment.yaml'), readFileSync(join(dir, 'deployment.yaml'), 'utf8').replaceAll('team/web', 'team/absent'));
    const result = await kustomize(dir, '--network');
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`functionConfig spec.images[0] (name: ${fx.registry.host}/team/absent)`);
  });

  it('silently skips an exec transformer: kubectl kustomize has no --enable-exec', async () => {
    const dir = exampleCopy('exec');
    const ranMarker = join(fx.tempDir, 'exec-ran');
    // An executable that would pin the images (it is the CLI) and leaves proof that it ran.
    const wrapper = join(fx.tempDir, 'apply-image-policies-exec');
    writeFileSync(wrapper, `#!/bin/sh\ntouch '${ranMarker}'\nexec '${process.execPath}' '${CLI}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const config = join(dir, 'pin-images.yaml');
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(
        /    config\.kubernetes\.io\/function: \|\n(?: {6}.*\n)+/,
        `    config.kubernetes.io/function: |\n      exec:\n        path: ${wrapper}\n`,
      ),
    );
    expect(readFileSync(config, 'utf8')).toContain(`path: ${wrapper}`);

    const help = await run('kubectl', ['kustomize', '--help']);
    expect(help.stdout).not.toContain('--enable-exec');
    const result = await kustomize(dir, '--network');
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(ranMarker)).toBe(false);
    // The build "succeeds" with the images as written: exactly what users must be warned about.
    expect(result.stdout).toContain(`image: ${fx.registry.host}/team/web:1.0.0\n`);
    expect(result.stdout).not.toContain('@sha256:');
  });
});
