/**
 * The catalogue of bad inputs a user can hand us, each run through the built CLI in KRM mode and,
 * where the input exists there too, in file mode. Every case must end with the documented exit code
 * (KRM 1, file mode 2), a message naming the file, resource, field or policy at fault, and no byte
 * of input lost: kpt gets the whole list back (or nothing, which makes it write nothing), and file
 * mode changes no file.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, resourceList, runFn, type FnRun } from '../e2e/run-fn.js';
import {
  expectKrmFailureKeepsInput,
  expectNoEmptyListForNonEmptyInput,
  expectTreeUnchanged,
  resultsOf,
  snapshotTree,
  type KrmResultView,
} from '../reliability/invariants.js';
import { policy, repository, workload, type PackageDocument } from './documents.js';
import { asUser, NOBODY } from './run-as.js';

const FIELD = 'spec.template.spec.containers[0].image';

interface BadPackage {
  name: string;
  documents: PackageDocument[];
  /** The functionConfig (KRM) and the `--config` file (file mode). */
  functionConfig?: string;
  error: RegExp;
  /** What the error result must point at. */
  at: { file?: string; field?: string; kind?: string };
}

const validConfig = (spec: string): string => `apiVersion: fn.apply-image-policies.dev/v1alpha1
kind: ApplyImagePolicies
spec:
${spec}`;

const BAD_PACKAGES: BadPackage[] = [
  {
    name: 'a marker naming a policy that exists nowhere',
    documents: [workload('apps/web.yaml', '# {"$imagepolicy": "flux-system:nope"}'), repository('flux/app.yaml'), policy('flux/app.yaml')],
    error: /ImagePolicy flux-system\/nope.*not defined/,
    at: { file: 'apps/web.yaml', field: FIELD, kind: 'Deployment' },
  },
  {
    name: 'the same ImagePolicy defined twice',
    documents: [workload('apps/web.yaml'), repository('flux/app.yaml'), policy('flux/app.yaml'), policy('flux/copy.yaml')],
    error: /ImagePolicy flux-system\/app is defined more than once \(also .*flux\/app\.yaml\)/,
    at: { file: 'flux/copy.yaml', kind: 'ImagePolicy' },
  },
  {
    name: 'an invalid semver range',
    documents: [workload('apps/web.yaml'), repository('flux/app.yaml'), policy('flux/app.yaml', '  policy:\n    semver:\n      range: ">=1.0 <<2"\n')],
    error: /ImagePolicy flux-system\/app.*improper constraint: >=1\.0 <<2/,
    at: { file: 'apps/web.yaml', field: FIELD },
  },
  {
    name: 'an invalid filterTags regular expression',
    documents: [
      workload('apps/web.yaml'),
      repository('flux/app.yaml'),
      policy('flux/app.yaml', '  policy:\n    semver:\n      range: 1.x\n  filterTags:\n    pattern: "^(v"\n'),
    ],
    error: /ImagePolicy flux-system\/app.*invalid regular expression pattern '\^\(v'/,
    at: { file: 'apps/web.yaml', field: FIELD },
  },
  {
    name: 'a policy with two kinds',
    documents: [
      workload('apps/web.yaml'),
      repository('flux/app.yaml'),
      policy('flux/app.yaml', '  policy:\n    semver:\n      range: 1.x\n    alphabetical:\n      order: asc\n'),
    ],
    error: /ImagePolicy flux-system\/app.*exactly one of semver, alphabetical, numerical/,
    at: { file: 'flux/app.yaml', kind: 'ImagePolicy' },
  },
  {
    name: 'an ImageRepository whose spec.image has a tag',
    documents: [workload('apps/web.yaml'), repository('flux/app.yaml', '127.0.0.1:9/team/app:1.0'), policy('flux/app.yaml')],
    error: /127\.0\.0\.1:9\/team\/app:1\.0.*must not include a tag or digest/,
    at: { field: FIELD },
  },
  {
    name: 'an ImagePolicy whose ImageRepository is missing',
    documents: [workload('apps/web.yaml'), policy('flux/app.yaml', undefined, 'ghost')],
    error: /ImageRepository flux-system\/ghost is not among the inputs/,
    at: { file: 'flux/app.yaml', kind: 'ImagePolicy' },
  },
  {
    name: 'unknown functionConfig fields (each named by its path)',
    documents: [workload('apps/web.yaml'), repository('flux/app.yaml'), policy('flux/app.yaml')],
    functionConfig: validConfig('  policies:\n    - name: extra\n      image: example.com/x\n      bogus: 1\n  cache:\n    dri: /tmp\n'),
    error: /spec\.policies\[0\] \(extra\): bogus: unknown field[\s\S]*spec\.cache\.dri: unknown field/,
    at: {},
  },
  {
    name: 'a functionConfig of the wrong kind',
    documents: [workload('apps/web.yaml'), repository('flux/app.yaml'), policy('flux/app.yaml')],
    functionConfig: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: oops\n',
    error: /expected apiVersion fn\.apply-image-policies\.dev\/v1alpha1, kind ApplyImagePolicies/,
    at: {},
  },
];

