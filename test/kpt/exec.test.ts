// The function as an exec function of the real kpt: `kpt fn eval --exec` and a Kptfile `exec:`
// mutator under `kpt fn render --allow-exec`. kpt reformats files on its own (indentation, trailing
// comment spacing, folded scalars, `---`), so each run is compared with what kpt writes when a
// no-op function runs on the same package: beyond that, only the marked values may change.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../container/podman.js';
import { pushImage, registryAvailable, startRegistry, type RunningRegistry } from '../harness/registry.js';
import { contents, kpt, kptAvailable, kptWorkspace, snapshot, type KptWorkspace } from './kpt.js';

/** Written the way people write YAML, not the way kpt prints it, so kpt's own changes show up. */
function packageFiles(host: string): Record<string, string> {
  return {
    'policies.yaml': `---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: ${host}/team/app
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
  namespace: flux-system
spec:
  imageRepositoryRef: {name: app}
  policy:
    semver:
      range: '>=1.0.0 <2.0.0'
`,
    'apps/web.yaml': `# Web tier.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web    # the public one
  labels: {app: web, "tier": 'front'}
spec:
  template:
    spec:
      containers:
          - name: app
            image: "${host}/team/app:1.0.0" # {"$imagepolicy": "flux-system:app"}
            args: ["--port", '8080']
            env:
              - name: GREETING
                value: >
                  hello
                  world
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
data:
  tag: "1.0.0" # {"$imagepolicy": "flux-system:app:tag"}
  untouched: '1.0.0'
`,
    'apps/jobs.yml': `apiVersion: batch/v1
kind: Job
metadata:
    name: migrate
spec:
    template:
        spec:
            containers:
                -   name: migrate
                    image: ${host}/team/app:1.1.0 # {"$imagepolicy": "flux-system:app"}
`,
  };
}

interface RecordedList {
  items: Array<{ kind: string }>;
  functionConfig?: { kind: string };
}

function kptfileWith(mutators: string): string {
  return `apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\npipeline:\n  mutators:\n${mutators}`;
}

