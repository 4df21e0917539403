// What a person at a terminal sees: --help, --version, bad options, the one-line summary, and the
// progress line that appears only on a terminal and only for runs longer than a second.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startProgress } from '../../src/cli/progress.js';
import { REPO_ROOT, run as runCommand } from '../container/podman.js';
import { answerLater } from './answer-later.js';
import { CLI, fluxPolicy, fluxRepository, isolatedEnv, resourceList, runFn } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable } from '../harness/registry.js';

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('command line', () => {
  it('--help and -h print usage for both modes and exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await runFn('', { args: [flag] });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^apply-image-policies — /);
      for (const option of ['--check', '--config FILE', '--policies PATH', 'PATH...', 'Exit codes']) expect(run.stdout).toContain(option);
      expect(run.stderr).toBe('');
    }
  });

  it('--version prints the package version', async () => {
    const run = await runFn('', { args: ['--version'] });
    expect(run).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('an unknown option exits 2 and names it', async () => {
    const run = await runFn('', { args: ['--chek', 'x.yaml'] });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("'--chek'");
  });

  it('KRM mode ends with the same one-line summary on stderr', async () => {
    const list = resourceList(['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n']);
    const run = await runFn(list);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(list);
    expect(run.stderr).toMatch(/^apply-image-policies: 0 marked fields, 0 pinned, 0 unchanged, 0 errors, 0 registry requests, \d+\.\d\ds\n$/);
  });
});

describe('progress line', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const capture = (isTTY: boolean): { stream: PassThrough & { isTTY?: boolean }; text: () => string } => {
    const stream = Object.assign(new PassThrough(), { isTTY });
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return { stream, text: () => text };
  };

  it('stays silent for the first second, then redraws one line, and erases it when stopped', () => {
    vi.useFakeTimers();
    const { stream, text } = capture(true);
    let n = 0;
    const progress = startProgress({ stream, describe: () => `step ${++n}` });
    vi.advanceTimersByTime(999);
    expect(text()).toBe('');
    vi.advanceTimersByTime(1 + 200);
    expect(text()).toBe('\r\x1b[2Kstep 1\r\x1b[2Kstep 2');
    progress.stop();
    expect(text().endsWith('\r\x1b[2K')).toBe(true);
    vi.advanceTimersByTime(5000);
    expect(text()).not.toContain('step 3');
  });

  it('prints nothing for a quick run, and nothing at all on a pipe', () => {
    vi.useFakeTimers();
    const quick = capture(true);
    startProgress({ stream: quick.stream, describe: () => 'x' }).stop();
    vi.advanceTimersByTime(5000);
    expect(quick.text()).toBe('');

    const piped = capture(false);
    const progress = startProgress({ stream: piped.stream, describe: () => 'x' });
    vi.advanceTimersByTime(5000);
    progress.stop();
    expect(piped.text()).toBe('');
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript) {
  const message = 'the pseudo-terminal progress test needs `script` (util-linux)';
  if (process.env.CI === 'true') throw new Error(`${message}, which is missing`);
  console.warn(`!!! SKIPPING ${message}: it is not installed`);
}

describe.skipIf(!registryAvailable() || !hasScript)('progress on a real terminal', () => {
  // A registry that takes 1.5 s to list tags: a slow run, as a person would see it.
  const fx = useRegistryFixture({
    tempDir: 'aip-tty-',
    proxy: (registry) => ({ intercept: answerLater(registry.url, { match: /\/tags\/list$/, delayMs: 1500 }) }),
  });

  beforeAll(async () => {
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0'] });
  });

  it('file mode shows the progress line under a pseudo-terminal, then the summary', async () => {
    writeFileSync(
      join(fx.tempDir, 'all.yaml'),
      `${fluxRepository('app', `${fx.proxy.host}/team/app`)}---\n${fluxPolicy('app', 'app', 'semver:\n  range: 1.x')}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: ${fx.proxy.host}/team/app:0.9.0 # {"$imagepolicy": "flux-system:app"}\n`,
    );
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} all.yaml`;
    // Not spawnSync: the slow proxy answers from this very process.
    const run = await runCommand('script', ['-qec', command, '/dev/null'], { cwd: fx.tempDir, env: { ...process.env, ...isolatedEnv(fx.tempDir) } });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/\r\x1b\[2Kapply-image-policies: resolving 1 marked field… \d+ registry requests?, 1\.\ds/);
    // The line is erased before anything else is printed: the change and the summary start clean.
    expect(run.stdout).toMatch(/\r\x1b\[2Kall\.yaml: spec\.containers\[0\]\.image: \S+:0\.9\.0 → \S+:1\.0\.0@sha256:[0-9a-f]{64}\r?\n/);
    expect(run.stdout).toMatch(/\napply-image-policies: 1 marked field, 1 pinned, 0 unchanged, 0 errors/);
  });
});
