/**
 * Two pre-commit hooks (or a hook and an editor save, or two CI jobs on one runner) run file mode
 * over the same tree with the same cache at the same moment. Neither may leave a file half-written,
 * a temp file behind, or a cache entry that does not parse; both must end pinned.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runFn } from '../e2e/run-fn.js';
import { filesBelow } from '../harness/files.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';
import { deploymentYaml, pinned, policyYaml } from './fixtures.js';

const WORKLOADS = 12;
const ROUNDS = 3;

function listFiles(dir: string): string[] {
  return filesBelow(dir).sort();
}

describe.skipIf(!registryAvailable())('two file-mode runs over the same tree and cache at once', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-concurrent-' });
  let newest: PushedImage;

  beforeAll(async () => {
    await pushImage(fx.registry, 'team/app', { tags: ['0.9.0', '1.0.0'], kind: 'oci' });
    newest = await pushImage(fx.registry, 'team/app', { tags: ['1.1.0'], kind: 'oci-index' });
  });

  it(`${ROUNDS} rounds (cold cache, then warm): every file whole and pinned, every cache entry whole`, async () => {
    // One HOME, so both runs share $XDG_CACHE_HOME across all rounds.
    const env = isolatedEnv(join(fx.tempDir, 'home'));
    const cacheDir = env.XDG_CACHE_HOME!;
    const expected = deploymentYaml(fx.registry.host).replace(
      /image: \S+ # \{"\$imagepolicy": "flux-system:app"\}/,
      pinned(fx.registry.host, '1.1.0', newest.digest),
    );

    for (let round = 0; round < ROUNDS; round++) {
      const pkg = join(fx.tempDir, `pkg-${round}`);
      mkdirSync(join(pkg, 'apps'), { recursive: true });
      writeFileSync(join(pkg, 'policy.yaml'), policyYaml(fx.registry.host));
      for (let i = 0; i < WORKLOADS; i++) writeFileSync(join(pkg, 'apps', `web-${i}.yaml`), deploymentYaml(fx.registry.host));
      const names = listFiles(pkg);

      const [first, second] = await Promise.all([
        runFn('', { args: ['.'], env, cwd: pkg }),
        runFn('', { args: ['.'], env, cwd: pkg }),
      ]);
      for (const run of [first!, second!]) expect(run.code, run.stderr).toBe(0);

      // Same names as before (no temp file left), each file whole, parseable and pinned.
      expect(listFiles(pkg)).toEqual(names);
      for (let i = 0; i < WORKLOADS; i++) {
        const text = readFileSync(join(pkg, 'apps', `web-${i}.yaml`), 'utf8');
        expect(parseAllDocuments(text).every((d) => d.errors.length === 0)).toBe(true);
        expect(text).toBe(expected);
      }
      expect(readFileSync(join(pkg, 'policy.yaml'), 'utf8')).toBe(policyYaml(fx.registry.host));
    }

    // The product caches tag lists and digests; every entry two writers raced on must still parse.
    const entries = listFiles(cacheDir);
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      expect(entry.endsWith('.tmp'), `${entry} left behind`).toBe(false);
      expect(() => JSON.parse(readFileSync(join(cacheDir, entry), 'utf8')), entry).not.toThrow();
    }
  });
});