function writePackage(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

describe.skipIf(!registryAvailable() || !kptAvailable())('kpt runs the function with --exec', () => {
  let registry: RunningRegistry;
  let workspace: KptWorkspace;
  let pinned: string;
  let files: Record<string, string>;
  let count = 0;

  beforeAll(async () => {
    workspace = kptWorkspace('kpt-exec');
    registry = await startRegistry();
    await pushImage(registry, 'team/app', { tags: ['1.0.0', '1.1.0', '2.0.0'] });
    const newest = await pushImage(registry, 'team/app', { tags: ['1.2.0'] });
    pinned = `${registry.host}/team/app:1.2.0@${newest.digest}`;
    files = packageFiles(registry.host);
  });
  afterAll(async () => {
    await registry?.stop();
    if (workspace) rmSync(workspace.dir, { recursive: true, force: true });
  });

  /** A fresh copy of the package (plus extra files) for one run. */
  const freshPackage = (extra: Record<string, string> = {}): string => {
    const dir = join(workspace.dir, `pkg-${++count}`);
    writePackage(dir, { ...files, ...extra });
    return dir;
  };

  /** kpt's output with a function that changes nothing, for the same input. */
  const baselineFor = async (verb: 'eval' | 'render', extra: Record<string, string> = {}): Promise<Record<string, string>> => {
    const dir = freshPackage(extra);
    const args = verb === 'eval' ? ['eval', dir, '--exec', 'aip-noop'] : ['render', dir, '--allow-exec'];
    if (verb === 'render') writeFileSync(join(dir, 'Kptfile'), (extra.Kptfile ?? '').replace(/exec: \S+/, 'exec: aip-noop'));
    const noop = await kpt(args, workspace);
    expect(noop.code, noop.stderr).toBe(0);
    const out = contents(snapshot(dir));
    if (verb === 'render') out.Kptfile = extra.Kptfile ?? '';
    return out;
  };

  /** The baseline with our marked values replaced: the only change the function may make. */
  const pinnedVersionOf = (baseline: Record<string, string>): Record<string, string> => {
    const host = registry.host;
    const swap = (text: string): string =>
      text
        .replace(`image: "${host}/team/app:1.0.0"`, `image: "${pinned}"`)
        .replace(`image: ${host}/team/app:1.1.0`, `image: ${pinned}`)
        .replace('tag: "1.0.0" #', 'tag: "1.2.0" #');
    return Object.fromEntries(Object.entries(baseline).map(([path, text]) => [path, swap(text)]));
  };

  it('eval: only the marked values change beyond what kpt itself rewrites; a second run changes nothing', async () => {
    const baseline = await baselineFor('eval');
    // kpt's own rewriting is real (so this test compares against it, not against the input).
    expect(baseline['apps/web.yaml']).not.toBe(files['apps/web.yaml']);

    const dir = freshPackage();
    const run = await kpt(['eval', dir, '--exec', 'apply-image-policies'], workspace);
    expect(run.code, run.stderr).toBe(0);
    const after = contents(snapshot(dir));
    expect(Object.keys(after).sort()).toEqual(Object.keys(files).sort());
    expect(after).toEqual(pinnedVersionOf(baseline));
    expect(after['apps/web.yaml']).toContain("untouched: '1.0.0'");
    // kpt shows our results: which field changed, from what to what.
    expect(run.stderr).toContain(`spec.template.spec.containers[0].image: "${registry.host}/team/app:1.0.0" → ${pinned}`.replace(/"/g, ''));
    expect(run.stderr).toMatch(/3 marked fields, 3 pinned, 0 unchanged/);

    const again = await kpt(['eval', dir, '--exec', 'apply-image-policies'], workspace);
    expect(again.code, again.stderr).toBe(0);
    expect(contents(snapshot(dir))).toEqual(after);
    expect(again.stderr).toMatch(/3 marked fields, 0 pinned, 3 unchanged/);
  });

  it('eval --fn-config fn-config/tags-only.yaml writes tags without digests', async () => {
    const dir = freshPackage();
    const run = await kpt(['eval', dir, '--exec', 'apply-image-policies', '--fn-config', join(REPO_ROOT, 'fn-config/tags-only.yaml')], workspace);
    expect(run.code, run.stderr).toBe(0);
    const web = readFileSync(join(dir, 'apps/web.yaml'), 'utf8');
    expect(web).toContain(`image: "${registry.host}/team/app:1.2.0" # {"$imagepolicy": "flux-system:app"}`);
  });

  it('eval -- digestReflectionPolicy=Never (the ConfigMap kpt builds from key=value) is honoured', async () => {
    const dir = freshPackage();
    const run = await kpt(['eval', dir, '--exec', 'apply-image-policies', '--', 'digestReflectionPolicy=Never'], workspace);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dir, 'apps/jobs.yml'), 'utf8')).toContain(`image: ${registry.host}/team/app:1.2.0 #`);
  });

  /** `kpt fn render` that keeps the ResourceList kpt sent to the function, parsed. */
  const renderRecorded = async (dir: string): Promise<{ code: number | null; stderr: string; sent: RecordedList }> => {
    const record = join(dir, '..', `${dir.split('/').pop()}-input.yaml`);
    const run = await kpt(['render', dir, '--allow-exec'], { ...workspace, env: { ...workspace.env, AIP_RECORD: record } });
    return { code: run.code, stderr: run.stderr, sent: parse(readFileSync(record, 'utf8')) as RecordedList };
  };

  it('render: a Kptfile exec mutator without config pins the package; kpt sends no functionConfig', async () => {
    const kptfile = kptfileWith('    - exec: aip-record\n');
    const baseline = await baselineFor('render', { Kptfile: kptfile });
    const dir = freshPackage({ Kptfile: kptfile });
    const first = await renderRecorded(dir);
    expect(first.code, first.stderr).toBe(0);
    expect(contents(snapshot(dir))).toEqual(pinnedVersionOf(baseline));
    expect(first.sent).not.toHaveProperty('functionConfig');
    expect(first.sent.items.map((item) => item.kind)).toContain('Kptfile');

    const again = await renderRecorded(dir);
    expect(again.code, again.stderr).toBe(0);
    expect(contents(snapshot(dir))).toEqual(pinnedVersionOf(baseline));
  });

  it('render: configPath passes fn-config/tags-only.yaml verbatim, as functionConfig and as an item left unchanged', async () => {
    const config = readFileSync(join(REPO_ROOT, 'fn-config/tags-only.yaml'), 'utf8');
    const kptfile = kptfileWith('    - exec: aip-record\n      configPath: apply-image-policies.yaml\n');
    const dir = freshPackage({ Kptfile: kptfile, 'apply-image-policies.yaml': config });
    const run = await renderRecorded(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dir, 'apps/jobs.yml'), 'utf8')).toContain(`image: ${registry.host}/team/app:1.2.0 #`);
    expect(readFileSync(join(dir, 'apply-image-policies.yaml'), 'utf8')).toBe(config);
    expect(run.sent.functionConfig?.kind).toBe('ApplyImagePolicies');
    expect(run.sent.items.map((item) => item.kind)).toEqual(expect.arrayContaining(['Kptfile', 'ApplyImagePolicies']));
  });

  it('an error fails kpt, prints our result naming field and policy, and leaves every file as it was', async () => {
    const broken = `apiVersion: v1
kind: Pod
metadata:
  name: orphan
spec:
  containers:
    - name: app
      image: ${registry.host}/team/app:1.0.0 # {"$imagepolicy": "flux-system:missing"}
`;
    for (const verb of ['eval', 'render'] as const) {
      const extra: Record<string, string> = { 'apps/orphan.yaml': broken };
      if (verb === 'render') extra.Kptfile = kptfileWith('    - exec: apply-image-policies\n');
      const dir = freshPackage(extra);
      const before = snapshot(dir);
      const args = verb === 'eval' ? ['eval', dir, '--exec', 'apply-image-policies'] : ['render', dir, '--allow-exec'];
      const run = await kpt(args, workspace);
      expect(run.code, verb).not.toBe(0);
      expect(run.stderr).toContain('spec.containers[0].image');
      expect(run.stderr).toContain('ImagePolicy flux-system/missing, which is not defined');
      expect(snapshot(dir), verb).toEqual(before);
    }
  });
});
