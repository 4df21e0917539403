// The function image as kpt and kustomize will run it: as `nobody`, without network, with a
// ResourceList on stdin. Builds the image from this working tree (scripts/container).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  BASE_IMAGE,
  REPO_ROOT,
  ensureFunctionImageTimed,
  kptEnv,
  kustomizeEnv,
  podman,
  requireCommand,
  requirePodman,
  run,
} from './podman.js';

const havePodman = requirePodman('container image tests');

const CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings # a comment kpt must keep
  namespace: apps
data:
  level: "10"
  mode: fast
`;

const RESOURCE_LIST = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
    namespace: apps
  data:
    level: "10"
    mode: fast
`;

interface ResourceList {
  kind: string;
  items: unknown[];
}

describe.skipIf(!havePodman)('function image', () => {
  let image = '';
  let workDir = '';

  beforeAll(async () => {
    const build = await ensureFunctionImageTimed();
    image = build.image;
    console.info(`function image ${image} ready in ${(build.ms / 1000).toFixed(1)} s\n${build.log}`);
    workDir = mkdtempSync(join(tmpdir(), 'aip-image-test-'));
  }, 600_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('declares a non-root user and the node entrypoint', async () => {
    const inspect = await podman(['image', 'inspect', '--format', '{{json .Config}}', image]);
    expect(inspect.code, inspect.stderr).toBe(0);
    const config = JSON.parse(inspect.stdout) as { User?: string; Entrypoint?: string[] };
    expect(config.Entrypoint).toEqual(['node', '/app/dist/main.js']);
    // Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
    expect(config.User).toMatch(/^[0-9]+(:[0-9]+)?$/);
    expect(Number(config.User?.split(':')[0])).not.toBe(0);

    const whoami = await podman(['run', '--rm', '--entrypoint', 'node', image, '-p', 'process.getuid()']);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout.trim()).toBe(config.User?.split(':')[0]);
  });

  it('is readable but not writable by nobody, and ships production dependencies only', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const probe = `
      const fs = require('fs'), path = require('path');
      const problems = [];
      (function walk(p) {
        const st = fs.lstatSync(p);
        if (st.isSymbolicLink()) return;
        const want = st.isDirectory() ? fs.constants.R_OK | fs.constants.X_OK : fs.constants.R_OK;
        try { fs.accessSync(p, want); } catch { problems.push('unreadable ' + p); }
        try { fs.accessSync(p, fs.constants.W_OK); problems.push('writable ' + p); } catch {}
        if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
      })('/app');
      const present = (n) => fs.existsSync('/app/node_modules/' + n + '/package.json');
      console.log(JSON.stringify({
        problems: problems.slice(0, 20),
        missing: ${JSON.stringify(Object.keys(pkg.dependencies ?? {}))}.filter((n) => !present(n)),
        devShipped: ${JSON.stringify(Object.keys(pkg.devDependencies ?? {}))}.filter(present),
        main: fs.existsSync('/app/dist/main.js'),
      }));`;
    const result = await podman(['run', '--rm', '--user', 'nobody', '--network', 'none', '--entrypoint', 'node', image, '-e', probe]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ problems: [], missing: [], devShipped: [], main: true });
  });

  it('adds little to the base image', async () => {
    const size = async (name: string) => {
      const r = await podman(['image', 'inspect', '--format', '{{.Size}}', name]);
      expect(r.code, r.stderr).toBe(0);
      return Number(r.stdout.trim());
    };
    const [own, base] = await Promise.all([size(image), size(BASE_IMAGE)]);
    console.info(`image size ${(own / 1e6).toFixed(1)} MB, ${((own - base) / 1e6).toFixed(1)} MB over ${BASE_IMAGE}`);
    // Production dependencies are a few MB; TypeScript, vite and vitest would add ~100 MB.
    expect(own - base).toBeLessThan(40e6);
  });

  it('echoes a ResourceList without markers, as nobody with no network', async () => {
    const result = await podman(['run', '-i', '--rm', '--user', 'nobody', '--network', 'none', image], { input: RESOURCE_LIST });
    console.info(`podman run (nobody, --network none) took ${result.ms.toFixed(0)} ms`);
    expect(result.code, result.stderr).toBe(0);
    const output = parse(result.stdout) as ResourceList;
    const input = parse(RESOURCE_LIST) as ResourceList;
    expect(output.kind).toBe('ResourceList');
    expect(output.items).toEqual(input.items);
  });

  it('runs as its own default user too', async () => {
    const result = await podman(['run', '-i', '--rm', '--network', 'none', image], { input: RESOURCE_LIST });
    expect(result.code, result.stderr).toBe(0);
    expect((parse(result.stdout) as ResourceList).items).toEqual((parse(RESOURCE_LIST) as ResourceList).items);
  });

  describe.skipIf(!requireCommand('kpt', 'kpt container tests'))('through kpt', () => {
    it('kpt fn eval --image leaves a package without markers as it was', async () => {
      const dir = join(workDir, 'kpt');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'settings.yaml'), CONFIG_MAP);
      // The full localhost/ name: kpt rewrites a short name to gcr.io/kpt-fn/…
      const result = await run('kpt', ['fn', 'eval', '--image', image, dir], { env: kptEnv() });
      console.info(`kpt fn eval --image took ${result.ms.toFixed(0)} ms`);
      expect(result.code, result.stderr + result.stdout).toBe(0);
      expect(result.stderr + result.stdout).toContain(`[PASS] "${image}"`);
      expect(readFileSync(join(dir, 'settings.yaml'), 'utf8')).toBe(CONFIG_MAP);
    });
  });

  describe.skipIf(!requireCommand('kubectl', 'kustomize container tests'))('through kustomize', () => {
    it('kubectl kustomize runs the image as a container transformer', async () => {
      const dir = join(workDir, 'kustomize');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'settings.yaml'), CONFIG_MAP);
      writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [settings.yaml]\ntransformers: [pin.yaml]\n');
      writeFileSync(
        join(dir, 'pin.yaml'),
        `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
metadata:
  name: pin
  annotations:
    config.kubernetes.io/function: |
      container:
        image: ${image}
        network: true
`,
      );
      const result = await run('kubectl', ['kustomize', '--enable-alpha-plugins', '--network', dir], { env: kustomizeEnv() });
      console.info(`kubectl kustomize with the container took ${result.ms.toFixed(0)} ms`);
      expect(result.code, result.stderr).toBe(0);
      const docs = parseAllDocuments(result.stdout).map((d) => d.toJS() as unknown);
      expect(docs).toEqual([parse(CONFIG_MAP)]);
    });
  });
});
