import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built CLI: tests run what users run (`npm test` builds first). */
export const CLI = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface FnRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it first)`);
}

/** Runs the CLI with `input` on stdin (bytes when they need not be UTF-8), as kpt's exec runtime does. */
export function runFn(input: string | Uint8Array, options: { args?: string[]; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<FnRun> {
  requireBuiltCli();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...(options.args ?? [])], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd ?? process.cwd(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Indents a YAML block so it can be placed as a ResourceList item (`- ` + 2 spaces). */
export function asItem(yaml: string): string {
  const lines = yaml.replace(/\n$/, '').split('\n');
  return lines.map((line, i) => (i === 0 ? `- ${line}` : line === '' ? '' : `  ${line}`)).join('\n') + '\n';
}

export function resourceList(items: string[], functionConfig?: string): string {
  let text = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n' + items.map(asItem).join('');
  if (functionConfig) {
    text += 'functionConfig:\n' + functionConfig.replace(/\n$/, '').split('\n').map((l) => (l === '' ? '' : `  ${l}`)).join('\n') + '\n';
  }
  return text;
}

export function fluxRepository(name: string, image: string, extra = ''): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: ${name}
  namespace: flux-system
spec:
  image: ${image}
  interval: 5m
${extra}`;
}

export function fluxPolicy(name: string, repository: string, policy: string, extra = ''): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: ${name}
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: ${repository}
  policy:
${policy.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n')}
${extra}`;
}

let isolatedRuns = 0;

/**
 * Environment that isolates a run from the developer's own credentials and cache, and from the
 * cache of every other run (a test that wants a warm cache passes `--cache-dir` itself).
 */
export function isolatedEnv(dir: string): NodeJS.ProcessEnv {
  return {
    DOCKER_CONFIG: `${dir}/docker`,
    REGISTRY_AUTH_FILE: `${dir}/auth.json`,
    XDG_CACHE_HOME: `${dir}/cache-${process.pid}-${++isolatedRuns}`,
    XDG_RUNTIME_DIR: `${dir}/run`,
    HOME: dir,
  };
}
