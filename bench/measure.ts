import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface ProcessSample {
  code: number | null;
  wallMs: number;
  /** Peak resident set of the process, or for a script the largest of its descendants (wait4 rusage). */
  peakRssKb: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Runs a command under GNU time, which reads the kernel's rusage of the finished child: the only
 * way to learn a child's peak RSS from outside without sampling /proc and missing the peak.
 */
export async function measureProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessSample> {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: install the Debian package 'time' to measure peak RSS`);
  const scratch = await mkdtemp(join(tmpdir(), 'aip-bench-time-'));
  const report = join(scratch, 'rusage');
  try {
    const started = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(GNU_TIME, ['-f', '%M', '-o', report, command, ...args], {
        env: { ...process.env, ...options.env },
        cwd: options.cwd ?? process.cwd(),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
      child.stdin.end(options.input ?? '');
    });
    const wallMs = performance.now() - started;
    const lines = (await readFile(report, 'utf8')).trim().split('\n');
    const peakRssKb = Number(lines[lines.length - 1]);
    return { code, wallMs, peakRssKb, stdout, stderr };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
