import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findMarkedFields, markerValue, needsQuoting, parseYamlStream, writeScalar } from '../../src/markers/index.js';

const M = '# {"$imagepolicy": "ns:a"}';

function rewrite(text: string, value: string): string {
  const stream = parseYamlStream(text);
  const fields = stream.documents.flatMap((d) => findMarkedFields(d));
  expect(fields.length).toBeGreaterThan(0);
  for (const f of fields) {
    writeScalar(f, value);
    expect(f.value).toBe(value);
  }
  return stream.toString();
}

describe('markerValue', () => {
  const r = { image: 'ghcr.io/org/app', tag: 'v1.2.3', digest: 'sha256:' + 'a'.repeat(64) };
  it.each([
    [undefined, r, `ghcr.io/org/app:v1.2.3@sha256:${'a'.repeat(64)}`],
    [undefined, { image: 'app', tag: '1.0' }, 'app:1.0'],
    ['tag' as const, r, 'v1.2.3'],
    ['name' as const, r, 'ghcr.io/org/app'],
    ['digest' as const, r, `sha256:${'a'.repeat(64)}`],
  ])('%s → %s', (suffix, ref, want) => {
    expect(markerValue(suffix, ref)).toBe(want);
  });
  it('refuses a :digest marker without a digest', () => {
    expect(() => markerValue('digest', { image: 'app', tag: '1' })).toThrow(/digest/);
  });
});

describe('needsQuoting', () => {
  const quoted = [
    // YAML 1.1 / 1.2 non-strings
    '10', '-10', '+1', '1.5', '1e3', '0x1f', '0o17', '0b101', '010', '1_000', '.inf', '-.Inf', '.nan',
    'true', 'false', 'True', 'yes', 'no', 'Yes', 'on', 'off', 'ON', 'y', 'n', 'Y', 'N',
    '~', 'null', 'Null', '', '2024-01-01', '2001-12-14t21:59:43.10-05:00', '1:20', '<<', '=',
    // not representable as one plain scalar
    'a: b', 'a #b', 'foo:', '- a', '-', '? x', ': x', '#x', '&a', '*a', '!t', '|', '>', "'a'", '"a"', '%x', '@x', '`x',
    '[a]', '{a}', ',', ' lead', 'trail ', 'tab\tin', 'line\nbreak', '---', '...', '--- a', 'nbsp\u00a0', 'ctl\u0007',
  ];
  const plain = [
    'ghcr.io/org/app:v1.2.3@sha256:' + 'a'.repeat(64), 'app:1.0', 'v1.2.3', '1.2.3', 'sha256:abc', 'latest',
    'registry:5000/app', 'localhost:5000/a/b:c', 'a-b_c.d', 'x,y', 'a:b', 'a#b', '-a', '?a', ':a', 'v10', '1.0-rc1', '1a',
    '0x', 'é/ü:ß',
  ];
  it.each(quoted)('quotes %j', (v) => {
    expect(needsQuoting(v)).toBe(true);
  });
  it.each(plain)('leaves %j plain', (v) => {
    expect(needsQuoting(v)).toBe(false);
    // and the claim holds: written plain, YAML 1.1 and 1.2 read it back as that string
    expect(parse(`k: ${v}\n`, { schema: 'core' }).k).toBe(v);
    expect(parse(`k: ${v}\n`, { schema: 'yaml-1.1' }).k).toBe(v);
  });
  it('is stricter inside flow collections', () => {
    expect(needsQuoting('x,y', true)).toBe(true);
    expect(needsQuoting('a[0]', true)).toBe(true);
    expect(needsQuoting('app:1.0', true)).toBe(false);
  });
});

