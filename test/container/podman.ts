// Podman plumbing for tests that run the function as a container image, directly or through kpt
// and kustomize. The configuration itself lives in scripts/container/env.sh (sourced here) so a
// person at a shell and the tests use the same image store and settings.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCRIPTS_DIR = join(REPO_ROOT, 'scripts/container');
export const FUNCTION_IMAGE = 'localhost/apply-image-policies:dev';
export const BASE_IMAGE = 'localhost/node-base:20';

export interface PodmanEnv {
  AIP_CONTAINERS_DIR: string;
  CONTAINERS_CONF: string;
  CONTAINERS_STORAGE_CONF: string;
}

let podmanVars: PodmanEnv | undefined;

/** The variables env.sh exports; sourcing it also (re)writes the two configuration files. */
export function podmanVariables(): PodmanEnv {
  if (!podmanVars) {
    const out = execFileSync(
      'bash',
      ['-c', '. "$1" && printf "%s\\0%s\\0%s" "$AIP_CONTAINERS_DIR" "$CONTAINERS_CONF" "$CONTAINERS_STORAGE_CONF"', 'env.sh', join(SCRIPTS_DIR, 'env.sh')],
      { encoding: 'utf8', env: process.env },
    );
    const [dir, conf, storage] = out.split('\0');
    if (!dir || !conf || !storage) throw new Error(`scripts/container/env.sh printed no configuration: ${JSON.stringify(out)}`);
    podmanVars = { AIP_CONTAINERS_DIR: dir, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage };
  }
  return podmanVars;
}

/** process.env plus the podman configuration: give this to podman and to kpt. */
export function podmanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...podmanVariables(), ...extra };
}

/** For `kpt fn eval --image …`: kpt starts podman itself and passes our environment on. */
export function kptEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return podmanEnv({ KPT_FN_RUNTIME: 'podman', ...extra });
}

/**
 * For `kubectl kustomize --enable-alpha-plugins --network`: kustomize always runs `docker`, so a
 * `docker` that is podman goes first on PATH. Only here: kpt checks the docker client's version
 * and must keep seeing the real one (with KPT_FN_RUNTIME=podman it does not use it at all).
 */
export function kustomizeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const podman = which('podman');
  if (!podman) throw new Error('podman is not installed');
  const wrapperDir = join(podmanVariables().AIP_CONTAINERS_DIR, 'docker-is-podman');
  mkdirSync(wrapperDir, { recursive: true });
  const wrapper = join(wrapperDir, 'docker');
  // Absolute path: `podman` looked up on this PATH could find the wrapper again.
  writeFileSync(wrapper, `#!/bin/sh\nexec ${shellQuote(podman)} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const env = podmanEnv(extra);
  env.PATH = [wrapperDir, env.PATH ?? ''].join(delimiter);
  return env;
}

export function which(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

let availability: { ok: boolean; reason: string } | undefined;

function checkPodman(): { ok: boolean; reason: string } {
  if (availability) return availability;
  const missing = ['podman', 'runc', 'flock'].filter((c) => !which(c, `${process.env.PATH ?? ''}${delimiter}/usr/sbin${delimiter}/sbin`));
  if (missing.length > 0) {
    availability = { ok: false, reason: `not installed: ${missing.join(', ')} (apt-get install -y podman runc)` };
    return availability;
  }
  try {
    execFileSync('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], {
      env: podmanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    availability = { ok: true, reason: '' };
  } catch (error) {
    availability = { ok: false, reason: `podman info failed: ${errorText(error)}` };
  }
  return availability;
}

/**
 * Whether container tests can run. On CI a missing podman is a failure of the machine's setup,
 * not a reason to skip, so this throws; elsewhere the skip is announced loudly.
 */
export function requirePodman(what = 'container tests'): boolean {
  const { ok, reason } = checkPodman();
  if (ok) return true;
  if (process.env.CI === 'true') throw new Error(`${what} need podman on CI: ${reason}`);
  console.warn(`\n!!! SKIPPING ${what}: ${reason}\n`);
  return false;
}

/** Whether another command the tests drive (kpt, kubectl) is installed; same CI rule as podman. */
export function requireCommand(command: string, what: string): boolean {
  if (which(command)) return true;
  if (process.env.CI === 'true') throw new Error(`${what} need ${command} on CI, and it is not on PATH`);
  console.warn(`\n!!! SKIPPING ${what}: ${command} is not on PATH\n`);
  return false;
}

export interface BuildTimings {
  image: string;
  /** Wall time of build-image.sh, base image included; ~0.1 s when both were up to date. */
  ms: number;
  /** What build-image.sh said about the base and function image (built / up to date). */
  log: string;
}

let building: Promise<BuildTimings> | undefined;

/**
 * Builds localhost/node-base:20 and the function image from this working tree, once per process;
 * the scripts skip work whose inputs are unchanged and serialise parallel test processes.
 */
export function ensureFunctionImageTimed(): Promise<BuildTimings> {
  building ??= (async () => {
    const started = performance.now();
    const result = await run('bash', [join(SCRIPTS_DIR, 'build-image.sh'), FUNCTION_IMAGE], {
      env: podmanEnv(),
      timeout: 600_000,
    });
    if (result.code !== 0) {
      throw new Error(`scripts/container/build-image.sh failed (exit ${result.code}):\n${result.stderr.slice(-6000)}`);
    }
    const log = result.stderr
      .split('\n')
      .filter((line) => /^build-(base-)?image:|^Successfully tagged/.test(line))
      .join('\n');
    return { image: result.stdout.trim() || FUNCTION_IMAGE, ms: performance.now() - started, log };
  })();
  // A failed build is not cached: a retry in the same process should try again.
  building.catch(() => {
    building = undefined;
  });
  return building;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to completion, feeding `input` on stdin; never throws for a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeout?: number } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd ?? REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
    // A container that exits before reading stdin closes the pipe; that is its answer, not ours.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** `podman ARGS` with our configuration. */
export function podman(args: readonly string[], options: { input?: string; timeout?: number } = {}): Promise<RunResult> {
  return run('podman', args, { env: podmanEnv(), ...options });
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'stderr' in error) {
    const stderr = String((error as { stderr: unknown }).stderr ?? '').trim();
    if (stderr) return stderr.split('\n').slice(-3).join(' ');
  }
  return error instanceof Error ? error.message : String(error);
}
