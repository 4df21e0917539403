import { describe, expect, it } from 'vitest';
import { ConfigError, inlinePolicyLabel, loadFunctionConfig, runTimeLimitMs } from '../../src/config/function-config.js';
import { collectPolicies, type SourceObject } from '../../src/config/policy-definitions.js';

const withPolicy = (policy: Record<string, unknown>): unknown => ({
  apiVersion: 'fn.apply-image-policies.dev/v1alpha1',
  kind: 'ApplyImagePolicies',
  spec: { policies: [{ name: 'app', policy: { semver: { range: '1.x' } }, ...policy }] },
});

const withPolicies = (...policies: Array<Record<string, unknown>>): unknown => ({
  apiVersion: 'fn.apply-image-policies.dev/v1alpha1',
  kind: 'ApplyImagePolicies',
  spec: { policies },
});

const problemsOf = (raw: unknown): readonly string[] => {
  try {
    loadFunctionConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('inline policy repository', () => {
  it('rejects both image and imageRepositoryRef: the repository would be ambiguous', () => {
    expect(problemsOf(withPolicy({ image: 'ghcr.io/org/app', imageRepositoryRef: { name: 'app' } }))).toEqual([
      'spec.policies[0] (app): must set exactly one of image, imageRepositoryRef',
    ]);
  });

  it('names the choice once when neither is set', () => {
    expect(problemsOf(withPolicy({}))).toEqual(['spec.policies[0] (app): must set exactly one of image, imageRepositoryRef']);
  });

  it('accepts either one', () => {
    expect(problemsOf(withPolicy({ image: 'ghcr.io/org/app' }))).toEqual([]);
    expect(problemsOf(withPolicy({ imageRepositoryRef: { name: 'app' } }))).toEqual([]);
  });
});

// The index says where the entry is, the name which policy the user means: a long
// spec.policies list is read by name, and markers name policies, not positions.
describe('errors in a spec.policies entry name the policy', () => {
  const image = 'ghcr.io/org/app';
  it.each<[string, unknown, string[]]>([
    [
      'a semver policy without a range',
      withPolicies({ name: 'faulty-policy', image, policy: { semver: {} } }),
      ['spec.policies[0] (faulty-policy): policy.semver.range: is required'],
    ],
    [
      'an entry with its own namespace, as namespace/name',
      withPolicies({ name: 'web', image, policy: { alphabetical: {} } }, { name: 'faulty-policy', namespace: 'team', image, policy: { semver: {} } }),
      ['spec.policies[1] (team/faulty-policy): policy.semver.range: is required'],
    ],
    [
      'an unknown field of the entry',
      withPolicies({ name: 'web', image, policy: { alphabetical: {} }, colour: 'blue' }),
      ['spec.policies[0] (web): colour: unknown field'],
    ],
    [
      'a filterTags pattern that is not a string',
      withPolicies({ name: 'web', image, policy: { alphabetical: {} }, filterTags: { pattern: 7 } }),
      ['spec.policies[0] (web): filterTags.pattern: must be string'],
    ],
    [
      'a field deep in the entry, through a list',
      withPolicies({ name: 'web', image, policy: { alphabetical: {} }, exclusionList: ['^x$', 3] }),
      ['spec.policies[0] (web): exclusionList[1]: must be string'],
    ],
    [
      'two kinds of policy',
      withPolicies({ name: 'web', image, policy: { alphabetical: {}, numerical: {} } }),
      ['spec.policies[0] (web): policy: must set exactly one of semver, alphabetical, numerical'],
    ],
    [
      'an entry without a name: the index alone',
      withPolicies({ image, policy: { semver: {} } }),
      ['spec.policies[0].name: is required', 'spec.policies[0].policy.semver.range: is required'],
    ],
    [
      'a name that is not a string: the index alone',
      withPolicies({ name: 7, image, policy: { semver: {} } }),
      ['spec.policies[0].name: must be string', 'spec.policies[0].policy.semver.range: is required'],
    ],
    [
      'an empty name: the index alone',
      withPolicies({ name: '', image, policy: { semver: {} } }),
      ['spec.policies[0].name: must NOT have fewer than 1 characters', 'spec.policies[0].policy.semver.range: is required'],
    ],
    [
      'each entry by its own name',
      withPolicies({ name: 'a', image, policy: { semver: {} } }, { image, policy: { semver: {} } }, { name: 'c', image, bogus: 1 }),
      [
        'spec.policies[0] (a): policy.semver.range: is required',
        'spec.policies[1].name: is required',
        'spec.policies[1].policy.semver.range: is required',
        'spec.policies[2] (c): bogus: unknown field',
      ],
    ],
  ])('%s', (_, raw, expected) => {
    expect([...problemsOf(raw)].sort()).toEqual([...expected].sort());
  });

  it('leaves errors outside the entries as they were', () => {
    const raw = { apiVersion: 'fn.apply-image-policies.dev/v1alpha1', kind: 'ApplyImagePolicies', spec: { policies: {}, cache: { dri: '/tmp' } } };
    expect([...problemsOf(raw)].sort()).toEqual(['spec.cache.dri: unknown field', 'spec.policies: must be array']);
  });

  // The semantic checks of a range or a pattern run when the policy is built (its errors
  // carry origin.description, `functionConfig spec.policies[0] (flux-system/web)`), not here.
  it('does not check range or pattern syntax when the config is read', () => {
    expect(problemsOf(withPolicies({ name: 'web', image, policy: { semver: { range: 'not a range' } }, filterTags: { pattern: '(?=x)' } }))).toEqual([]);
  });

  it.each<[unknown, string | undefined]>([
    [{ name: 'web' }, 'web'],
    [{ name: 'web', namespace: 'team' }, 'team/web'],
    [{ name: 'web', namespace: '' }, 'web'],
    [{ namespace: 'team' }, undefined],
    [{ name: '  ' }, undefined],
    [{ name: 'a\nb' }, undefined],
    [{ name: ['web'] }, undefined],
    ['web', undefined],
    [null, undefined],
  ])('labels %j as %j', (entry, label) => {
    expect(inlinePolicyLabel(entry)).toBe(label);
  });
});

describe("the run's time limit (spec.timeout, --timeout)", () => {
  const spec = (body: Record<string, unknown>) => ({ apiVersion: 'fn.apply-image-policies.dev/v1alpha1', kind: 'ApplyImagePolicies', spec: body });

  it("defaults to 60s, Flux's timeout for a scan; spec.timeout sets it, and --timeout wins over both", () => {
    expect(runTimeLimitMs(loadFunctionConfig(undefined))).toBe(60_000);
    expect(runTimeLimitMs(loadFunctionConfig(spec({ timeout: '1m30s' })))).toBe(90_000);
    expect(runTimeLimitMs(loadFunctionConfig(spec({ timeout: '1m30s' })), '5s')).toBe(5_000);
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { timeout: '20s' } };
    expect(runTimeLimitMs(loadFunctionConfig(configMap))).toBe(20_000);
  });

  it('refuses a limit that is not a Go duration or is zero, naming where it was set', () => {
    expect(() => loadFunctionConfig(spec({ timeout: 'soon' }))).toThrow(/spec\.timeout/);
    expect(() => loadFunctionConfig(spec({ timeout: '0' }))).toThrow("spec.timeout: '0' is shorter than 1ms");
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { timeout: '0s' } };
    expect(() => loadFunctionConfig(configMap)).toThrow('data.timeout: must be a Go duration of at least 1ms');
    expect(() => runTimeLimitMs(loadFunctionConfig(undefined), '0s')).toThrow(ConfigError);
  });
});

