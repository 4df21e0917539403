import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, sortDescendingBytes } from '../../src/policy/bytes.js';
import { PolicyError } from '../../src/policy/policer.js';
import { preparePolicy, rankTags, selectTag, type SelectionSpec } from '../../src/policy/select.js';

describe('selectTag: exclusion → descending order → filter/extract → policy', () => {
  const cases: [label: string, spec: SelectionSpec, tags: string[], expected: string][] = [
    [
      'semver over plain tags',
      { policy: { semver: { range: '>=1.0.0' } } },
      ['1.0.0', '1.2.0', 'latest', '1.10.0'],
      '1.10.0',
    ],
    [
      'default exclusion drops cosign signatures',
      { policy: { alphabetical: {} } },
      ['sha256-abc.sig', 'a', 'b'],
      'b',
    ],
    [
      'an explicit exclusion list replaces the default',
      { policy: { alphabetical: {} }, exclusionList: ['^b'] },
      ['zz.sig', 'a', 'b'],
      'zz.sig',
    ],
    [
      'an empty exclusion list means the default',
      { policy: { alphabetical: {} }, exclusionList: [] },
      ['zz.sig', 'a'],
      'a',
    ],
    [
      'extract a timestamp and return the original tag',
      { policy: { numerical: { order: 'asc' } }, filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>\\d+)$', extract: '$ts' } },
      ['main-abc123-1700000000', 'main-def456-1700000100', 'feature-1-1800000000', 'main-0a0a0a-1600000000'],
      'main-def456-1700000100',
    ],
    [
      'semver on an extracted version',
      { policy: { semver: { range: '^1.0' } }, filterTags: { pattern: '^app-(?P<v>.*)$', extract: '$v' } },
      ['app-1.2.3', 'app-1.10.0', 'app-2.0.0', 'other-1.99.0'],
      'app-1.10.0',
    ],
    [
      'equal extracted keys: the later tag in descending byte order wins',
      { policy: { alphabetical: {} }, filterTags: { pattern: '^(\\w+)-', extract: '$1' } },
      ['x-2', 'x-1', 'y-9', 'y-3'],
      'y-3',
    ],
    [
      'semver ties break as in the reflector order: v1.0.0 before 1.0.0',
      { policy: { semver: { range: '1.0.0' } } },
      ['1.0.0', 'v1.0.0'],
      'v1.0.0',
    ],
    [
      'numerical ties: last in descending byte order wins',
      { policy: { numerical: {} } },
      ['1', '01', '1.0'],
      '01',
    ],
    [
      'filter without extract keeps the tags themselves',
      { policy: { semver: { range: '*' } }, filterTags: { pattern: '^v' } },
      ['v1.0.0', '2.0.0'],
      'v1.0.0',
    ],
  ];

  it.each(cases)('%s', (_label, spec, tags, expected) => {
    expect(selectTag(spec, tags)).toBe(expected);
    expect(rankTags(spec, tags)[0]).toBe(expected);
  });

  it('reports an empty candidate list with Flux’s message', () => {
    const prepared = preparePolicy({ policy: { semver: { range: '*' } }, filterTags: { pattern: '^none$' } });
    expect(() => prepared.select(['1.0.0'])).toThrow('version list argument cannot be empty');
    expect(prepared.rank(['1.0.0'])).toEqual([]);
  });

  it('validates everything when prepared, before any tag list exists', () => {
    expect(() => preparePolicy({ policy: { semver: { range: 'a' } } })).toThrow(PolicyError);
    expect(() => preparePolicy({ policy: { alphabetical: {} }, filterTags: { pattern: '(' } })).toThrow(
      "invalid regular expression pattern '('",
    );
    expect(() => preparePolicy({ policy: { alphabetical: {} }, exclusionList: ['['] })).toThrow(
      'failed to compile regex [: error parsing regexp: missing closing ]: `[`',
    );
  });

  it('filter() lists candidate tags in the order policies see them', () => {
    const prepared = preparePolicy({ policy: { alphabetical: {} }, filterTags: { pattern: '^(\\d+)-', extract: '$1' } });
    expect(prepared.filter(['9-a', '10-b', 'x', '1-c.sig'])).toEqual(['9-a', '10-b']);
  });

  it('rank() lists every semver candidate best first', () => {
    expect(rankTags({ policy: { semver: { range: '<2' } } }, ['0.1.0', '1.5.0', '3.0.0', '1.0.0', 'v1.5.0'])).toEqual([
      'v1.5.0',
      '1.5.0',
      '1.0.0',
      '0.1.0',
    ]);
  });
});

