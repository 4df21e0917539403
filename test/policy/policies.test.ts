import { describe, expect, it } from 'vitest';
import { AlphabeticalPolicer } from '../../src/policy/alphabetical.js';
import { createPolicer } from '../../src/policy/factory.js';
import { compileTagFilter } from '../../src/policy/filter.js';
import { NumericalPolicer } from '../../src/policy/numerical.js';
import { PolicyError } from '../../src/policy/policer.js';
import { SemVerPolicer } from '../../src/policy/semver.js';

const EMPTY = 'version list argument cannot be empty';
const NO_MATCH = 'unable to determine latest version from provided list';

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe('semver policy (Flux TestNewSemVer, TestSemVer_Latest)', () => {
  it.each(['1.0.x', '^1.0', '=1.0.0', '~1.0', '>=1.0', '>0,<2.0'])('accepts range %j', (range) => {
    expect(() => new SemVerPolicer(range)).not.toThrow();
  });

  it.each(['1.0.0p', '1x', 'x1', '-1', 'a', ''])('rejects range %j when built', (range) => {
    expect(() => new SemVerPolicer(range)).toThrow(PolicyError);
  });

  const latest: [label: string, range: string, tags: string[], expected: string | Error][] = [
    ['Regular', '1.0.x', ['1.0.0', '1.0.0.1', '1.0.0p', '1.0.1', '1.2.0', '0.1.0'], '1.0.1'],
    ['Regular with prefix', '1.0.x', ['v1.2.3', 'v1.0.0', 'v0.1.0'], 'v1.0.0'],
    ['With invalid prefix', '1.0.x', ['b1.2.3', 'b1.0.0', 'b0.1.0'], new Error(NO_MATCH)],
    ['With empty list', '1.0.x', [], new Error(EMPTY)],
    ['With non-matching version list', '1.0.x', ['1.2.0'], new Error(NO_MATCH)],
    // Beyond Flux's table.
    ['Ties keep the first: v prefix', '>=1.0.0', ['v1.0.0', '1.0.0'], 'v1.0.0'],
    ['Ties keep the first: build metadata', '>=1.0.0', ['1.0.0+b', '1.0.0+a'], '1.0.0+b'],
    ['Ties keep the first: leading zeros', '*', ['1.0.0', '01.0.0'], '1.0.0'],
    ['CalVer with leading zeros', '>=2025.1.0', ['v2025.07.03', 'v2025.10.01', 'v2024.12.31'], 'v2025.10.01'],
    ['Prereleases excluded by default', '>=1.0.0', ['1.1.0-rc.1', '1.0.0'], '1.0.0'],
    ['Prereleases included by a prerelease bound', '>=1.0.0-0', ['1.1.0-rc.1', '1.0.0'], '1.1.0-rc.1'],
    ['Numeric prerelease order', '>=1.0.0-0', ['1.0.0-rc.9', '1.0.0-rc.10'], '1.0.0-rc.10'],
    ['Bytewise prerelease order', '>=1.0.0-0', ['1.0.0-rc9', '1.0.0-rc10'], '1.0.0-rc9'],
    ['Two-part tags are not versions', '*', ['1.2', '1.1.0'], '1.1.0'],
    ['Prerelease with a dot counts as three parts', '>=1.2.0-0', ['1.2-rc.1', '1.1.0'], '1.2-rc.1'],
  ];

  it.each(latest)('%s', (_label, range, tags, expected) => {
    const policer = new SemVerPolicer(range);
    if (expected instanceof Error) expect(() => policer.latest(tags)).toThrow(expected.message);
    else expect(policer.latest(tags)).toBe(expected);
  });

  it('ranks candidates best first, equal versions in input order', () => {
    const policer = new SemVerPolicer('>=1.0.0');
    expect(policer.rank(['1.0.0', 'v1.1.0', 'junk', '1.1.0', '0.9.0', '2.0.0-rc.1'])).toEqual([
      'v1.1.0',
      '1.1.0',
      '1.0.0',
    ]);
  });
});

const ubuntuCalVer = ['16.04', '16.04.1', '16.10', '20.04', '20.10'];
const ubuntuCodeNames = ['xenial', 'yakkety', 'zesty', 'artful', 'bionic'];
const timestamps = ['1606234201', '1606364286', '1606334092', '1606334284', '1606334201'];

