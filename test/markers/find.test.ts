import { describe, expect, it } from 'vitest';
import { parseYamlStream, findMarkedFields, scanMarkers, formatMarkerRef } from '../../src/markers/index.js';
import { Composer, Parser, isMap, isSeq, parseDocument } from 'yaml';

const M = (s: string): string => `# {"$imagepolicy": "${s}"}`;

function found(text: string): [string, string, string][] {
  const stream = parseYamlStream(text);
  expect(stream.errors).toEqual([]);
  return stream.documents.flatMap((d) =>
    findMarkedFields(d).map((f): [string, string, string] => [f.path.join('.'), f.value, formatMarkerRef(f.ref)]),
  );
}

// Where a marker counts, per go-yaml v3's comment placement as Flux reads it (see
// src/markers/comments.ts): the scalar's own line comment, else its head comment.
const markerForms: [string, string, [string, string, string][]][] = [
  ['line comment on a map value', `image: foo:1 ${M('ns:a')}\n`, [['image', 'foo:1', 'ns:a']]],
  ['no space before #', `image: foo:1 #{"$imagepolicy":"ns:a"}\n`, [['image', 'foo:1', 'ns:a']]],
  [
    'inside a sequence of maps',
    `containers:\n- name: c\n  image: foo:1 ${M('ns:a')}\n- name: d # nothing\n  image: bar:2 ${M('ns:b:tag')}\n`,
    [
      ['containers.0.image', 'foo:1', 'ns:a'],
      ['containers.1.image', 'bar:2', 'ns:b:tag'],
    ],
  ],
  ['sequence scalar, line comment', `args:\n  - v1 ${M('ns:a:tag')}\n  - other\n`, [['args.0', 'v1', 'ns:a:tag']]],
  ['sequence scalar, head comment', `args:\n  - x\n  ${M('ns:a:tag')}\n  - v1\n`, [['args.1', 'v1', 'ns:a:tag']]],
  ['first sequence item, head comment in the parent', `args:\n  ${M('ns:a:tag')}\n  - v1\n`, [['args.0', 'v1', 'ns:a:tag']]],
  ['comment after a dash heads the nested item', `args:\n- ${M('ns:a:tag')}\n  - v1\n  - v2\n`, [['args.0.0', 'v1', 'ns:a:tag']]],
  ['comment after a dash heads the value below it', `args:\n- ${M('ns:a:tag')}\n  v1\n`, [['args.0', 'v1', 'ns:a:tag']]],
  ['value on the next line, head comment', `image:\n  ${M('ns:a')}\n  foo:1\n`, [['image', 'foo:1', 'ns:a']]],
  ['single-quoted value', `image: 'foo:1' ${M('ns:a')}\n`, [['image', 'foo:1', 'ns:a']]],
  ['double-quoted value', `image: "foo:1" ${M('ns:a')}\n`, [['image', 'foo:1', 'ns:a']]],
  ['literal block scalar header', `image: | ${M('ns:a')}\n  foo:1\n`, [['image', 'foo:1\n', 'ns:a']]],
  ['folded block scalar header', `image: >- ${M('ns:a')}\n  foo:1\n`, [['image', 'foo:1', 'ns:a']]],
  ['anchored value', `image: &img foo:1 ${M('ns:a')}\nother: *img\n`, [['image', 'foo:1', 'ns:a']]],
  ['tagged value', `tag: !!str 10 ${M('ns:a:tag')}\n`, [['tag', '10', 'ns:a:tag']]],
  ['number-like value', `tag: 10 ${M('ns:a:tag')}\n`, [['tag', '10', 'ns:a:tag']]],
  [
    'multi-line flow sequence, comment after the comma',
    `args: [\n  v1, ${M('ns:a:tag')}\n  v2 ${M('ns:b:tag')}\n]\n`,
    [
      ['args.0', 'v1', 'ns:a:tag'],
      ['args.1', 'v2', 'ns:b:tag'],
    ],
  ],
  ['multi-line flow sequence, head comment', `args: [\n  ${M('ns:a:tag')}\n  v1,\n  v2\n]\n`, [['args.0', 'v1', 'ns:a:tag']]],
  ['multi-line flow map', `img: { name: foo, ${M('ns:a:name')}\n  tag: v1 ${M('ns:a:tag')}\n}\n`, [
    ['img.name', 'foo', 'ns:a:name'],
    ['img.tag', 'v1', 'ns:a:tag'],
  ]],
  ['deep nesting', `a:\n  b:\n    - c:\n        - d: x ${M('ns:a')}\n`, [['a.b.0.c.0.d', 'x', 'ns:a']]],
  ['kustomization images', `images:\n- name: app\n  newName: reg/app ${M('ns:a:name')}\n  newTag: v1 ${M('ns:a:tag')}\n`, [
    ['images.0.newName', 'reg/app', 'ns:a:name'],
    ['images.0.newTag', 'v1', 'ns:a:tag'],
  ]],
  ['CRLF line endings', `a: 1\r\nimage: foo:1 ${M('ns:a')}\r\n`, [['image', 'foo:1', 'ns:a']]],
  ['a bare scalar document', `foo:1 ${M('ns:a')}\n`, [['', 'foo:1', 'ns:a']]],
];

