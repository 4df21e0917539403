import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, measureProcess } from './measure.js';

export const HYPERFINE = '/usr/bin/hyperfine';

export interface StartupTiming {
  label: string;
  command: string;
  medianMs: number;
  runs: number;
}

export interface StartupReport {
  tool: 'hyperfine' | 'repeated spawn';
  timings: StartupTiming[];
  /** Why there is no bundled timing, when there is none. */
  bundleNote?: string;
}

async function timeRepeatedly(argv: string[], runs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push((await measureProcess(argv[0]!, argv.slice(1))).wallMs);
  return median(samples);
}

function hyperfine(commands: Array<{ label: string; argv: string[] }>, runs: number, scratch: string): number[] {
  const exported = join(scratch, 'hyperfine.json');
  const run = spawnSync(
    HYPERFINE,
    ['--shell=none', '--warmup', '3', '--runs', String(runs), '--export-json', exported, ...commands.map((c) => c.argv.join(' '))],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`hyperfine failed: ${run.stderr}`);
  const parsed = JSON.parse(readFileSync(exported, 'utf8')) as { results: Array<{ median: number }> };
  return parsed.results.map((r) => r.median * 1000);
}

/**
 * A throwaway single-file bundle of the built CLI, to learn what module loading costs. The bundle
 * lives in `<scratch>/dist/` beside a copy of package.json because `--version` reads `../package.json`.
 */
function bundleCli(root: string, scratch: string): { path: string } | { note: string } {
  let esbuild: string;
  try {
    esbuild = createRequire(join(root, 'package.json')).resolve('esbuild/bin/esbuild');
  } catch {
    return { note: 'not measured: esbuild is not installed' };
  }
  mkdirSync(join(scratch, 'dist'));
  copyFileSync(join(root, 'package.json'), join(scratch, 'package.json'));
  const out = join(scratch, 'dist', 'main.mjs');
  const built = spawnSync(
    esbuild,
    [
      join(root, 'dist', 'main.js'),
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20',
      // The CommonJS dependencies (ajv, undici) call require(); an ESM bundle has none of its own.
      "--banner:js=import { createRequire as __aipRequire } from 'node:module'; const require = __aipRequire(import.meta.url);",
      `--outfile=${out}`,
      '--log-level=warning',
    ],
    { encoding: 'utf8' },
  );
  if (built.status !== 0) return { note: `not measured: esbuild failed: ${built.stderr.trim()}` };
  return { path: out };
}

/** Startup of `apply-image-policies --version` beside a bare `node -e 0`, and a bundled build when esbuild is at hand. */
export async function measureStartup(root: string, runs = 30): Promise<StartupReport> {
  const scratch = mkdtempSync(join(tmpdir(), 'aip-bench-startup-'));
  try {
    const cli = join(root, 'dist', 'main.js');
    const commands = [
      { label: 'node -e 0', argv: [process.execPath, '-e', '0'] },
      { label: 'apply-image-policies --version', argv: [process.execPath, cli, '--version'] },
    ];
    const bundle = bundleCli(root, scratch);
    if ('path' in bundle) commands.push({ label: '--version, esbuild bundle', argv: [process.execPath, bundle.path, '--version'] });
    const useHyperfine = existsSync(HYPERFINE);
    let medians: number[];
    if (useHyperfine) medians = hyperfine(commands, runs, scratch);
    else {
      // One after another: concurrent samples would measure the contention, not the startup.
      medians = [];
      for (const command of commands) medians.push(await timeRepeatedly(command.argv, runs));
    }
    return {
      tool: useHyperfine ? 'hyperfine' : 'repeated spawn',
      timings: commands.map((c, i) => ({ label: c.label, command: c.argv.join(' '), medianMs: medians[i]!, runs })),
      ...('note' in bundle ? { bundleNote: bundle.note } : {}),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