describe('alphabetical policy (Flux TestNewAlphabetical, TestAlphabetical_Latest)', () => {
  it.each([undefined, '', 'ASC', 'DESC', 'asc', 'desc', 'Desc'])('accepts order %j', (order) => {
    expect(() => new AlphabeticalPolicer(order)).not.toThrow();
  });

  it('rejects an unknown order with the upper-cased value in the message', () => {
    expect(() => new AlphabeticalPolicer('invalid')).toThrow(
      "invalid order argument provided: 'INVALID', must be one of: ASC, DESC",
    );
  });

  const latest: [label: string, order: string | undefined, tags: string[], expected: string | Error][] = [
    ['Ubuntu CalVer', undefined, ubuntuCalVer, '20.10'],
    ['Ubuntu CalVer descending', 'DESC', ubuntuCalVer, '16.04'],
    ['Ubuntu code names', undefined, ubuntuCodeNames, 'zesty'],
    ['Ubuntu code names descending', 'DESC', ubuntuCodeNames, 'artful'],
    ['Timestamps', undefined, timestamps, '1606364286'],
    ['Timestamps desc', 'DESC', timestamps, '1606234201'],
    ['Timestamps with prefix', undefined, timestamps.map((t) => `rel-${t}`), 'rel-1606364286'],
    ['Empty version list', undefined, [], new Error(EMPTY)],
    // Bytes, not locale: uppercase sorts before lowercase, digits before both.
    ['Bytes, not locale', 'asc', ['b', 'B', 'a', 'Z', '9'], 'b'],
    ['Bytes, not locale, descending', 'desc', ['b', 'B', 'a', 'Z', '9'], '9'],
    ['Code points above U+FFFF sort after U+FFFD', 'asc', ['\u{fffd}', '\u{1f600}'], '\u{1f600}'],
  ];

  it.each(latest)('%s', (_label, order, tags, expected) => {
    const policer = new AlphabeticalPolicer(order);
    for (const seed of [1, 2, 3]) {
      const input = shuffled(tags, seed);
      if (expected instanceof Error) expect(() => policer.latest(input)).toThrow(expected.message);
      else expect(policer.latest(input)).toBe(expected);
    }
  });

  it('ranks all tags best first', () => {
    expect(new AlphabeticalPolicer('desc').rank(ubuntuCodeNames)).toEqual([
      'artful',
      'bionic',
      'xenial',
      'yakkety',
      'zesty',
    ]);
  });
});

describe('numerical policy (Flux TestNewNumerical, TestNumerical_Latest)', () => {
  it.each([undefined, '', 'ASC', 'DESC', 'asc'])('accepts order %j', (order) => {
    expect(() => new NumericalPolicer(order)).not.toThrow();
  });

  it('rejects an unknown order', () => {
    expect(() => new NumericalPolicer('invalid')).toThrow(
      "invalid order argument provided: 'INVALID', must be one of: ASC, DESC",
    );
  });

  const latest: [label: string, order: string | undefined, tags: string[], expected: string | Error][] = [
    ['integers ascending', undefined, ['-62', '-88', '73', '72', '15', '16', '15', '29', '-33', '-91'], '73'],
    ['integers descending', 'DESC', ['5', '-8', '-78', '25', '70', '-4', '80', '92', '-20', '-24'], '-78'],
    [
      'floats ascending',
      undefined,
      [
        '47.40896403322944',
        '-27.8520927455902',
        '-27.930666514224427',
        '-31.352485948094568',
        '-50.41072694704882',
        '-21.962849842263736',
        '24.71884721436865',
        '-39.99177354004344',
        '53.47333823144817',
        '3.2008658570411086',
      ],
      '53.47333823144817',
    ],
    [
      'floats descending',
      'DESC',
      [
        '-65.27202780220686',
        '57.82948329142309',
        '22.40184684363291',
        '-86.36934305697784',
        '-90.29082099756083',
        '-12.041712603564264',
        '77.70488240399305',
        '-38.98425003883552',
        '16.06867070412028',
        '53.735674335181216',
      ],
      '-90.29082099756083',
    ],
    ['Unix timestamps ascending', undefined, timestamps, '1606364286'],
    ['Unix timestamps descending', 'DESC', timestamps, '1606234201'],
    ['single value ascending', undefined, ['1'], '1'],
    ['single value descending', 'DESC', ['1'], '1'],
    // Which bad tag is named depends on input order; both are reported the Flux way.
    ['invalid numerical value', undefined, ['0', '1a', 'b'], new Error("failed to parse invalid numeric value '")],
    ['empty version list', undefined, [], new Error(EMPTY)],
    // Go's ParseFloat forms.
    ['hex floats and underscores', undefined, ['0x1p4', '1_000', '999.5'], '1_000'],
    ['inf is a number', undefined, ['1e308', 'inf'], 'inf'],
  ];

  it.each(latest)('%s (any input order)', (_label, order, tags, expected) => {
    const policer = new NumericalPolicer(order);
    for (const seed of [1, 2, 3, 4]) {
      const input = shuffled(tags, seed);
      if (expected instanceof Error) expect(() => policer.latest(input)).toThrow(expected.message);
      else expect(policer.latest(input)).toBe(expected);
    }
  });

  it('fails on the first non-numeric tag in input order', () => {
    expect(() => new NumericalPolicer().latest(['1', 'latest', 'x'])).toThrow(
      "failed to parse invalid numeric value 'latest'",
    );
  });

  it('lets the last of equal values win, as Flux does', () => {
    expect(new NumericalPolicer().latest(['1.0', '1', '01'])).toBe('01');
    expect(new NumericalPolicer('desc').latest(['1', '01', '1.0'])).toBe('1.0');
  });

  it('follows Flux through NaN: it replaces the best, then anything replaces it', () => {
    expect(new NumericalPolicer().latest(['5', 'nan'])).toBe('nan');
    expect(new NumericalPolicer().latest(['5', 'nan', '1'])).toBe('1');
    // Ranking repeats the pick on what is left: from ['5', 'nan'] Flux picks 'nan'.
    expect(new NumericalPolicer().rank(['5', 'nan', '1'])).toEqual(['1', 'nan', '5']);
  });

  it('ranks best first, ties with the later input first', () => {
    expect(new NumericalPolicer().rank(['3', '10', '1.0', '1', '2'])).toEqual(['10', '3', '2', '1', '1.0']);
    expect(new NumericalPolicer('desc').rank(['3', '10', '1'])).toEqual(['1', '3', '10']);
  });
});

