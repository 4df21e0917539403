/**
 * File mode where one folder cannot be written: the run must fail before renaming anything, so the
 * file in the writable folder is not pinned either (a half-updated repository is worse than none),
 * and no temp file is left behind. Root ignores permission bits, so two real ways to fail are used:
 * an ordinary user (nobody, as kpt runs container functions) facing a 0555 folder, and root facing
 * an immutable folder (`chattr +i`, which even root cannot write into).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runFn, type FnRun } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';
import { deploymentYaml, pinned, policyYaml } from '../reliability/fixtures.js';
import { expectTreeUnchanged, snapshotTree } from '../reliability/invariants.js';
import { asUser, NOBODY } from './run-as.js';

const isRoot = process.getuid?.() === 0;

function chattr(flag: '+i' | '-i', path: string): boolean {
  return spawnSync('chattr', [flag, path]).status === 0;
}

describe.skipIf(!registryAvailable())('file mode with a folder that cannot be written', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-unwritable-' });
  let newest: PushedImage;

  beforeAll(async () => {
    chmodSync(fx.tempDir, 0o755);
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0'], kind: 'oci' });
    newest = await pushImage(fx.registry, 'team/app', { tags: ['1.1.0'], kind: 'oci' });
  });

  /** `apps/` is writable and sorts (and is staged) first; `locked/` is the folder that fails. */
  const makePackage = (name: string): { dir: string; pkg: string; locked: string } => {
    const dir = join(fx.tempDir, name);
    const pkg = join(dir, 'pkg');
    for (const sub of ['apps', 'flux', 'locked']) mkdirSync(join(pkg, sub), { recursive: true });
    writeFileSync(join(pkg, 'apps', 'job.yaml'), deploymentYaml(fx.registry.host));
    writeFileSync(join(pkg, 'locked', 'web.yaml'), deploymentYaml(fx.registry.host));
    writeFileSync(join(pkg, 'flux', 'policy.yaml'), policyYaml(fx.registry.host));
    for (const folder of [dir, pkg, join(pkg, 'apps'), join(pkg, 'flux')]) chmodSync(folder, 0o777);
    return { dir, pkg, locked: join(pkg, 'locked') };
  };

  const expectNothingWritten = (run: FnRun, pkg: string, before: Map<string, Buffer>, reason: RegExp): void => {
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/cannot write .*locked/);
    expect(run.stderr).toMatch(reason);
    expect(run.stderr).toContain('no file was changed');
    // The writable file was staged first; it must not have been renamed into place.
    expectTreeUnchanged(pkg, before);
  };

  it('as an ordinary user, a 0555 folder fails the run and no file changes', async () => {
    const { dir, pkg, locked } = makePackage('user');
    chmodSync(locked, 0o555);
    const before = snapshotTree(pkg);
    const env = { ...isolatedEnv(dir), ...(isRoot ? asUser(NOBODY) : {}) };
    const run = await runFn('', { args: ['.'], env, cwd: pkg });
    expectNothingWritten(run, pkg, before, /EACCES/);
  });

  it('as root, an immutable folder fails the run and no file changes', async (context) => {
    const { dir, pkg, locked } = makePackage('root');
    if (!isRoot || !chattr('+i', locked)) {
      const why = isRoot ? 'chattr +i is not supported on this file system' : 'not running as root';
      if (process.env.CI === 'true' && isRoot) throw new Error(`cannot make ${locked} immutable: ${why}`);
      console.warn(`*** SKIPPED the immutable-folder case: ${why} ***`);
      context.skip();
      return;
    }
    try {
      const before = snapshotTree(pkg);
      const run = await runFn('', { args: ['.'], env: isolatedEnv(dir), cwd: pkg });
      expectNothingWritten(run, pkg, before, /EPERM/);
    } finally {
      chattr('-i', locked);
    }
  });

  it('the same package pins both files once the folder is writable again', async () => {
    // Guards the two cases above: they must fail because of the folder, not because of the package.
    const { dir, pkg } = makePackage('writable');
    const run = await runFn('', { args: ['.'], env: isolatedEnv(dir), cwd: pkg });
    expect(run.code, run.stderr).toBe(0);
    for (const file of ['apps/job.yaml', 'locked/web.yaml']) {
      expect(readFileSync(join(pkg, file), 'utf8')).toContain(pinned(fx.registry.host, '1.1.0', newest.digest));
    }
  });
});
