// Running the built function through the real kpt, the way users do: `kpt fn eval --exec` and a
// Kptfile `exec:` mutator under `kpt fn render --allow-exec`. kpt finds `apply-image-policies` on
// PATH exactly as after `npm install -g`: a bin dir holding a launcher for dist/main.js.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CLI, isolatedEnv, requireBuiltCli } from '../e2e/run-fn.js';
import { requireCommand, run, which, type RunResult } from '../container/podman.js';
import { filesBelow } from '../harness/files.js';

export const KPT = 'kpt';

/** kpt on PATH, else a loud skip (a failure under CI=true). */
export function kptAvailable(): boolean {
  return requireCommand(KPT, 'kpt tests');
}

export interface KptWorkspace {
  dir: string;
  /**
   * PATH entries: `apply-image-policies` (this build), `aip-noop` (prints its input unchanged) and
   * `aip-record` (saves its input to $AIP_RECORD, then runs this build).
   */
  binDir: string;
  env: NodeJS.ProcessEnv;
}

/** A temp dir with the launchers and an environment isolated from the developer's own credentials and cache. */
export function kptWorkspace(prefix: string): KptWorkspace {
  requireBuiltCli();
  const dir = mkdtempSync(join(tmpdir(), `aip-${prefix}-`));
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  launcher(join(binDir, 'apply-image-policies'), `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"`);
  // The baseline: what kpt itself does to the files when the function changes nothing.
  launcher(join(binDir, 'aip-noop'), 'exec cat');
  // Keeps a copy of the ResourceList kpt sends, to check what kpt passes (items, functionConfig).
  launcher(join(binDir, 'aip-record'), `tee "$AIP_RECORD" | exec apply-image-policies "$@"`);
  const env = { ...process.env, ...isolatedEnv(dir), PATH: [binDir, process.env.PATH ?? ''].join(delimiter) };
  return { dir, binDir, env };
}

function launcher(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** `kpt fn VERB …`; kpt's own output is never truncated, so assertions see our whole messages. */
export function kpt([verb, ...args]: readonly string[], workspace: KptWorkspace): Promise<RunResult> {
  const path = which(KPT, workspace.env.PATH) ?? KPT;
  return run(path, ['fn', verb ?? '', '--truncate-output=false', ...args], { env: workspace.env, cwd: workspace.dir });
}

export interface FileState {
  text: string;
  mode: number;
  mtimeMs: number;
  ino: number;
}

/** Every file under `dir` (relative path → content and metadata), for before/after comparisons. */
export function snapshot(dir: string): Map<string, FileState> {
  const files = new Map<string, FileState>();
  for (const path of filesBelow(dir)) {
    const full = join(dir, path);
    const info = statSync(full);
    files.set(path, { text: readFileSync(full, 'utf8'), mode: info.mode, mtimeMs: info.mtimeMs, ino: info.ino });
  }
  return files;
}

/** Only the contents: what a reader of the package sees. */
export function contents(files: Map<string, FileState>): Record<string, string> {
  return Object.fromEntries([...files].map(([path, state]) => [path, state.text]));
}