describe('tag filter (Flux TestRegexFilter)', () => {
  const cases: [label: string, tags: string[], pattern: string | undefined, extract: string | undefined, keys: string[]][] = [
    ['none', ['a'], undefined, undefined, ['a']],
    ['valid pattern', ['ver1', 'ver2', 'ver3', 'rel1'], '^ver', undefined, ['ver1', 'ver2', 'ver3']],
    ['valid pattern with capture group', ['ver1', 'ver2', 'ver3', 'rel1'], 'ver(\\d+)', '$1', ['1', '2', '3']],
    // Go semantics beyond Flux's table.
    ['unanchored search', ['x-ver1', 'rel1'], 'ver', undefined, ['x-ver1']],
    ['named group with $name', ['main-17-abc'], '^main-(?P<ts>\\d+)-', '$ts', ['17']],
    ['named group with ${name}', ['main-17-abc'], '^main-(?P<ts>\\d+)-', '${ts}x', ['17x']],
    ['Go 1.22 named group syntax', ['main-17-abc'], '^main-(?<ts>\\d+)-', '$ts', ['17']],
    ['longest name: $1x is ${1x}, empty', ['v5'], 'v(\\d)', '$1x', ['']],
    ['braces end the name', ['v5'], 'v(\\d)', '${1}x', ['5x']],
    ['$$ is a dollar', ['v5'], 'v(\\d)', '$$$1', ['$5']],
    ['malformed reference keeps the $', ['v5'], 'v(\\d)', '${1', ['${1']],
    ['missing group expands to nothing', ['v5'], 'v(\\d)', 'a${2}b', ['ab']],
    ['a name runs on through letters: $2b is ${2b}', ['v5'], 'v(\\d)', 'a$2b', ['a']],
    ['leading zero is a name, not a number', ['v5'], 'v(\\d)', '$01', ['']],
    ['group that did not take part', ['b'], '(a)?b', '[$1]', ['[]']],
    ['inline flags', ['RELEASE-1'], '(?i)^release-(\\d+)$', '$1', ['1']],
    ['non-ASCII input', ['é-7'], '^é-(\\d)', '$1', ['7']],
  ];

  it.each(cases)('%s', (_label, tags, pattern, extract, keys) => {
    const filtered = compileTagFilter({ pattern, extract }).apply(tags);
    expect(filtered.map(({ key }) => key).sort()).toEqual([...keys].sort());
  });

  it('maps keys back to tags, the later tag winning a shared key', () => {
    const filtered = compileTagFilter({ pattern: '^(\\d+)-(a|b)$', extract: '$1' }).apply(['1-b', '1-a', '2-a']);
    expect(filtered).toEqual([
      { key: '1', original: '1-a' },
      { key: '2', original: '2-a' },
    ]);
  });

  it.each([
    ['(abc', "invalid regular expression pattern '(abc': error parsing regexp: missing closing ): `(abc`"],
    ['a**', "invalid regular expression pattern 'a**': error parsing regexp: invalid nested repetition operator: `**`"],
    ['(?=x)', "invalid regular expression pattern '(?=x)': error parsing regexp: invalid or unsupported Perl syntax: `(?=`"],
  ])('rejects %j with Go’s message', (pattern, message) => {
    expect(() => compileTagFilter({ pattern })).toThrow(message);
  });
});

describe('factory (Flux TestFactory_PolicerFromSpec)', () => {
  it('rejects an empty choice', () => {
    expect(() => createPolicer({})).toThrow('given ImagePolicyChoice object is invalid');
  });

  it('builds semver and alphabetical policers', () => {
    expect(createPolicer({ semver: { range: '1.0.x' } })).toBeInstanceOf(SemVerPolicer);
    expect(createPolicer({ alphabetical: {} })).toBeInstanceOf(AlphabeticalPolicer);
    expect(createPolicer({ numerical: { order: 'desc' } })).toBeInstanceOf(NumericalPolicer);
  });

  it('fails at build time for an invalid range or order', () => {
    expect(() => createPolicer({ semver: { range: '*-*' } })).toThrow('improper constraint: *-*');
    expect(() => createPolicer({ numerical: { order: 'up' } })).toThrow("invalid order argument provided: 'UP'");
  });

  it('rejects more than one kind instead of silently ignoring the rest', () => {
    expect(() => createPolicer({ semver: { range: '*' }, alphabetical: {} })).toThrow(
      'exactly one of semver, alphabetical, numerical may be set, got semver, alphabetical',
    );
  });
});
