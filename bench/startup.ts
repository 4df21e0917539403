import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  tool: string;
  timings: StartupTiming[];
}

/**
 * Samples every command once per round, round after round, so a load that drifts while the bench
 * runs (the machine is shared) weighs on all commands alike instead of on whichever ran last.
 */
async function interleaved(commands: Array<{ argv: string[] }>, rounds: number, scratch: string): Promise<number[]> {
  const samples: number[][] = commands.map(() => []);
  const useHyperfine = existsSync(HYPERFINE);
  for (let round = 0; round < rounds; round++) {
    if (useHyperfine) {
      hyperfineRound(commands, scratch).forEach((times, i) => samples[i]!.push(...times));
    } else {
      for (const [i, command] of commands.entries()) samples[i]!.push((await measureProcess(command.argv[0]!, command.argv.slice(1))).wallMs);
    }
  }
  return samples.map(median);
}

/** One short hyperfine pass over all commands; returns each command's run times in ms. */
function hyperfineRound(commands: Array<{ argv: string[] }>, scratch: string): number[][] {
  const exported = join(scratch, 'hyperfine.json');
  const run = spawnSync(
    HYPERFINE,
    ['--shell=none', '--warmup', '1', '--runs', '3', '--export-json', exported, ...commands.map((c) => c.argv.join(' '))],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`hyperfine failed: ${run.stderr}`);
  const parsed = JSON.parse(readFileSync(exported, 'utf8')) as { results: Array<{ times: number[] }> };
  return parsed.results.map((r) => r.times.map((t) => t * 1000));
}

/** Startup of `apply-image-policies --version` beside a bare `node -e 0`. */
export async function measureStartup(cli: string, runs = 30): Promise<StartupReport> {
  const scratch = mkdtempSync(join(tmpdir(), 'aip-bench-startup-'));
  try {
    const commands = [
      { label: 'node -e 0', argv: [process.execPath, '-e', '0'] },
      { label: 'apply-image-policies --version', argv: [process.execPath, cli, '--version'] },
    ];
    const rounds = Math.max(1, Math.ceil(runs / 3));
    const medians = await interleaved(commands, rounds, scratch);
    return {
      tool: existsSync(HYPERFINE) ? 'hyperfine, interleaved rounds' : 'repeated spawn, interleaved',
      timings: commands.map((c, i) => ({ label: c.label, command: c.argv.join(' '), medianMs: medians[i]!, runs: rounds * 3 })),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface OneMarkerRatios {
  rounds: number;
  nodeMs: number;
  coldMs: number;
  warmMs: number;
  /** Every sample, in round order: [node -e 0, cold, warm]. */
  samples: Array<[number, number, number]>;
}

/**
 * A one-marker KRM run beside `node -e 0`, in paired rounds: each round runs `node -e 0`, the run
 * on an empty cache, then the same run on the cache it left, so every ratio compares samples
 * taken moments apart. `run(cacheState)` spawns the CLI and returns its wall time in ms.
 */
export async function measureOneMarkerRatios(run: (warmCache: boolean) => Promise<number>, rounds: number): Promise<OneMarkerRatios> {
  const samples: Array<[number, number, number]> = [];
  for (let round = 0; round < rounds; round++) {
    const node = (await measureProcess(process.execPath, ['-e', '0'])).wallMs;
    const cold = await run(false);
    const warm = await run(true);
    samples.push([node, cold, warm]);
  }
  return {
    rounds,
    nodeMs: median(samples.map((s) => s[0])),
    coldMs: median(samples.map((s) => s[1])),
    warmMs: median(samples.map((s) => s[2])),
    samples,
  };
}
