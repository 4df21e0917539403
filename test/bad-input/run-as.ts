import { spawn } from 'node:child_process';
import { CLI, requireBuiltCli, type FnRun } from '../e2e/run-fn.js';

/** The uid/gid kpt and kustomize give container functions (`--user nobody`). */
export const NOBODY = 65534;

/**
 * Runs the built CLI in file mode as another user. Root ignores permission bits, so a folder that
 * is "not writable" only fails for root through other means; a user's real setup is a non-root
 * account, which this reproduces.
 */
export function runCliAs(uid: number, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }): Promise<FnRun> {
  requireBuiltCli();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      uid,
      gid: uid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
