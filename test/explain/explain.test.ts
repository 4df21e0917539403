// `--explain` and `--explain-json` against a real registry (htpasswd, so credentials are asked for)
// and through the real kpt: the JSON contract on a repository where every stage drops something,
// in file mode and KRM mode; the text report; the no-match error; `spec.explain` in results; and
// an alias search that a warm cache answers.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { fluxPolicy, fluxRepository, isolatedEnv, runFn, type FnRun } from '../e2e/run-fn.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable } from '../harness/registry.js';
import { kpt, kptAvailable, kptWorkspace } from '../kpt/kpt.js';

const USER = { user: 'deploy', pass: 'explain-me-42' };
const RANGE = '>=1.0.0 <2.0.0';
const FUNNEL = `8 listed → 7 after exclusionList → 5 after filterTags → 3 valid for semver "${RANGE}"`;

describe.skipIf(!registryAvailable())('explain: why each field got its value', () => {
  const fx = useRegistryFixture({ tempDir: 'aip-explain-', registry: { htpasswd: USER } });
  const digests: Record<string, string> = {};
  let count = 0;

  beforeAll(async () => {
    // Every stage drops something: 1.5.0-rc1 (exclusionList), main and latest (filterTags),
    // 2.0.0 (outside the range) and 1.banana (not a version); 1.4.0 wins over 1.2.0 and v1.0.0.
    for (const tag of ['v1.0.0', '1.2.0', '1.4.0', '2.0.0', '1.5.0-rc1', 'main', '1.banana']) {
      digests[tag] = (await pushImage(fx.registry, 'team/web', { tags: [tag] })).digest;
    }
    await pushImage(fx.registry, 'team/web', { tags: ['latest'] });
    digests.sha1 = (await pushImage(fx.registry, 'team/build', { tags: ['3f2a9c1'] })).digest;
    digests.sha2 = (await pushImage(fx.registry, 'team/build', { tags: ['a81d0e4', 'latest'] })).digest;
    await pushImage(fx.registry, 'team/build', { tags: ['e5b7f03'] });
  });

  const image = () => `${fx.registry.host}/team/web`;
  const policies = (range = RANGE, pattern = '^v?\\d') =>
    `${fluxRepository('web', image(), '  exclusionList: ["-rc"]\n')}---\n${fluxPolicy('web', 'web', `semver:\n  range: '${range}'`, `  filterTags:\n    pattern: '${pattern}'\n`)}`;
  const deployment = () => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: app
        image: ${image()}:1.2.0 # {"$imagepolicy": "flux-system:web"}
`;

  /** A project with the package and a docker config that holds the registry's password. */
  const project = (files: Record<string, string>): { dir: string; env: NodeJS.ProcessEnv } => {
    const dir = join(fx.tempDir, `p${++count}`);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const env = isolatedEnv(`${dir}-home`);
    mkdirSync(env.DOCKER_CONFIG!, { recursive: true });
    const auth = Buffer.from(`${USER.user}:${USER.pass}`).toString('base64');
    writeFileSync(join(env.DOCKER_CONFIG!, 'config.json'), JSON.stringify({ auths: { [fx.registry.host]: { auth } } }));
    return { dir, env };
  };
  const cli = (p: { dir: string; env: NodeJS.ProcessEnv }, ...args: string[]): Promise<FnRun> => runFn('', { args, cwd: p.dir, env: p.env });
  const requestsIn = (stderr: string): number => Number(/(\d+) registry requests?/.exec(stderr.split('\n').filter(Boolean).at(-1)!)?.[1]);

  it('file mode: --explain-json - gives the contract, and costs no request beyond a normal run', async () => {
    const p = project({ 'apps/web.yaml': deployment(), 'policies.yaml': policies() });
    const run = await cli(p, '--explain-json', '-', 'apps', 'policies.yaml');
    expect(run.code, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout) as { markers: Array<Record<string, unknown>>; registry: { requests: number } };
    expect(document.markers).toHaveLength(1);
    const marker = document.markers[0]!;
    expect(marker).toMatchObject({
      file: 'apps/web.yaml',
      resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
      field: 'spec.template.spec.containers[0].image',
      marker: 'flux-system:web',
      policy: 'flux-system/web',
      definedBy: 'ImagePolicy flux-system/web in policies.yaml',
      image: image(),
      outcome: 'pinned',
      before: `${image()}:1.2.0`,
      after: `${image()}:1.4.0@${digests['1.4.0']}`,
      selected: { tag: '1.4.0', digest: digests['1.4.0'] },
      funnel: FUNNEL,
    });
    expect(marker.stages).toEqual([
      { stage: 'listed', remaining: 8 },
      { stage: 'exclusionList', remaining: 7 },
      { stage: 'filterTags', remaining: 5 },
      { stage: 'policy', remaining: 3 },
    ]);
    const verdicts = Object.fromEntries((marker.candidates as Array<{ tag: string; verdict: string; reason: string }>).map((c) => [c.tag, [c.verdict, c.reason]]));
    expect(verdicts).toEqual({
      '1.4.0': ['selected', 'the best of 3 candidates: the highest version in the range'],
      '1.2.0': ['outranked', 'a lower version than 1.4.0'],
      'v1.0.0': ['outranked', 'a lower version than 1.4.0'],
      '1.5.0-rc1': ['excluded', 'matches the exclusionList'],
      main: ['filtered', "does not match filterTags.pattern '^v?\\d'"],
      latest: ['filtered', "does not match filterTags.pattern '^v?\\d'"],
      '2.0.0': ['rejected', `outside the range "${RANGE}"`],
      '1.banana': ['rejected', 'not a semantic version'],
    });
    // The registry asked for credentials, so the report says where they came from, never what they are.
    expect(marker.registry).toMatchObject({ repository: `${fx.registry.host}/team/web`, credentials: 'docker config ~/docker/config.json' });
    expect(JSON.stringify(document)).not.toContain(USER.pass);
    const usage = marker.registry as { requests: number; cache: { hits: number; misses: number } };
    expect(usage.cache).toEqual({ hits: 0, misses: 2 });
    expect(usage.requests).toBeGreaterThanOrEqual(2);
    expect(document.registry.requests).toBe(requestsIn(run.stderr));
    // The pin lines would break the JSON on stdout; the file was still written.
    expect(readFileSync(join(p.dir, 'apps/web.yaml'), 'utf8')).toContain(`${image()}:1.4.0@${digests['1.4.0']}`);

    const plain = project({ 'apps/web.yaml': deployment(), 'policies.yaml': policies() });
    const normal = await cli(plain, 'apps', 'policies.yaml');
    expect(normal.code, normal.stderr).toBe(0);
    expect(requestsIn(normal.stderr)).toBe(requestsIn(run.stderr));
  });

  it('--explain: a few readable lines per field on stderr, at most 100 columns, no colour off a TTY', async () => {
    const p = project({ 'apps/web.yaml': deployment(), 'policies.yaml': policies() });
    const run = await cli(p, '--explain', '--check', 'apps', 'policies.yaml');
    expect(run.code, run.stderr).toBe(1);
    const report = run.stderr;
    expect(report).toContain('apps/web.yaml  Deployment shop/web  spec.template.spec.containers[0].image');
    expect(report).toContain('policy    ImagePolicy flux-system/web in policies.yaml, for marker flux-system:web');
    expect(report).toContain(`funnel    8 listed → 7 after exclusionList → 5 after filterTags →\n            3 valid for semver "${RANGE}"`);
    expect(report).toContain(`selected  1.4.0 @ ${digests['1.4.0']!.slice(0, 19)}: the best of 3 candidates`);
    expect(report).toContain('outranked 1.2.0, v1.0.0: a lower version than 1.4.0');
    expect(report).toMatch(/rejected {2}2\.0\.0: outside the range ">=1\.0\.0 <2\.0\.0"; 1\.banana: not a semantic version/);
    expect(report).toContain('excluded  1.5.0-rc1: matches the exclusionList');
    expect(report).toMatch(/registry  127\.0\.0\.1:\d+\/team\/web: \d+ requests, cache 0 hits \/ 2 misses\n {2}auth {6}docker config ~\/docker\/config\.json\n/);
    expect(report).toContain(`result    pinned: :1.2.0 →\n            :1.4.0@${digests['1.4.0']}\n`);
    const reportLines = report.split('\n').filter((line) => !line.startsWith('apply-image-policies --check:'));
    for (const line of reportLines) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(report).not.toContain('\u001b[');
  });

  it('a policy that selects nothing says what each stage left and names the closest tags', async () => {
    const outOfRange = project({ 'apps/web.yaml': deployment(), 'policies.yaml': policies('>=3.0.0') });
    const run = await cli(outOfRange, 'apps', 'policies.yaml');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'ImagePolicy flux-system/web (' +
        `${image()}): unable to determine latest version from provided list: 8 listed → 7 after exclusionList → 5 after filterTags → 0 valid for semver ">=3.0.0"; highest versions outside the range: 2.0.0, 1.4.0, 1.2.0`,
    );

    const noMatch = project({ 'apps/web.yaml': deployment(), 'policies.yaml': policies(RANGE, '^release-') });
    const second = await cli(noMatch, '--explain-json', 'explain.json', 'apps', 'policies.yaml');
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(
      'version list argument cannot be empty: 8 listed → 7 after exclusionList → 0 after filterTags; tags not matching filterTags.pattern: ',
    );
    // The report of a failed run still says what happened, field by field.
    const document = JSON.parse(readFileSync(join(noMatch.dir, 'explain.json'), 'utf8')) as { markers: Array<Record<string, unknown>> };
    expect(document.markers[0]).toMatchObject({ outcome: 'error', before: `${image()}:1.2.0`, stages: [{ stage: 'listed', remaining: 8 }, { stage: 'exclusionList', remaining: 7 }, { stage: 'filterTags', remaining: 0 }, { stage: 'policy', remaining: 0 }] });
    expect(document.markers[0]!.error).toContain('version list argument cannot be empty');
    expect(readFileSync(join(noMatch.dir, 'apps/web.yaml'), 'utf8')).toBe(deployment());
  });

  describe.skipIf(!kptAvailable())('through kpt (KRM mode)', () => {
    const kptPackage = (files: Record<string, string>) => {
      const workspace = kptWorkspace('explain');
      const dir = join(workspace.dir, `pkg${++count}`);
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const home = isolatedEnv(`${dir}-home`);
      mkdirSync(home.DOCKER_CONFIG!, { recursive: true });
      const auth = Buffer.from(`${USER.user}:${USER.pass}`).toString('base64');
      writeFileSync(join(home.DOCKER_CONFIG!, 'config.json'), JSON.stringify({ auths: { [fx.registry.host]: { auth } } }));
      return { workspace: { ...workspace, env: { ...workspace.env, ...home } }, dir };
    };

    it('kpt fn eval --exec "apply-image-policies --explain --explain-json FILE": the same contract, and the report on stderr', async () => {
      const { workspace, dir } = kptPackage({ 'web.yaml': deployment(), 'policies.yaml': policies() });
      const json = join(workspace.dir, 'explain.json');
      const run = await kpt(['eval', dir, '--exec', `apply-image-policies --explain --explain-json ${json}`], workspace);
      expect(run.code, run.stderr).toBe(0);
      expect(readFileSync(join(dir, 'web.yaml'), 'utf8')).toContain(`:1.4.0@${digests['1.4.0']}`);
      const document = JSON.parse(readFileSync(json, 'utf8')) as { markers: Array<Record<string, unknown>> };
      expect(document.markers).toHaveLength(1);
      expect(document.markers[0]).toMatchObject({
        resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
        field: 'spec.template.spec.containers[0].image',
        marker: 'flux-system:web',
        outcome: 'pinned',
        selected: { tag: '1.4.0', digest: digests['1.4.0'] },
        stages: [
          { stage: 'listed', remaining: 8 },
          { stage: 'exclusionList', remaining: 7 },
          { stage: 'filterTags', remaining: 5 },
          { stage: 'policy', remaining: 3 },
        ],
      });
      // kpt's path annotation names the file, relative to the package.
      expect(document.markers[0]).toMatchObject({ file: 'web.yaml', definedBy: 'ImagePolicy flux-system/web in policies.yaml' });
      expect(run.stderr).toContain('8 listed → 7 after exclusionList → 5 after filterTags →');
    });

    it('spec.explain: true (the container path, where no flag reaches the function) puts the funnel in each result', async () => {
      const config = 'apiVersion: fn.apply-image-policies.dev/v1alpha1\nkind: ApplyImagePolicies\nmetadata:\n  name: config\nspec:\n  explain: true\n';
      const { workspace, dir } = kptPackage({ 'web.yaml': deployment(), 'policies.yaml': policies() });
      const configFile = join(workspace.dir, 'fn-config.yaml');
      writeFileSync(configFile, config.replace('fn.apply-image-policies.dev/v1alpha1', functionConfigApiVersion()));
      const results = join(workspace.dir, 'results');
      const run = await kpt(['eval', dir, '--exec', 'apply-image-policies', '--fn-config', configFile, '--results-dir', results], workspace);
      expect(run.code, run.stderr).toBe(0);
      const list = parse(readFileSync(join(results, 'results.yaml'), 'utf8')) as { items: Array<{ results?: Array<{ message: string; severity: string }> }> };
      const messages = list.items.flatMap((item) => item.results ?? []).map((r) => r.message);
      expect(messages).toContain(`${image()}:1.2.0 → ${image()}:1.4.0@${digests['1.4.0']} (ImagePolicy flux-system/web): ${FUNNEL}`);
    });

    it('aliasOf: the search is shown, and a warm cache answers it from the earlier search (method remembered)', async () => {
      const alias = `${fx.registry.host}/team/build`;
      const config = `apiVersion: ${functionConfigApiVersion()}\nkind: ApplyImagePolicies\nmetadata:\n  name: config\nspec:\n  policies:\n  - name: build\n    image: ${alias}\n    filterTags: {pattern: '^[0-9a-f]{7}$'}\n    aliasOf: {tag: latest}\n`;
      const web = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: build\nspec:\n  containers:\n  - name: app\n    image: ${alias}:3f2a9c1 # {"$imagepolicy": "flux-system:build"}\n`;
      const { workspace, dir } = kptPackage({ 'pod.yaml': web });
      const configFile = join(workspace.dir, 'fn-config.yaml');
      writeFileSync(configFile, config);
      const cacheDir = join(workspace.dir, 'cache');
      const explainOnce = async (name: string) => {
        const json = join(workspace.dir, name);
        const run = await kpt(['eval', dir, '--exec', `apply-image-policies --cache-dir ${cacheDir} --explain-json ${json}`, '--fn-config', configFile], workspace);
        expect(run.code, run.stderr).toBe(0);
        return JSON.parse(readFileSync(json, 'utf8')) as { markers: Array<Record<string, any>> };
      };
      const cold = await explainOnce('cold.json');
      expect(cold.markers[0]).toMatchObject({
        outcome: 'pinned',
        after: `${alias}:a81d0e4@${digests.sha2}`,
        alias: { rolling: 'latest', tag: 'a81d0e4', digest: digests.sha2, method: 'head-search', asked: 3 },
        stages: [
          { stage: 'listed', remaining: 4 },
          { stage: 'exclusionList', remaining: 3 },
          { stage: 'filterTags', remaining: 3 },
          { stage: 'policy', remaining: 3 },
          { stage: 'aliasOf', remaining: 1 },
        ],
      });
      const verdicts = Object.fromEntries((cold.markers[0]!.candidates as Array<{ tag: string; verdict: string; gate?: string }>).map((c) => [c.tag, [c.verdict, c.gate]]));
      expect(verdicts).toEqual({
        e5b7f03: ['gated', 'aliasOf'],
        a81d0e4: ['selected', undefined],
        '3f2a9c1': ['outranked', undefined],
        latest: ['excluded', undefined],
      });
      writeFileSync(join(dir, 'pod.yaml'), web);
      const warm = await explainOnce('warm.json');
      // The earlier search is remembered: one cached lookup confirms its answer.
      expect(warm.markers[0]).toMatchObject({ alias: { tag: 'a81d0e4', method: 'remembered', asked: 1 }, registry: { cache: { misses: 0 } } });
      expect(warm.markers[0]!.registry.cache.hits).toBeGreaterThanOrEqual(1);
      expect(warm.markers[0]!.candidates).toContainEqual({ tag: 'e5b7f03', verdict: 'gated', gate: 'aliasOf', reason: "not at latest's digest when an earlier run searched" });
    });
  });
});

/** The functionConfig's apiVersion, as the committed examples write it. */
function functionConfigApiVersion(): string {
  const text = readFileSync(new URL('../../examples/inline-policies/apply-image-policies.yaml', import.meta.url), 'utf8');
  return /apiVersion: (\S+)/.exec(text)![1]!;
}