// Cases share nothing but the temp root: run them side by side, as each is mostly a process start.
describe.concurrent('bad input', () => {
  let root: string;
  let runs = 0;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'aip-bad-input-'));
    // World-traversable so the runs as nobody below can reach their folders.
    chmodSync(root, 0o755);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A fresh folder with an isolated HOME, cache and docker config. */
  const workspace = (): { dir: string; env: NodeJS.ProcessEnv } => {
    const dir = join(root, `ws-${runs++}`);
    mkdirSync(join(dir, 'pkg'), { recursive: true, mode: 0o777 });
    chmodSync(dir, 0o777);
    return { dir, env: isolatedEnv(dir) };
  };

  const writeDocuments = (dir: string, documents: readonly PackageDocument[]): void => {
    const byFile = new Map<string, string[]>();
    for (const d of documents) byFile.set(d.path, [...(byFile.get(d.path) ?? []), d.yaml]);
    for (const [path, yamls] of byFile) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), yamls.join('---\n'));
    }
  };

  const expectPointsAt = (results: readonly KrmResultView[], at: BadPackage['at']): void => {
    expect(
      results.some(
        (r) =>
          (at.file === undefined || r.file?.path === at.file) &&
          (at.field === undefined || r.field?.path === at.field) &&
          (at.kind === undefined || r.resourceRef?.kind === at.kind),
      ),
      JSON.stringify(results, null, 2),
    ).toBe(true);
  };

  describe('KRM mode: the whole list comes back with an error result and exit 1', () => {
    it.each(BAD_PACKAGES)('$name', async ({ documents, functionConfig, error, at }) => {
      const input = resourceList(
        documents.map((d) => d.yaml),
        functionConfig,
      );
      const run = await runFn(input, { env: workspace().env });
      const errors = expectKrmFailureKeepsInput(run, input, error);
      expectPointsAt(errors, at);
      expectNoEmptyListForNonEmptyInput(run);
    });
  });

  describe('file mode: exit 2, the culprit named on stderr, no file changed', () => {
    it.each(BAD_PACKAGES)('$name', async ({ documents, functionConfig, error, at }) => {
      const { dir, env } = workspace();
      const pkg = join(dir, 'pkg');
      writeDocuments(pkg, documents);
      const args = ['.'];
      if (functionConfig) {
        writeFileSync(join(dir, 'fn-config.yaml'), functionConfig);
        args.unshift('--config', join(dir, 'fn-config.yaml'));
      }
      const before = snapshotTree(pkg);
      const run = await runFn('', { args, env, cwd: pkg });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(error);
      for (const named of [at.file, at.field]) if (named) expect(run.stderr).toContain(named);
      expectTreeUnchanged(pkg, before);
    });
  });

  describe('markers Flux would ignore are reported, not silently skipped', () => {
    const cases = [
      { name: 'unclosed JSON', marker: '# {"$imagepolicy": "flux-system:app"' },
      { name: 'an unquoted value', marker: '# {"$imagepolicy": flux-system:app}' },
      { name: 'an unknown suffix', marker: '# {"$imagepolicy": "flux-system:app:version"}' },
    ];

    it.each(cases)('KRM mode: $name → a warning on the field, exit 0, nothing changed', async ({ marker }) => {
      const documents = [workload('apps/web.yaml', marker), repository('flux/app.yaml'), policy('flux/app.yaml')];
      const input = resourceList(documents.map((d) => d.yaml));
      const run = await runFn(input, { env: workspace().env });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.startsWith(input)).toBe(true);
      const warnings = resultsOf(run.stdout).filter((r) => r.severity === 'warning');
      expect(warnings, run.stdout).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ field: { path: FIELD }, file: { path: 'apps/web.yaml' } });
      expect(warnings[0]!.message).toContain('$imagepolicy');
      expect(run.stderr).toContain(FIELD);
    });

    it.each(cases)('file mode: $name → a warning naming file and field, exit 0, nothing changed', async ({ marker }) => {
      const { dir, env } = workspace();
      const pkg = join(dir, 'pkg');
      writeDocuments(pkg, [workload('apps/web.yaml', marker), repository('flux/app.yaml'), policy('flux/app.yaml')]);
      const before = snapshotTree(pkg);
      const run = await runFn('', { args: ['.'], env, cwd: pkg });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/warning/i);
      expect(run.stderr).toContain('apps/web.yaml');
      expect(run.stderr).toContain(FIELD);
      expectTreeUnchanged(pkg, before);
    });
  });

  describe('KRM mode: input that is not a ResourceList prints nothing and exits 1 (kpt then writes nothing)', () => {
    const cases = [
      { name: 'not YAML', input: 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [a\n', error: /not valid YAML or JSON.*line 4/ },
      { name: 'truncated JSON', input: '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [', error: /not valid YAML or JSON/ },
      { name: 'a ConfigMap instead of a ResourceList', input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n', error: /expected kind ResourceList.*got kind "ConfigMap"/ },
      {
        name: 'two ResourceLists in one stream',
        input: 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n---\napiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n',
        error: /expected one ResourceList document on stdin, found 2/,
      },
      { name: 'items that are a map', input: 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n  a: b\n', error: /items must be a list/ },
      { name: 'an unknown ResourceList version', input: 'apiVersion: config.kubernetes.io/v9\nkind: ResourceList\nitems: []\n', error: /unsupported ResourceList apiVersion "config\.kubernetes\.io\/v9"/ },
      { name: 'empty stdin', input: '', error: /found none/ },
      {
        // Past the parser's own stack: said as a depth with the place, not as a stack overflow.
        name: 'a value nested 20,000 levels deep',
        input: `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: deep\n  data:\n    x: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`,
        error: /not valid YAML or JSON: nested deeper than 500 levels \(line 9, column \d+\)/,
      },
    ];
    it.each(cases)('$name', async ({ input, error }) => {
      const run = await runFn(input, { env: workspace().env });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(error);
    });
  });

  it('KRM mode: items that are not KRM objects are each named; the list comes back whole', async () => {
    const input = resourceList(['just a string\n', 'foo: bar\n', workload('apps/web.yaml').yaml]);
    const run = await runFn(input, { env: workspace().env });
    const errors = expectKrmFailureKeepsInput(run, input, /items\[0\] is not a KRM object/);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/items\[1\] is not a KRM object: apiVersion and kind must be strings/);
    expectNoEmptyListForNonEmptyInput(run);
  });

  it('KRM mode: a file-mode option without paths is refused rather than silently ignored', async () => {
    const { dir, env } = workspace();
    const input = resourceList([workload('apps/web.yaml').yaml, repository('flux/app.yaml').yaml, policy('flux/app.yaml').yaml]);
    const run = await runFn(input, { args: ['--config', join(dir, 'missing.yaml')], env });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--config');
    expectNoEmptyListForNonEmptyInput(run);
  });

  describe('file mode only', () => {
    // Unparseable files without a marker (Helm templates match *.yaml too) are skipped by design.
    it('a file with a marker that is not YAML is named with line and column; no file changes', async () => {
      const { dir, env } = workspace();
      const pkg = join(dir, 'pkg');
      writeDocuments(pkg, [workload('apps/web.yaml'), repository('flux/app.yaml'), policy('flux/app.yaml')]);
      writeFileSync(join(pkg, 'apps', 'broken.yaml'), 'kind: Deployment\nimage: a:1 # {"$imagepolicy": "flux-system:app"}\nspec: [a\n');
      const before = snapshotTree(pkg);
      const run = await runFn('', { args: ['.'], env, cwd: pkg });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/apps\/broken\.yaml:4:1: not valid YAML/);
      expectTreeUnchanged(pkg, before);
    });

    it('a file nested deeper than 500 levels is named with line and column; 500 levels still work', async () => {
      const { dir, env } = workspace();
      const pkg = join(dir, 'pkg');
      // The root map, `data`, then flow sequences: `levels` in all.
      const nested = (levels: number) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: ${'['.repeat(levels - 2)}${']'.repeat(levels - 2)}\n  image: a:1 # {"$imagepolicy": "flux-system:app"}\n`;
      writeDocuments(pkg, [workload('apps/web.yaml'), repository('flux/app.yaml'), policy('flux/app.yaml')]);
      writeFileSync(join(pkg, 'apps', 'deep.yaml'), nested(501));
      const before = snapshotTree(pkg);
      const tooDeep = await runFn('', { args: ['--check', '.'], env, cwd: pkg });
      expect(tooDeep.code, tooDeep.stderr).toBe(2);
      expect(tooDeep.stderr).toMatch(/apps\/deep\.yaml:6:\d+: not valid YAML: nested deeper than 500 levels/);
      expect(tooDeep.stderr).not.toContain('call stack');
      expectTreeUnchanged(pkg, before);

      writeFileSync(join(pkg, 'apps', 'deep.yaml'), nested(500));
      const deepEnough = await runFn('', { args: ['--check', 'apps/deep.yaml', 'flux'], env, cwd: pkg });
      // Read, walked and resolved like any file: the error is about the registry, not the depth.
      expect(deepEnough.stderr).not.toMatch(/nested deeper|call stack/);
      expect(deepEnough.stderr).toContain('apps/deep.yaml ConfigMap/deep data.image');
    });

    it('a path that does not exist is named', async () => {
      const { dir, env } = workspace();
      const run = await runFn('', { args: ['no-such-dir'], env, cwd: join(dir, 'pkg') });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('no-such-dir');
      expect(run.stderr).toMatch(/ENOENT|no such file/);
    });

    describe('an unreadable --config names the file and the reason; no file changes', () => {
      const cases: Array<{ name: string; prepare: (dir: string) => string; reason: RegExp; asNobody?: boolean }> = [
        { name: 'missing', prepare: (dir) => join(dir, 'missing.yaml'), reason: /ENOENT/ },
        {
          name: 'a folder',
          prepare: (dir) => {
            mkdirSync(join(dir, 'config.d'));
            return join(dir, 'config.d');
          },
          reason: /EISDIR/,
        },
        {
          name: 'without read permission',
          prepare: (dir) => {
            const file = join(dir, 'secret-config.yaml');
            writeFileSync(file, validConfig('  digestReflectionPolicy: Never\n'), { mode: 0o000 });
            return file;
          },
          reason: /EACCES/,
          // Root reads any file whatever its mode: the permission case needs a real user.
          asNobody: true,
        },
        {
          name: 'not YAML',
          prepare: (dir) => {
            writeFileSync(join(dir, 'broken-config.yaml'), 'spec: {a\n');
            return join(dir, 'broken-config.yaml');
          },
          reason: /broken-config\.yaml:\d+:\d+/,
        },
      ];
      it.each(cases)('$name', async ({ prepare, reason, asNobody }) => {
        const { dir, env } = workspace();
        const pkg = join(dir, 'pkg');
        writeDocuments(pkg, [workload('apps/web.yaml'), repository('flux/app.yaml'), policy('flux/app.yaml')]);
        chmodSync(pkg, 0o777);
        const config = prepare(dir);
        const before = snapshotTree(pkg);
        const args = ['--config', config, '.'];
        const user = asNobody && process.getuid?.() === 0 ? asUser(NOBODY) : {};
        const run = await runFn('', { args, env: { ...env, ...user }, cwd: pkg });
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toContain(config);
        expect(run.stderr).toMatch(reason);
        expectTreeUnchanged(pkg, before);
      });
    });
  });
});
