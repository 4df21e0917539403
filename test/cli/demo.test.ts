// `npm run demo` as a newcomer runs it: compiled from scripts/demo.ts, against a real registry.
// The test points DEMO_REGISTRY at a registry of its own (a random port), so it never fights over
// 127.0.0.1:5055 with the examples test or a demo someone is running.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from '../container/podman.js';
import { requireBuiltCli } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { registryAvailable } from '../harness/registry.js';

const DEMO = join(REPO_ROOT, 'node_modules/.cache/apply-image-policies/scripts/scripts/demo.js');
/** The digest the seeded podinfo:6.2.3 has on every machine (examples/quickstart/.expected). */
const PODINFO_6_2_3 = 'sha256:02def8ae355e4141837074c09148822ef28f3e0aa5f07dcf3f29cf8f7ac0fd23';
/** demo/web:latest as seeded (examples/alias-of-latest/.expected), and the build the demo moves it to. */
const WEB_A81D0E4 = 'sha256:ac51379a647fa29c34ef55b93b9421c127818bcda667e3c56208536764cfbd34';
const WEB_C4D9E21 = 'sha256:25a0850036d48846acdf0a39a0cc43489f20dae34396c33535069855b77aa0ae';

describe('npm run demo', () => {
  beforeAll(() => {
    requireBuiltCli();
    const compiled = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.scripts.json'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    if (compiled.status !== 0) throw new Error(`tsc -p tsconfig.scripts.json failed:\n${compiled.stdout}${compiled.stderr}`);
  });

  it('without docker-registry, prints the exact install command and exits 1', async () => {
    const { DEMO_REGISTRY: _ignored, ...inherited } = process.env;
    const env = { ...inherited, DOCKER_REGISTRY_BIN: '/nonexistent/docker-registry' };
    const result = await run(process.execPath, [DEMO], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('apt-get install -y docker-registry');
  });

  describe.skipIf(!registryAvailable())('with a registry', () => {
    const fx = useRegistryFixture();

    it('seeds it, pins the quickstart copy, then follows latest to a new build, explaining how', async () => {
      const host = fx.registry.host;
      const result = await run(process.execPath, [DEMO], { env: { ...process.env, DEMO_REGISTRY: host } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`-          image: ${host}/demo/podinfo:6.0.0 # {"$imagepolicy": "flux-system:podinfo"}`);
      expect(result.stdout).toContain(`+          image: ${host}/demo/podinfo:6.2.3@${PODINFO_6_2_3} # {"$imagepolicy": "flux-system:podinfo"}`);
      // The alias act: the SHA tag latest points at, then the new build's after CI moved latest.
      expect(result.stdout).toContain(`+          image: ${host}/demo/web:a81d0e4@${WEB_A81D0E4} # {"$imagepolicy": "flux-system:web"}`);
      expect(result.stdout).toContain(`+          image: ${host}/demo/web:c4d9e21@${WEB_C4D9E21} # {"$imagepolicy": "flux-system:web"}`);
      expect(result.stdout).toContain('+              value: c4d9e21 # {"$imagepolicy": "flux-system:web:tag"}');
      // Quickstart's one line, then two fields twice: every other byte of the diffs is context.
      const changedLines = result.stdout.split('\n').filter((line) => /^[-+](?![-+]{2} )/.test(line));
      expect(changedLines).toHaveLength(2 + 4 + 4);
      expect(result.stderr).toContain(`alias     latest is ${WEB_C4D9E21.slice(0, 19)}; c4d9e21 points there, found by head-search`);
      // The demo puts latest back, so the examples' expected output still holds on that registry.
      const latest = await fetch(`http://${host}/v2/demo/web/manifests/latest`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(latest.headers.get('docker-content-digest')).toBe(WEB_A81D0E4);
    });
  });
});