describe('writeScalar keeps the scalar style', () => {
  const cases: [string, string, string, string][] = [
    ['plain stays plain', `image: foo:1 ${M}\n`, 'ghcr.io/a/b:v2@sha256:ff', `image: ghcr.io/a/b:v2@sha256:ff ${M}\n`],
    ['plain → double when numeric', `tag: v1 ${M}\n`, '10', `tag: "10" ${M}\n`],
    ['plain → double when boolean-like', `tag: v1 ${M}\n`, 'on', `tag: "on" ${M}\n`],
    ['plain → double when it cannot be plain', `tag: v1 ${M}\n`, 'a: b', `tag: "a: b" ${M}\n`],
    ['plain → double when empty', `tag: v1 ${M}\n`, '', `tag: "" ${M}\n`],
    ['numeric plain fixed even when unchanged', `tag: 10 ${M}\n`, '10', `tag: "10" ${M}\n`],
    ['single stays single', `image: 'foo:1' ${M}\n`, "it's", `image: 'it''s' ${M}\n`],
    ['single stays single for numbers', `tag: 'v1' ${M}\n`, '1.5', `tag: '1.5' ${M}\n`],
    ['single → double for control characters', `tag: 'v1' ${M}\n`, 'a\tb', `tag: "a\\tb" ${M}\n`],
    ['double stays double, escaped', `tag: "v1" ${M}\n`, 'a"b\\c', `tag: "a\\"b\\\\c" ${M}\n`],
    ['double keeps non-ASCII', `tag: "v1" ${M}\n`, 'é', `tag: "é" ${M}\n`],
    ['multi-line plain becomes one line', `image: foo\n  bar ${M}\nnext: 1\n`, 'x:1', `image: x:1 ${M}\nnext: 1\n`],
    ['multi-line double becomes one line', `image: "foo\n  bar" ${M}\nnext: 1\n`, 'x:1', `image: "x:1" ${M}\nnext: 1\n`],
    ['literal block, clip → strip', `image: | ${M}\n  foo:1\nnext: 1\n`, 'x:2', `image: |- ${M}\n  x:2\nnext: 1\n`],
    ['folded block keeps its indentation', `a:\n  image: > ${M}\n      foo:1\n`, 'x:2', `a:\n  image: >- ${M}\n      x:2\n`],
    ['keep chomping becomes strip', `image: |+ ${M}\n  foo:1\n\nnext: 1\n`, 'x:2', `image: |- ${M}\n  x:2\n\nnext: 1\n`],
    ['explicit indentation indicator', `a:\n  image: |2 ${M}\n      foo:1\n`, 'x:2', `a:\n  image: |2- ${M}\n    x:2\n`],
    ['block with a multi-line value → double', `image: | ${M}\n  foo\n`, 'a\nb', `image: "a\\nb" ${M}\n`],
    ['inside a flow sequence', `a: [\n  v1, ${M}\n]\n`, 'x,y', `a: [\n  "x,y", ${M}\n]\n`],
    ['anchor kept', `image: &i foo:1 ${M}\nb: *i\n`, 'bar:2', `image: &i bar:2 ${M}\nb: *i\n`],
    ['tag kept', `tag: !!str v1 ${M}\n`, '10', `tag: !!str "10" ${M}\n`],
    ['CRLF block body', `image: | ${M}\r\n  foo:1\r\nnext: 1\r\n`, 'x:2', `image: |- ${M}\r\n  x:2\r\nnext: 1\r\n`],
  ];
  it.each(cases)('%s', (_why, input, value, want) => {
    const out = rewrite(input, value);
    expect(out).toBe(want);
    // what was written reads back as the value, under both schemas
    const stream = parseYamlStream(out);
    expect(stream.errors).toEqual([]);
    for (const f of findMarkedFields(stream.documents[0])) expect(f.value).toBe(value);
    // and writing it again changes nothing
    expect(rewrite(out, value)).toBe(out);
  });

  it('leaves an unchanged value byte for byte, whatever its escapes', () => {
    const input = `image: "foo\\x3a1" ${M}\n`;
    expect(rewrite(input, 'foo:1')).toBe(input);
  });

  it('updates the AST too, so the document data agrees with the text', () => {
    const stream = parseYamlStream(`a: [1, 2]\nimage: foo:1 ${M}\n`);
    const [f] = findMarkedFields(stream.documents[0]);
    writeScalar(f!, '10');
    expect(stream.documents[0]!.toJS()).toEqual({ a: [1, 2], image: '10' });
    expect(parse(stream.toString())).toEqual({ a: [1, 2], image: '10' });
  });

  it('updates an alias target once, and the alias follows', () => {
    const out = rewrite(`image: &i foo:1 ${M}\nsidecar: *i\n`, 'bar:2');
    expect(parse(out)).toEqual({ image: 'bar:2', sidecar: 'bar:2' });
  });
});
