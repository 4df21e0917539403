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

    it('seeds it, pins the quickstart copy and prints the diff of the one changed line', async () => {
      const result = await run(process.execPath, [DEMO], { env: { ...process.env, DEMO_REGISTRY: fx.registry.host } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`-          image: ${fx.registry.host}/demo/podinfo:6.0.0 # {"$imagepolicy": "flux-system:podinfo"}`);
      expect(result.stdout).toContain(`+          image: ${fx.registry.host}/demo/podinfo:6.2.3@${PODINFO_6_2_3} # {"$imagepolicy": "flux-system:podinfo"}`);
      const changedLines = result.stdout.split('\n').filter((line) => /^[-+](?![-+]{2} )/.test(line));
      expect(changedLines).toHaveLength(2);
    });
  });
});
