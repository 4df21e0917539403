import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, isolatedEnv, requireBuiltCli, resourceList, runFn } from '../e2e/run-fn.js';

/*
 * The CLI reads stdin and writes stdout through their descriptors. A parent can share its pipes in
 * non-blocking mode: a Node tool that spawns with `stdio: 'inherit'` and then opens its own
 * process.stdin/stdout sets O_NONBLOCK on the very pipes the child holds. Reads and writes then
 * fail with EAGAIN whenever the pipe is empty or full, and the run must still pass every byte.
 */
const SHARE_NON_BLOCKING = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, process.argv.slice(1), { stdio: 'inherit' });
process.stdin.pause();
process.stdout;
child.on('close', (code) => { process.exitCode = code ?? 1; process.stdin.destroy(); });
`;

const configMaps = (count: number): string[] =>
  Array.from(
    { length: count },
    (_, i) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-${i}
  annotations:
    config.kubernetes.io/index: '${i}'
    config.kubernetes.io/path: 'config/settings-${i}.yaml'
data:
  # kept as written
  greeting: "hello ${i}"
`,
  );

/** Input arrives in two parts a while apart, and stdout is not read for a while: the pipes run dry, then full. */
function runThroughNonBlockingPipes(input: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  requireBuiltCli();
  return new Promise((resolve, reject) => {
    const wrapper = spawn(process.execPath, ['-e', SHARE_NON_BLOCKING, CLI], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    // stdout is read only once the run has said its last word on stderr: its writes must have
    // found the pipe full, and whatever did not fit must still arrive.
    wrapper.stdout.pause();
    let reading = false;
    const startReading = (): void => {
      if (reading) return;
      reading = true;
      wrapper.stdout.on('data', (d: Buffer) => out.push(d));
      wrapper.stdout.resume();
    };
    const patience = setTimeout(startReading, 10_000);
    wrapper.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('apply-image-policies')) startReading();
    });
    wrapper.on('error', reject);
    wrapper.on('close', (code) => {
      clearTimeout(patience);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
    const half = Math.floor(input.length / 2);
    wrapper.stdin.write(input.slice(0, half));
    setTimeout(() => wrapper.stdin.end(input.slice(half)), 300);
  });
}

describe('standard streams shared in non-blocking mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aip-std-streams-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the whole ResourceList and writes all of it, in order, as over ordinary pipes', async () => {
    // ~300 KB each way: several times a pipe's 64 KiB buffer.
    const input = resourceList(configMaps(1500));
    const env = isolatedEnv(dir);
    const ordinary = await runFn(input, { env });
    expect(ordinary.code, ordinary.stderr).toBe(0);
    expect(ordinary.stdout.match(/^  kind: ConfigMap$/gm)).toHaveLength(1500);

    const shared = await runThroughNonBlockingPipes(input, env);
    expect(shared.code, shared.stderr).toBe(0);
    expect(shared.stdout).toBe(ordinary.stdout);
    expect(shared.stderr).toContain('apply-image-policies: 0 marked fields');
  });
});
