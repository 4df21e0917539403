// The run validates with ajv standalone code `npm run build` generates from the schemas
// (scripts/gen-validators.mjs, beside tsc's output under node_modules/.cache). These tests hold it to ajv
// itself: for a table of invalid functionConfigs and policy selections, the generated validators
// and ones ajv compiles here from the same schema objects must report the same errors and so the
// same messages. They also check that the shipped bundle holds nothing of ajv, and that a
// schema with no generated validator fails loudly instead of being compiled.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { inlinePolicyLabel } from '../../src/config/function-config.js';
import { functionConfigSchema } from '../../src/config/schema.js';
import { policySelectionSchema } from '../../src/policy/selection-schema.js';
import { AJV_OPTIONS } from '../../src/validation/ajv-options.js';
import { precompiledValidator, validateAgainst, validateWith, type EntryNamer } from '../../src/validation/schema-messages.js';
import { REPO_ROOT } from '../container/podman.js';
import { CLI, requireBuiltCli } from '../e2e/run-fn.js';

const ajv = new Ajv({ ...AJV_OPTIONS });
const namePolicies: EntryNamer = (list, entry) => (list === '/spec/policies' ? inlinePolicyLabel(entry) : undefined);

const config = (spec: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'fn.apply-image-policies.dev/v1alpha1',
  kind: 'ApplyImagePolicies',
  ...extra,
  spec,
});
const inline = (fields: Record<string, unknown>): Record<string, unknown> => ({ name: 'web', image: 'ghcr.io/org/web', policy: { semver: { range: '^1' } }, ...fields });

/** Each entry should break at least one keyword the schemas use; messages are not asserted here, only agreement. */
const invalidConfigs: [string, unknown][] = [
  ['not an object', 'ApplyImagePolicies'],
  ['a list', []],
  ['no apiVersion or kind', { spec: {} }],
  ['wrong apiVersion and kind (const)', { apiVersion: 'v1', kind: 'ConfigMap', spec: {} }],
  ['unknown top-level and spec fields', config({ policy: {} }, { status: {} })],
  ['metadata not an object', config({}, { metadata: 'x' })],
  ['digestReflectionPolicy not in the enum', config({ digestReflectionPolicy: 'Sometimes' })],
  ['spec a list', config([])],
  ['policies not a list', config({ policies: {} })],
  ['policy entry not an object', config({ policies: ['web'] })],
  ['policy without name, image or ref (oneOf of required)', config({ policies: [{ policy: { semver: { range: '^1' } } }] })],
  ['policy with both image and ref', config({ policies: [inline({ imageRepositoryRef: { name: 'web' } })] })],
  ['empty name, namespace and image (minLength)', config({ policies: [{ name: '', namespace: '', image: '' }] })],
  ['two policy choices (maxProperties)', config({ policies: [inline({ policy: { semver: { range: '^1' }, numerical: {} } })] })],
  ['no policy choice (minProperties)', config({ policies: [inline({ policy: {} })] })],
  ['semver without range, alphabetical order off the enum', config({ policies: [inline({ policy: { semver: {} } }), inline({ name: 'b', policy: { alphabetical: { order: 'up' } } })] })],
  ['filterTags with an unknown field and a number', config({ policies: [inline({ filterTags: { pattern: 1, regex: '.*' } })] })],
  ['exclusionList too long (maxItems) with a non-string', config({ policies: [inline({ exclusionList: [...Array.from({ length: 26 }, (_, i) => `p${i}`), 7] })] })],
  ['interval not a Go duration (pattern)', config({ policies: [inline({ interval: 'five minutes' })] })],
  ['aliasOf without tag', config({ policies: [inline({ aliasOf: {} })] })],
  ['named in namespace, bad imageRepositoryRef', config({ policies: [{ name: 'web', namespace: 'apps', imageRepositoryRef: { namespace: 1, extra: true } }] })],
  ['gates: empty platforms, bad platform, bad age, unknownReleaseAge off the enum', config({ platforms: [], minReleaseAge: '3 days', unknownReleaseAge: 'maybe', policies: [inline({ platforms: ['linux'] })] })],
  [
    'verify: every field wrong',
    config({
      verify: { provider: 'notation', publicKeys: [], secretRef: {}, matchOIDCIdentity: [{ issuer: '' }, 'x'], trustedRoot: '', extra: 1 },
    }),
  ],
  ['images: missing policy, policy without a colon', config({ images: [{ name: 'ghcr.io/org/web' }, { name: '', policy: 'web' }, 'x'] })],
  ['fieldSpecs: missing path, wrong types', config({ fieldSpecs: [{}, { path: '', kind: 1, apiVersion: [] }] })],
  [
    'registries: missing host, integers out of range, bad mirror',
    config({ registries: [{}, { host: 'r.example', insecure: 'yes', concurrency: 0, mirrors: ['has space', ''], timeout: '1 minute', caFile: 1 }, { host: 'q', concurrency: 1.5 }, { host: 'p', concurrency: 257 }] }),
  ],
  ['requestBudget below its minimum, not an integer', config({ requestBudget: 0, timeout: 'soon', explain: 'yes' })],
  ['requestBudget a float', config({ requestBudget: 2.5 })],
  ['cache with an unknown field and wrong types', config({ cache: { dir: 1, offline: 'no', disabled: 0, ttl: '1h' } })],
  ['keys needing JSON pointer escapes', config({ 'a/b': 1, '~x': 2 })],
];

