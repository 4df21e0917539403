import { spawnSync } from 'node:child_process';
import { cpus, hostname, totalmem, release } from 'node:os';
import { REGISTRY_BINARY } from '../test/harness/registry.js';

export interface Machine {
  host: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  registry: string;
  skopeo: string;
}

function firstLine(command: string, args: string[]): string {
  const run = spawnSync(command, args, { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.split('\n')[0]!.trim() : `unavailable (${command})`;
}

/** What a reader needs to compare a result file with their own machine. */
export function describeMachine(): Machine {
  const cpu = cpus();
  return {
    host: hostname(),
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    registry: firstLine(REGISTRY_BINARY, ['--version']),
    skopeo: firstLine('skopeo', ['--version']),
  };
}
