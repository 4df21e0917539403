import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/policy/policer.js';
import { preparePolicy, type SelectionSpec } from '../../src/policy/select.js';

/** The funnel as a table row: what each stage dropped (tag: reason), then the survivors. */
function summarize(spec: SelectionSpec, tags: string[]) {
  const { tag, funnel } = preparePolicy(spec).choose(tags);
  return {
    tag,
    stages: funnel.stages.map((s) => [s.stage, s.remaining, s.dropped.map((d) => `${d.tag}: ${d.reason}`)]),
    ranked: funnel.ranked,
  };
}

describe('choose keeps the reasons: what each stage dropped, and why', () => {
  it('semver: the exclusion list, a filter miss, a non-version and an out-of-range tag each have their own reason', () => {
    const spec: SelectionSpec = {
      policy: { semver: { range: '>=1.0.0 <2.0.0' } },
      filterTags: { pattern: '^v?\\d' },
      exclusionList: ['-rc'],
    };
    expect(summarize(spec, ['1.2.0', 'latest', '1.3.0-rc1', '2.0.0', '1.10.0', '1x'])).toEqual({
      tag: '1.10.0',
      stages: [
        ['exclusionList', 5, ['1.3.0-rc1: exclusion-list']],
        ['filterTags', 4, ['latest: filter-no-match']],
        ['policy', 2, ['2.0.0: outside-range', '1x: not-a-version']],
      ],
      ranked: ['1.10.0', '1.2.0'],
    });
  });

  it('the default exclusion list drops cosign signature tags', () => {
    expect(summarize({ policy: { alphabetical: {} } }, ['sha256-abc.sig', 'a', 'b']).stages[0]).toEqual([
      'exclusionList',
      2,
      ['sha256-abc.sig: exclusion-list'],
    ]);
  });

  it('filterTags.extract: of two tags with one key, the one Flux keeps survives and the other is named', () => {
    const spec: SelectionSpec = { policy: { numerical: { order: 'asc' } }, filterTags: { pattern: '^main-(?P<ts>\\d+)', extract: '$ts' } };
    const row = summarize(spec, ['main-5-a', 'main-5-b', 'main-7', 'dev-9']);
    // Tags reach the filter in descending byte order; the later of main-5-b, main-5-a keeps key 5.
    expect(row.stages[1]).toEqual(['filterTags', 2, ['main-5-b: filter-same-key', 'dev-9: filter-no-match']]);
    expect(row).toMatchObject({ tag: 'main-7', ranked: ['main-7', 'main-5-a'] });
  });

  it('fails exactly as select does: an empty list, nothing in range, a non-number for numerical', () => {
    const failure = (spec: SelectionSpec, tags: string[]) => {
      const policy = preparePolicy(spec);
      const chosen = (() => { try { policy.choose(tags); return 'no error'; } catch (e) { return e; } })();
      const selected = (() => { try { policy.select(tags); return 'no error'; } catch (e) { return e; } })();
      return [chosen, selected];
    };
    for (const [spec, tags] of [
      [{ policy: { alphabetical: {} } }, []],
      [{ policy: { semver: { range: '>=3' } } }, ['1.0.0', 'x']],
      [{ policy: { numerical: {} } }, ['1', 'two', '3']],
    ] as [SelectionSpec, string[]][]) {
      const [chosen, selected] = failure(spec, tags);
      expect(chosen).toBeInstanceOf(PolicyError);
      expect((chosen as Error).message).toBe((selected as Error).message);
    }
  });

  it('for any list: the stages account for every tag, the selection is select\'s and ranked is rank\'s', () => {
    const spec: SelectionSpec = { policy: { semver: { range: '>=1.0.0' } }, filterTags: { pattern: '^[0-9v]' }, exclusionList: ['9'] };
    const policy = preparePolicy(spec);
    const tag = fc.oneof(fc.constantFrom('1.0.0', 'v1.2.3', '0.9.0', 'latest', '2.0.0-rc.1', '9.9.9', 'x1'), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.uniqueArray(tag, { maxLength: 30 }), (tags) => {
        const ranked = policy.rank(tags);
        if (ranked.length === 0 && policy.filter(tags).length === 0) return;
        let chosen;
        try {
          chosen = policy.choose(tags);
        } catch (error) {
          expect(() => policy.select(tags)).toThrow((error as Error).message);
          return;
        }
        expect(chosen.tag).toBe(policy.select(tags));
        expect(chosen.funnel.ranked).toEqual(ranked);
        const dropped = chosen.funnel.stages.flatMap((s) => s.dropped.map((d) => d.tag));
        expect([...dropped, ...ranked].sort()).toEqual([...tags].sort());
        expect(chosen.funnel.stages.at(-1)!.remaining).toBe(ranked.length);
      }),
    );
  });
});
