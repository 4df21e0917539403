import { describe, expect, it } from 'vitest';
import { policySelectionSchema, validatePolicySelection } from '../../src/policy/schema.js';

describe('policy selection schema', () => {
  it.each([
    { policy: { semver: { range: '>=1.0.0' } } },
    { policy: { alphabetical: {} } },
    { policy: { alphabetical: { order: 'desc' } } },
    { policy: { numerical: { order: 'asc' } }, filterTags: { pattern: '^main-(?P<ts>\\d+)$', extract: '$ts' } },
    { policy: { semver: { range: '1.x' } }, exclusionList: ['^.*\\.sig$', '^sha256-'] },
  ])('accepts %j', (value) => {
    expect(validatePolicySelection(value)).toEqual([]);
  });

  const invalid: [value: unknown, messages: string[]][] = [
    [{ policy: { semver: { range: 1 } } }, ['spec.policy.semver.range: must be string']],
    [{ policy: { semver: {} } }, ['spec.policy.semver.range: is required']],
    [{}, ['spec.policy: is required']],
    [{ policy: {} }, ['spec.policy: must set exactly one of semver, alphabetical, numerical']],
    [
      { policy: { semver: { range: '*' }, numerical: {} } },
      ['spec.policy: must set exactly one of semver, alphabetical, numerical'],
    ],
    [{ policy: { alphabetical: { order: 'up' } } }, ['spec.policy.alphabetical.order: must be one of "asc", "desc"']],
    [{ policy: { calver: {} } }, ['spec.policy.calver: unknown field']],
    [{ policy: { alphabetical: {} }, filterTags: { pattern: 5 } }, ['spec.filterTags.pattern: must be string']],
    [{ policy: { alphabetical: {} }, exclusionList: ['a', 3] }, ['spec.exclusionList[1]: must be string']],
    [
      { policy: { alphabetical: {} }, exclusionList: Array.from({ length: 26 }, () => 'a') },
      ['spec.exclusionList: must NOT have more than 25 items'],
    ],
    [{ policy: { alphabetical: {} }, extra: true }, ['spec.extra: unknown field']],
  ];

  it.each(invalid)('rejects %j', (value, messages) => {
    expect(validatePolicySelection(value)).toEqual(messages);
  });

  it('names fields under the root the caller gives', () => {
    expect(validatePolicySelection({ policy: { semver: { range: 1 } } }, 'functionConfig.spec.policies[0]')).toEqual([
      'functionConfig.spec.policies[0].policy.semver.range: must be string',
    ]);
  });

  it('is plain JSON so other schemas can embed it', () => {
    expect(JSON.parse(JSON.stringify(policySelectionSchema))).toEqual(policySelectionSchema);
  });
});
