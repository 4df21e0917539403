// The pre-commit hook as pre-commit runs it: from the repository root, the hook's `entry` plus the
// staged files that match its `files` pattern — only the changed ones, so the ImagePolicy objects
// are usually in files that were not passed. pre-commit itself is a Python package from PyPI,
// which these machines cannot reach, so this test does what it does instead of running it.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from '../container/podman.js';
import { CLI, fluxPolicy, fluxRepository, isolatedEnv } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable } from '../harness/registry.js';

interface Hook {
  id: string;
  entry: string;
  language: string;
  files: string;
  require_serial?: boolean;
}

const hooks = parse(readFileSync(join(REPO_ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as Hook[];

function git(cwd: string, ...args: string[]): string {
  const out = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
  if (out.status !== 0) throw new Error(`git ${args.join(' ')}: ${out.stderr}`);
  return out.stdout;
}

/** What pre-commit passes: staged paths (relative to the root) matching `files` (Python re.search). */
function stagedFilesFor(hook: Hook, repo: string): string[] {
  const pattern = new RegExp(hook.files);
  return git(repo, 'diff', '--cached', '--name-only', '--diff-filter=ACMR').split('\n').filter((path) => path !== '' && pattern.test(path));
}

describe('.pre-commit-hooks.yaml', () => {
  it('declares the hooks as pre-commit requires', () => {
    expect(hooks.map((h) => h.id)).toEqual(['apply-image-policies', 'apply-image-policies-check']);
    for (const hook of hooks) {
      expect(hook.language).toBe('node');
      expect(hook.require_serial).toBe(true);
      expect(hook.entry.split(' ')[0]).toBe(Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: object }).bin)[0]);
    }
  });

  it('selects YAML files and Kustomization files, like Flux', () => {
    const pattern = new RegExp(hooks[0]!.files);
    for (const path of ['a.yaml', 'deploy/b.yml', 'Kustomization', 'overlays/prod/Kustomization']) expect(pattern.test(path), path).toBe(true);
    for (const path of ['README.md', 'a.yaml.bak', 'MyKustomization', 'kustomization.json']) expect(pattern.test(path), path).toBe(false);
  });
});

describe.skipIf(!registryAvailable())('the hook run the way pre-commit runs it', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-pre-commit-' });
  let env: NodeJS.ProcessEnv;
  let pinned: string;

  beforeAll(async () => {
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0'] });
    const newest = await pushImage(fx.registry, 'team/app', { tags: ['1.1.0'] });
    pinned = `${fx.registry.host}/team/app:1.1.0@${newest.digest}`;
    // pre-commit puts the hook's installed bin on PATH; this launcher is that bin.
    const bin = join(fx.tempDir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'apply-image-policies'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`);
    chmodSync(join(bin, 'apply-image-policies'), 0o755);
    env = { ...process.env, ...isolatedEnv(join(fx.tempDir, 'home')), PATH: [bin, process.env.PATH ?? ''].join(delimiter) };
  });

  const runHook = (hook: Hook, repo: string) => {
    const [command, ...args] = hook.entry.split(' ');
    return run(command!, [...args, ...stagedFilesFor(hook, repo)], { env, cwd: repo });
  };

  it('pins the changed file with policies from an unchanged one, and --check then passes', async () => {
    const repo = join(fx.tempDir, 'repo');
    mkdirSync(join(repo, 'clusters/prod'), { recursive: true });
    mkdirSync(join(repo, 'apps'), { recursive: true });
    git(repo, 'init', '-q');
    writeFileSync(
      join(repo, 'clusters/prod/image-policies.yaml'),
      `${fluxRepository('app', `${fx.registry.host}/team/app`)}---\n${fluxPolicy('app', 'app', 'semver:\n  range: ">=1.0.0"')}`,
    );
    writeFileSync(join(repo, 'apps/web.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: nginx\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'init');

    const changed = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: ${fx.registry.host}/team/app:1.0.0 # {"$imagepolicy": "flux-system:app"}\n`;
    writeFileSync(join(repo, 'apps/web.yaml'), changed);
    writeFileSync(join(repo, 'NOTES.md'), 'not passed to the hook\n');
    git(repo, 'add', '.');
    expect(stagedFilesFor(hooks[0]!, repo)).toEqual(['apps/web.yaml']);

    const check = await runHook(hooks[1]!, repo);
    expect(check.code, check.stderr).toBe(1);
    expect(check.stdout).toContain(`apps/web.yaml: spec.containers[0].image: ${fx.registry.host}/team/app:1.0.0 → ${pinned}`);

    const fix = await runHook(hooks[0]!, repo);
    expect(fix.code, fix.stderr).toBe(0);
    // pre-commit fails a hook that modified files (unstaged changes after it ran): the user sees the pin and stages it.
    expect(git(repo, 'diff', '--name-only')).toBe('apps/web.yaml\n');
    expect(readFileSync(join(repo, 'apps/web.yaml'), 'utf8')).toBe(changed.replace(`${fx.registry.host}/team/app:1.0.0`, pinned));

    git(repo, 'add', '.');
    const recheck = await runHook(hooks[1]!, repo);
    expect(recheck.code, recheck.stderr).toBe(0);
  });
});
