import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { stringifyResults } from '../../src/krm/results-yaml.js';

// stringifyResults prints what yaml's stringifier printed before it, byte for byte: each case is
// checked against `stringify({ results }, { lineWidth: 0 })`, the rendering it replaces.
const reference = (results: unknown[]): string => stringify({ results }, { lineWidth: 0 });

const TRICKY = [
  '', ' ', 'a', 'a ', ' a', 'a:', ':a', 'a: b', 'a:b', 'a #b', 'a#b', '#a', '- a', '-a', '-', '?', '? a', '?a',
  'true', 'True', 'TRUE', 'false', 'null', 'Null', '~', 'yes', 'no', 'on', 'y', '1', '-1', '+1', '01', '0o17', '0x1F', '1.5', '.5', '1e3',
  '-1e-3', '.inf', '-.inf', '.nan', '.NaN', '---', '--- a', '...', '%TAG', 'a\nb', 'a\n', '\na', 'a\tb', '\ta', 'a\u0000b', 'a\u007fb',
  'a\u0085b', '\u2028', 'a\u2029b', '\ufeffa', 'é', 'a → b', '😀', '\ud800', 'x\udc00', '"a"', "'a'", 'a"b', "a'b", '[a]', '{a}', 'a,b', 'a]',
  '&a', '*a', '!a', '|', '>', '@a', '`a', '%', 'a%', 'a@b', 'a|b', 'a>b', 'a!b', 'a&b', 'a*b', 'a{b}', 'a[b]', '\\', 'a\\nb', "it's",
  'x'.repeat(200), `${'x '.repeat(60)}end`, '127.0.0.1:5000/app:1.2.3@sha256:' + 'a'.repeat(64),
  '127.0.0.1:5000/app:0.0.0 → 127.0.0.1:5000/app:1.19.4@sha256:' + 'b'.repeat(64) + ' (ImagePolicy flux-system/app)',
];

const tricky = fc.oneof(fc.constantFrom(...TRICKY), fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('a', ' ', ':', '#', '-', '\n', '1', '.', "'", '"', 'é') }));
const key = fc.oneof(fc.constantFrom('message', 'severity', 'path', 'index', 'a.b', 'a-b', 'true', '1', 'null', '', 'a b', 'a: b', '- a', 'x'.repeat(130)), fc.string());
const leaf = fc.oneof(tricky, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(-0));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('map'), tie('seq')),
  map: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  seq: fc.array(tie('value'), { maxLength: 4 }),
}));

/** A result as run.ts makes them (after the JSON round trip), with any of its strings tricky. */
const result = fc.record(
  {
    severity: fc.constantFrom('info', 'warning', 'error'),
    message: tricky,
    resourceRef: fc.record({ apiVersion: tricky, kind: tricky, name: tricky, namespace: tricky }, { requiredKeys: [] }),
    field: fc.record({ path: tricky, currentValue: tricky, proposedValue: tricky }, { requiredKeys: ['path'] }),
    file: fc.record({ path: tricky, index: fc.oneof(fc.nat(), fc.integer(), fc.double()) }, { requiredKeys: ['path'] }),
    tags: fc.dictionary(key, tricky, { maxKeys: 3 }),
  },
  { requiredKeys: ['severity', 'message'] },
);

describe('stringifyResults', () => {
  it('prints a pin result exactly as yaml did', () => {
    const pin = {
      severity: 'info',
      message: '127.0.0.1:5000/app:0.0.0 → 127.0.0.1:5000/app:1.2.3@sha256:' + 'c'.repeat(64) + ' (ImagePolicy flux-system/app)',
      resourceRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'apps' },
      field: { path: 'spec.template.spec.containers[0].image', currentValue: '127.0.0.1:5000/app:0.0.0', proposedValue: '127.0.0.1:5000/app:1.2.3' },
      file: { path: 'apps/web.yaml', index: 0 },
    };
    const two = [pin, structuredClone(pin)];
    expect(stringifyResults(two)).toBe(reference(two));
    expect(stringifyResults([pin])).toMatchInlineSnapshot(`
      "results:
        - severity: info
          message: 127.0.0.1:5000/app:0.0.0 → 127.0.0.1:5000/app:1.2.3@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc (ImagePolicy flux-system/app)
          resourceRef:
            apiVersion: apps/v1
            kind: Deployment
            name: web
            namespace: apps
          field:
            path: spec.template.spec.containers[0].image
            currentValue: 127.0.0.1:5000/app:0.0.0
            proposedValue: 127.0.0.1:5000/app:1.2.3
          file:
            path: apps/web.yaml
            index: 0
      "
    `);
  });

  it('prints every tricky string as yaml does, as a value, a key and a list item', () => {
    for (const text of TRICKY) {
      const cases: unknown[][] = [
        [{ message: text, severity: 'info' }],
        [{ severity: 'info', field: { path: text } }],
        [{ severity: 'info', tags: { [text]: 'v' } }],
        [{ severity: 'info', list: [text, { a: text, b: 1 }, 2] }],
        [text],
      ];
      for (const results of cases) expect(stringifyResults(results), JSON.stringify(results)).toBe(reference(results));
    }
  });

  it('prints nested lists and maps, empty ones, nulls and non-integers as yaml does', () => {
    const cases: unknown[][] = [
      [],
      [{}],
      [[]],
      [{ a: [] }],
      [{ a: {} }],
      [{ a: null }],
      [{ a: 1.5, b: -0, c: 1e21, d: -7, e: Number.MAX_SAFE_INTEGER + 2 }],
      [{ a: [[1, 2], [3]] }],
      [{ a: [{ b: [{ c: 'd', e: ['f'] }] }, { g: true, h: false }] }],
      [null, 1, 'a', true],
      [{ message: 'a', severity: 'info' }, { message: 'a\nb', severity: 'error' }, { message: 'c', severity: 'info' }],
      [Object.assign(Object.create(null) as object, { a: 'b' })],
    ];
    for (const results of cases) expect(stringifyResults(results), JSON.stringify(results)).toBe(reference(results));
  });

  it('leaves an object met twice to yaml, which prints an anchor and an alias', () => {
    const ref = { kind: 'Deployment', name: 'web' };
    const shared = [{ severity: 'info', message: 'a', resourceRef: ref }, { severity: 'info', message: 'b', resourceRef: ref }];
    expect(reference(shared)).toContain('*a1');
    expect(stringifyResults(shared)).toBe(reference(shared));
    const same = { severity: 'info', message: 'a' };
    expect(stringifyResults([same, same])).toBe(reference([same, same]));
  });

  it('matches yaml for generated results', () => {
    fc.assert(
      fc.property(fc.array(result, { maxLength: 6 }), (results) => {
        const roundTripped = JSON.parse(JSON.stringify(results)) as unknown[];
        expect(stringifyResults(roundTripped)).toBe(reference(roundTripped));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches yaml for generated JSON values', () => {
    fc.assert(
      fc.property(fc.array(json.value, { maxLength: 5 }), (values) => {
        const roundTripped = JSON.parse(JSON.stringify(values)) as unknown[];
        expect(stringifyResults(roundTripped)).toBe(reference(roundTripped));
      }),
      { numRuns: 2000 },
    );
  });
});
