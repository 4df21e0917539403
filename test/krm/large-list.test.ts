import { spawn, spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseYamlStream } from '../../src/markers/yaml-stream.js';
import { CLI, fluxPolicy, fluxRepository, isolatedEnv, requireBuiltCli, resourceList, runFn, type FnRun } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';

// A big package is mostly objects without markers; those are carried through without a marker
// scan. The markers hidden among them, wherever Flux would honour them, must still be pinned,
// and every other byte must come out as it went in.

const filler = (i: number): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-${i}
  annotations:
    config.kubernetes.io/path: 'config/settings-${i}.yaml'
data:
  LOG_LEVEL: info # kept as written
  note: 'mentions {"$imagepolicy": "flux-system:app"} in a string, not a comment'
  config.yaml: |
    replicas: ${i % 7}
`;

describe.skipIf(!registryAvailable())('a large ResourceList against a real registry', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-large-list-' });
  let image: PushedImage;
  let host: string;

  beforeAll(async () => {
    host = fx.registry.host;
    await pushImage(fx.registry, 'team/app', { tags: ['1.0.0'], kind: 'oci' });
    image = await pushImage(fx.registry, 'team/app', { tags: ['1.1.0'], kind: 'oci' });
  });

  it('pins markers in a deep head comment, a flow map and a \\u-escaped key among hundreds of plain objects', async () => {
    const deep = `apiVersion: v1
kind: Pod
metadata:
  name: deep
spec:
  containers:
  - name: app
    image: busybox
    args:
    - --verbose
    # {"$imagepolicy": "flux-system:app:tag"}
    - "0.9.0"
`;
    const flow = `apiVersion: v1
kind: Pod
metadata: {name: flow}
spec: {containers: [{name: app, image: ${host}/team/app:0.9.0, # {"$imagepolicy": "flux-system:app"}
  }]}
`;
    const escaped = `apiVersion: v1
kind: Pod
metadata:
  name: escaped
spec:
  containers:
  - name: app
    image: ${host}/team/app:0.9.0 # {"\\u0024imagepolicy": "flux-system:app"}
`;
    const fillers = Array.from({ length: 300 }, (_, i) => filler(i));
    const input = resourceList([
      fluxRepository('app', `${host}/team/app`),
      fluxPolicy('app', 'app', 'semver:\n  range: 1.x'),
      ...fillers.slice(0, 100),
      deep,
      ...fillers.slice(100, 200),
      flow,
      escaped,
      ...fillers.slice(200),
    ]);

    const run = await runFn(input, { env: isolatedEnv(fx.tempDir) });
    expect(run.stderr).not.toContain('[error]');
    expect(run.code).toBe(0);
    const pinned = `${host}/team/app:1.1.0@${image.digest}`;
    const expected = input
      .replace('- "0.9.0"', '- "1.1.0"')
      .replace(`image: ${host}/team/app:0.9.0, #`, `image: ${pinned}, #`)
      .replace(`image: ${host}/team/app:0.9.0 # {"\\u0024`, `image: ${pinned} # {"\\u0024`);
    expect(expected).not.toBe(input);
    // Only the three marked values changed; the results follow the items.
    expect(run.stdout.slice(0, expected.length)).toBe(expected);
    expect(run.stdout.slice(expected.length)).toMatch(/^results:\n/);
  });

  it('writes a multi-megabyte ResourceList in full to a pipe its reader drains late', async () => {
    // The process exits as soon as its output is flushed: a pipe holds 64 KiB, so most of this
    // output is still queued in the process when the run is done, and must not be cut off.
    const marked = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: last
spec:
  template:
    spec:
      containers:
      - name: app
        image: ${host}/team/app:0.9.0 # {"$imagepolicy": "flux-system:app"}
`;
    const input = resourceList([
      fluxRepository('app', `${host}/team/app`),
      fluxPolicy('app', 'app', 'semver:\n  range: 1.x'),
      ...Array.from({ length: 12_000 }, (_, i) => filler(i)),
      marked,
    ]);
    expect(input.length).toBeGreaterThan(3_000_000);
    const run = await runFnReadingLate(input, isolatedEnv(fx.tempDir), 1500);
    expect(run.stderr).not.toContain('[error]');
    expect(run.code).toBe(0);
    const expected = input.replace(`image: ${host}/team/app:0.9.0 #`, `image: ${host}/team/app:1.1.0@${image.digest} #`);
    expect(expected).not.toBe(input);
    expect(run.stdout.length).toBeGreaterThan(expected.length);
    expect(run.stdout.slice(0, expected.length) === expected).toBe(true);
    expect(run.stdout.slice(expected.length)).toMatch(/^results:\n[^]*\n$/);
  }, 60_000);

  it('leaves a package without markers byte for byte as it was, with no registry request', async () => {
    const input = resourceList(Array.from({ length: 300 }, (_, i) => filler(i)));
    const before = (await fx.registry.settledRequests()).length;
    const run = await runFn(input, { env: isolatedEnv(fx.tempDir) });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(input);
    expect((await fx.registry.settledRequests()).length).toBe(before);
  });
});

/** {@link runFn}, but stdout is left unread for `delayMs`, so the CLI's writes back up behind a full pipe. */
function runFnReadingLate(input: string, env: NodeJS.ProcessEnv, delayMs: number): Promise<FnRun> {
  requireBuiltCli();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    setTimeout(() => child.stdout.on('data', (d: Buffer) => out.push(d)), delayMs);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr }));
    child.stdin.end(input);
  });
}

describe('parsing a stream', () => {
  it('leaves process.env live afterwards: a variable set later still reaches a child process', () => {
    const env = process.env;
    parseYamlStream('a: 1 # {"$imagepolicy": "ns:a"}\n');
    expect(process.env).toBe(env);
    process.env.AIP_PARSE_ENV_PROBE = 'seen';
    try {
      const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(process.env.AIP_PARSE_ENV_PROBE ?? "")'], { encoding: 'utf8' });
      expect(child.stdout).toBe('seen');
    } finally {
      delete process.env.AIP_PARSE_ENV_PROBE;
    }
  });
});