// Comments that look like markers but that Flux never applies.
const nonMarkerForms: [string, string][] = [
  ['head comment of a map key', `${M('ns:a')}\nimage: foo:1\n`],
  ['head comment of a nested map key', `spec:\n  ${M('ns:a')}\n  image: foo:1\n`],
  ['line comment after the colon (belongs to the key)', `image: ${M('ns:a')}\n  foo:1\n`],
  ['empty value', `image: ${M('ns:a')}\nnext: 1\n`],
  ['marker on a map', `spec: ${M('ns:a')}\n  image: foo:1\n`],
  ['marker on a block sequence', `args: ${M('ns:a')}\n  - v1\n`],
  ['marker on a one-line flow sequence', `args: [v1, v2] ${M('ns:a')}\n`],
  ['marker on a one-line flow map', `img: {name: foo, tag: v1} ${M('ns:a')}\n`],
  ['marker on an alias', `base: &b foo:1\nimage: *b ${M('ns:a')}\n`],
  ['marker on a key (explicit)', `? image ${M('ns:a')}\n: foo:1\n`],
  ['two comment lines (one multi-line head comment)', `args:\n  # pinned\n  ${M('ns:a')}\n  - v1\n`],
  ['blank line between comment and item', `args:\n  - x\n  ${M('ns:a')}\n\n  - v1\n`],
  ['a non-marker line comment hides the head comment', `args:\n  ${M('ns:a')}\n  - v1 # keep\n`],
  ['comment on the line below', `image: foo:1\n${M('ns:a')}\n`],
  ['text after the brace', `image: foo:1 ${M('ns:a')} # note\n`],
  ['invalid JSON', `image: foo:1 # {$imagepolicy: ns:a}\n`],
  ['unknown suffix', `image: foo:1 ${M('ns:a:sha')}\n`],
  ['comment after a dash, then a map (heads the key)', `c:\n- ${M('ns:a')}\n  image: foo:1\n`],
  ['line comment of the previous flow item', `args: [\n  v0, # x\n  v1\n]\n`],
];

describe('findMarkedFields: forms Flux applies', () => {
  it.each(markerForms)('%s', (_why, text, want) => {
    expect(found(text)).toEqual(want);
  });
});

describe('findMarkedFields: forms Flux ignores', () => {
  it.each(nonMarkerForms)('%s', (_why, text) => {
    expect(found(text)).toEqual([]);
  });
});

describe('scanMarkers problems', () => {
  it('reports would-be markers in a marker position that do not parse', () => {
    const stream = parseYamlStream(`a: x ${M('ns:a')} # note\nb: y ${M('ns')}\nc: z # plain\n`);
    const { fields, problems } = scanMarkers(stream.documents[0]);
    expect(fields).toEqual([]);
    expect(problems.map((p) => p.path)).toEqual([['a'], ['b']]);
    expect(problems[0]!.comment).toBe(`${M('ns:a')} # note`);
  });
});

describe('scanMarkers key head comments', () => {
  it('flags a valid marker above a key, which Flux ignores, and does not apply it', () => {
    const stream = parseYamlStream(`spec:\n  # why\n  ${M('ns:a')}\n  image: foo:1\n  # about tag\n  tag: v1\n`);
    const { fields, problems } = scanMarkers(stream.documents[0]);
    expect(fields).toEqual([]);
    expect(problems).toEqual([
      { path: ['spec', 'image'], comment: M('ns:a'), problem: expect.stringMatching(/same line/) },
    ]);
  });
});

describe('findMarkedFields inputs', () => {
  const text = `kind: ResourceList\nitems:\n- kind: A\n  image: a:1 ${M('ns:a')}\n- kind: B\n  spec:\n    image: b:1 ${M('ns:b')}\n`;

  it('takes a document, its contents, or one item; paths start at the node given', () => {
    const doc = parseYamlStream(text).documents[0]!;
    expect(findMarkedFields(doc).map((f) => f.path)).toEqual([
      ['items', 0, 'image'],
      ['items', 1, 'spec', 'image'],
    ]);
    const items = doc.get('items', true);
    if (!isSeq(items)) throw new Error('no items');
    const second = items.items[1];
    expect(findMarkedFields(second).map((f) => [f.path, f.value])).toEqual([[['spec', 'image'], 'b:1']]);
  });

  it('works on nodes composed without parseYamlStream when they kept their source tokens', () => {
    const docs = [...new Composer({ keepSourceTokens: true }).compose(new Parser().parse(text))];
    const fields = findMarkedFields(docs[0]!.contents);
    expect(fields.map((f) => f.path.join('.'))).toEqual(['items.0.image', 'items.1.spec.image']);
  });

  it('finds nothing in nodes without source tokens, and in non-nodes', () => {
    const doc = parseDocument(text);
    expect(isMap(doc.contents)).toBe(true);
    expect(findMarkedFields(doc)).toEqual([]);
    expect(findMarkedFields(null)).toEqual([]);
    expect(findMarkedFields({ items: [] })).toEqual([]);
  });
});