describe('ImageRepository spec.timeout', () => {
  const repository = (spec: Record<string, unknown>): SourceObject => ({
    object: { apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImageRepository', metadata: { name: 'app', namespace: 'flux-system' }, spec: { image: 'ghcr.io/acme/app', ...spec } },
    origin: { file: { path: 'flux/app.yaml', index: 0 } },
  });
  const policy: SourceObject = {
    object: { apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImagePolicy', metadata: { name: 'app', namespace: 'flux-system' }, spec: { imageRepositoryRef: { name: 'app' }, policy: { semver: { range: '>=1' } } } },
    origin: { file: { path: 'flux/app.yaml', index: 1 } },
  };
  const config = loadFunctionConfig(undefined);

  it('is read as the bound of that repository’s requests, naming where it was set', () => {
    const { policies } = collectPolicies([repository({ timeout: '90s' }), policy], config);
    expect(policies.get('flux-system/app')?.access.timeout).toEqual({ ms: 90_000, setting: 'ImageRepository flux-system/app spec.timeout' });
  });

  it.each([['5 minutes'], [30], ['0s']])('%j is an error naming spec.timeout', (timeout) => {
    const { problems } = collectPolicies([repository({ timeout }), policy], config);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/spec\.timeout: /);
  });
});