describe('the reflector order', () => {
  it('sorts descending by bytes and drops duplicates', () => {
    expect(sortDescendingBytes(['b', 'B', 'a', 'b', '10', '9'])).toEqual(['b', 'a', 'B', '9', '10']);
  });

  it('compares like Go over UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const expected = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
        expect(Math.sign(compareBytes(a, b))).toBe(expected);
      }),
    );
  });
});

// Tags built from a small alphabet so that ties, prefixes and extract
// collisions are common.
const versionTag = fc
  .tuple(
    fc.constantFrom('', 'v'),
    fc.constantFrom('0', '1', '01', '2', '10'),
    fc.constantFrom('0', '1', '2', '00'),
    fc.constantFrom('0', '1', '3'),
    fc.constantFrom('', '-rc.1', '-rc.2', '-rc9', '-rc10', '-0'),
    fc.constantFrom('', '+b1', '+b2'),
  )
  .map(([v, a, b, c, pre, meta]) => `${v}${a}.${b}.${c}${pre}${meta}`);
const numberTag = fc.constantFrom('1', '01', '1.0', '2', '-3', '1e1', '10', '0x1p3', '8', '+8', '-0', '0', 'inf');
const anyTag = fc.oneof(versionTag, numberTag, fc.constantFrom('latest', 'main', 'x.sig', 'app-1.0.0', 'app-01.0.0'));

const specs: SelectionSpec[] = [
  { policy: { semver: { range: '*' } } },
  { policy: { semver: { range: '>=0.0.0-0' } } },
  { policy: { semver: { range: '^1.0 || ~2.0.x' } } },
  { policy: { semver: { range: '*' } }, filterTags: { pattern: '^v?(?P<core>\\d+\\.\\d+\\.\\d+)', extract: '$core' } },
  { policy: { alphabetical: { order: 'asc' } } },
  { policy: { alphabetical: { order: 'desc' } } },
  { policy: { alphabetical: {} }, filterTags: { pattern: '^(.)', extract: '$1' } },
  { policy: { numerical: { order: 'asc' } }, filterTags: { pattern: '^[-+0-9.ex]+$|^inf$' } },
  { policy: { numerical: { order: 'desc' } }, filterTags: { pattern: '^[-+0-9.ex]+$|^inf$' } },
];

function outcome(run: () => string): string {
  try {
    return `ok:${run()}`;
  } catch (error) {
    return `error:${(error as Error).message}`;
  }
}

describe('properties', () => {
  it.each(specs.map((spec) => [JSON.stringify(spec), spec] as const))(
    'select and rank ignore input order: %s',
    (_name, spec) => {
      const prepared = preparePolicy(spec);
      fc.assert(
        fc.property(
          fc.array(anyTag, { maxLength: 12 }).chain((tags) => fc.tuple(fc.constant(tags), fc.shuffledSubarray(tags, { minLength: tags.length }))),
          ([tags, reordered]) => {
            expect(outcome(() => prepared.select(reordered))).toBe(outcome(() => prepared.select(tags)));
            expect(outcome(() => prepared.rank(reordered).join(' '))).toBe(outcome(() => prepared.rank(tags).join(' ')));
          },
        ),
      );
    },
  );

  it.each(specs.map((spec) => [JSON.stringify(spec), spec] as const))(
    'rank()[0] is select(), and rank() holds only filtered candidates: %s',
    (_name, spec) => {
      const prepared = preparePolicy(spec);
      fc.assert(
        fc.property(fc.array(anyTag, { maxLength: 12 }), (tags) => {
          let selected: string;
          try {
            selected = prepared.select(tags);
          } catch (error) {
            expect(error).toBeInstanceOf(PolicyError);
            return;
          }
          const ranked = prepared.rank(tags);
          expect(ranked[0]).toBe(selected);
          const candidates = new Set(prepared.filter(tags));
          for (const tag of ranked) expect(candidates.has(tag)).toBe(true);
          expect(new Set(ranked).size).toBe(ranked.length);
        }),
      );
    },
  );

  it('rank is select applied again to what remains (semver and alphabetical)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...specs.slice(0, 7)), fc.array(anyTag, { maxLength: 10 }), (spec, tags) => {
        const prepared = preparePolicy(spec);
        const ranked = prepared.rank(tags);
        let remaining = prepared.filter(tags);
        for (const tag of ranked) {
          expect(prepared.select(remaining)).toBe(tag);
          remaining = remaining.filter((candidate) => candidate !== tag);
        }
      }),
    );
  });
});