const invalidSelections: [string, unknown][] = [
  ['not an object', 'semver'],
  ['no policy', {}],
  ['unknown field', { policy: { semver: { range: '^1' } }, interval: '5m' }],
  ['policy not an object', { policy: 'semver' }],
  ['no choice', { policy: {} }],
  ['three choices', { policy: { semver: { range: '^1' }, alphabetical: {}, numerical: {} } }],
  ['unknown choice', { policy: { calver: {} } }],
  ['range missing, empty or not a string', { policy: { semver: { range: '' } } }],
  ['range a number', { policy: { semver: { range: 1 } } }],
  ['order off the enum and extra fields', { policy: { numerical: { order: 'DESC', by: 'x' } } }],
  ['filterTags wrong', { policy: { alphabetical: {} }, filterTags: { pattern: [], extract: 2, other: '' } }],
  ['exclusionList not a list', { policy: { alphabetical: {} }, exclusionList: '^.*$' }],
  ['exclusionList of 26', { policy: { alphabetical: {} }, exclusionList: Array.from({ length: 26 }, (_, i) => `^${i}$`) }],
];

const cases: { schema: object; title: string; table: [string, unknown][]; root: string; nameEntry?: EntryNamer }[] = [
  { schema: functionConfigSchema, title: 'functionConfig', table: invalidConfigs, root: '', nameEntry: namePolicies },
  { schema: policySelectionSchema, title: 'policy selection', table: invalidSelections, root: 'spec' },
];

describe('the precompiled validators', () => {
  for (const { schema, title, table, root, nameEntry } of cases) {
    describe(`match ajv compiling the ${title} schema at run time`, () => {
      const runtime = ajv.compile(schema);
      const generated = precompiledValidator(schema);

      it.each(table)('%s', (_, value) => {
        expect(generated(value)).toBe(false);
        expect(runtime(value)).toBe(false);
        // The whole error objects (verbose: schema, parentSchema and data included), not only
        // what today's messages read, so a message written tomorrow cannot tell them apart.
        expect(generated.errors).toEqual(runtime.errors);
        const messages = validateAgainst(schema, value, root, nameEntry);
        expect(messages.length).toBeGreaterThan(0);
        expect(messages).toEqual(validateWith(runtime, value, root, nameEntry));
      });

      it('accept what ajv accepts', () => {
        const valid = title === 'functionConfig' ? config({ policies: [inline({})], registries: [{ host: 'r.example', concurrency: 4 }] }) : { policy: { semver: { range: '^1' } } };
        expect(runtime(valid)).toBe(true);
        expect(generated(valid)).toBe(true);
        expect(validateAgainst(schema, valid, root, nameEntry)).toEqual([]);
      });
    });
  }

  it('are not compiled for a schema the build did not generate one for, nor for an edited copy', () => {
    expect(() => validateAgainst({ type: 'string' }, 1)).toThrow(/no precompiled validator for the schema: run `npm run build`/);
    const edited = structuredClone(functionConfigSchema) as { properties: { spec: { properties: Record<string, unknown> } } };
    edited.properties.spec.properties.newField = { type: 'string' };
    expect(() => validateAgainst(edited, config({}))).toThrow(/no precompiled validator for the schema ApplyImagePolicies/);
  });

  it('are what the build generates from the schemas now (gen-validators --check)', () => {
    requireBuiltCli();
    const check = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/gen-validators.mjs'), '--check'], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });
});

describe('a run validating a functionConfig and an ImagePolicy', () => {
  it('validates with the generated code: the bundle the CLI runs holds no file of ajv', () => {
    requireBuiltCli();
    // The bundle's source map lists every file esbuild took in.
    const map = JSON.parse(readFileSync(join(REPO_ROOT, 'dist', 'cli.cjs.map'), 'utf8')) as { sources: string[] };
    const bundled = map.sources.map((file) => file.replaceAll('\\', '/'));
    expect(bundled.some((file) => file.endsWith('validation/precompiled.js'))).toBe(true);
    const ajvFiles = bundled.filter((file) => /\/node_modules\/(ajv|fast-uri|fast-deep-equal|json-schema-traverse|require-from-string)\//.test(file));
    expect(ajvFiles).toEqual([]);
    const input = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
functionConfig:
  apiVersion: fn.apply-image-policies.dev/v1alpha1
  kind: ApplyImagePolicies
  spec:
    policies:
      - name: web
        image: 127.0.0.1:1/org/web
        policy: {semver: {range: "^1"}}
        platforms: [linux/amd64]
items:
  - apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImageRepository
    metadata: {name: api, namespace: flux-system}
    spec: {image: 127.0.0.1:1/org/api}
  - apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImagePolicy
    metadata: {name: api, namespace: flux-system}
    spec:
      imageRepositoryRef: {name: api}
      policy: {semver: {range: "^1"}, numerical: {}}
`;
    const run = spawnSync(process.execPath, [CLI], { input, encoding: 'utf8' });
    // The ImagePolicy's two choices are reported: the policy selection validator ran.
    expect(run.stdout).toContain('spec.policy: must set exactly one of semver, alphabetical, numerical');
  });
});
