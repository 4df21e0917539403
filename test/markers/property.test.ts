import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CST, parseAllDocuments } from 'yaml';
import { findMarkedFields, parseYamlStream, writeScalar, type MarkedField } from '../../src/markers/index.js';

// Generated YAML documents with markers in every position Flux honours, decoy markers in
// positions it ignores, and assorted layout; after rewriting the marked scalars the text may
// differ only inside those scalars.

type Style = 'plain' | 'single' | 'double' | 'literal' | 'folded';
type Scalar = { kind: 'scalar'; text: string; style: Style; marker: 'none' | 'line' | 'head'; note: boolean };
type MapNode = { kind: 'map'; entries: { key: string; value: Node; keyComment: 'none' | 'note' | 'decoy'; blankBefore: boolean }[] };
type SeqNode = { kind: 'seq'; items: Node[]; indented: boolean };
type FlowNode = { kind: 'flow'; map: boolean; items: { key: string; text: string; quoted: boolean; marked: boolean }[] };
type Node = Scalar | MapNode | SeqNode | FlowNode;

const MARK = '# {"$imagepolicy": "ns:app"}';
const DECOY = '# {"$imagepolicy": "ns:decoy"}';

const plainTexts = ['foo:1', 'ghcr.io/a/b:v1.2.3', 'v1', '10', 'true', 'a-b', 'x y', 'reg:5000/app'];
const flowTexts = ['v1', 'foo:1', '10', 'ghcr.io/a/b:v1', 'a-b'];
const keyArb = fc.constantFrom('image', 'name', 'tag', 'spec', 'items', 'a', 'b', 'c', 'newTag', 'args');

const scalarArb: fc.Arbitrary<Scalar> = fc.record({
  kind: fc.constant('scalar' as const),
  text: fc.constantFrom(...plainTexts),
  style: fc.constantFrom<Style>('plain', 'single', 'double', 'literal', 'folded'),
  marker: fc.constantFrom<Scalar['marker']>('none', 'line', 'line', 'head'),
  note: fc.boolean(),
});

const flowArb: fc.Arbitrary<FlowNode> = fc.record({
  kind: fc.constant('flow' as const),
  map: fc.boolean(),
  items: fc.uniqueArray(
    fc.record({ key: keyArb, text: fc.constantFrom(...flowTexts), quoted: fc.boolean(), marked: fc.boolean() }),
    { minLength: 1, maxLength: 3, selector: (i) => i.key },
  ),
});

const { node: nodeArb } = fc.letrec<{ node: Node; map: MapNode; seq: SeqNode }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarArb, flowArb, tie('map'), tie('seq')),
  map: fc.record({
    kind: fc.constant('map' as const),
    entries: fc.uniqueArray(
      fc.record({
        key: keyArb,
        value: tie('node'),
        keyComment: fc.constantFrom<MapNode['entries'][number]['keyComment']>('none', 'none', 'note', 'decoy'),
        blankBefore: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4, selector: (e) => e.key },
    ),
  }),
  seq: fc.record({
    kind: fc.constant('seq' as const),
    items: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
    indented: fc.boolean(),
  }),
}));

const rootArb = fc.letrec<{ m: MapNode }>(() => ({
  m: fc.record({
    kind: fc.constant('map' as const),
    entries: fc.uniqueArray(
      fc.record({
        key: keyArb,
        value: nodeArb,
        keyComment: fc.constantFrom<MapNode['entries'][number]['keyComment']>('none', 'note', 'decoy'),
        blankBefore: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4, selector: (e) => e.key },
    ),
  }),
})).m;

const sq = (s: string): string => `'${s.replace(/'/g, "''")}'`;

interface Rendered {
  lines: string[];
  marked: (string | number)[][];
}

function flowScalarText(s: Scalar): string {
  if (s.style === 'single') return sq(s.text);
  if (s.style === 'double') return JSON.stringify(s.text);
  return s.text;
}

/**
 * Renders `node` after `lead`, which is either `<prefix>key: ` (kind 'key', `ind` = the key's
 * column) or `<prefix>- ` (kind 'dash', `ind` = the column after the dash).
 */
function renderValue(
  node: Node,
  ind: number,
  step: number,
  path: (string | number)[],
  out: Rendered,
  lead: string,
  kind: 'key' | 'dash',
): void {
  const childInd = kind === 'key' ? ind + step : ind;
  switch (node.kind) {
    case 'scalar': {
      // (a note on the item's own line would hide a head marker: the line comment wins)
      const note = node.marker === 'line' ? ` ${MARK}` : node.note && node.marker === 'none' ? ' # note' : '';
      if (node.style === 'literal' || node.style === 'folded') {
        const head = node.style === 'literal' ? '|' : '>-';
        // block scalars take the marker on their header line only
        const c = node.marker !== 'none' ? ` ${MARK}` : note;
        out.lines.push(`${lead}${head}${c}`, `${' '.repeat(childInd)}${node.text}`);
        if (node.marker !== 'none') out.marked.push(path);
        return;
      }
      let marker = node.marker;
      if (marker === 'head' && kind === 'key') {
        // the value on its own line under the key, the marker directly above it
        out.lines.push(lead.trimEnd(), `${' '.repeat(childInd)}${MARK}`, `${' '.repeat(childInd)}${flowScalarText(node)}`);
        out.marked.push(path);
        return;
      }
      if (marker === 'head' && lead.trim() === '-') out.lines.push(`${' '.repeat(ind - 2)}${MARK}`);
      else if (marker === 'head') marker = 'line'; // `- - x`: no line of its own above
      const c = marker === 'line' ? ` ${MARK}` : note;
      out.lines.push(`${lead}${flowScalarText(node)}${c}`);
      if (marker !== 'none') out.marked.push(path);
      return;
    }
    case 'flow': {
      const [open, close] = node.map ? ['{', '}'] : ['[', ']'];
      out.lines.push(`${lead}${open}`);
      node.items.forEach((it, i) => {
        const text = it.quoted ? JSON.stringify(it.text) : it.text;
        const comma = i < node.items.length - 1 ? ',' : '';
        const c = it.marked ? ` ${MARK}` : '';
        out.lines.push(`${' '.repeat(childInd)}${node.map ? `${it.key}: ` : ''}${text}${comma}${c}`);
        if (it.marked) out.marked.push([...path, node.map ? it.key : i]);
      });
      out.lines.push(`${' '.repeat(kind === 'key' ? ind : ind - 2)}${close}`);
      return;
    }
    case 'map':
      if (kind === 'key') {
        out.lines.push(lead.trimEnd());
        renderMap(node, childInd, step, path, out);
      } else renderMap(node, ind, step, path, out, lead);
      return;
    case 'seq': {
      let dashInd: number;
      if (kind === 'key') {
        out.lines.push(lead.trimEnd());
        dashInd = node.indented ? ind + step : ind;
      } else dashInd = ind;
      node.items.forEach((item, i) => {
        const first = i === 0 && kind === 'dash' ? lead : ' '.repeat(dashInd);
        renderValue(item, dashInd + 2, step, [...path, i], out, `${first}- `, 'dash');
      });
      return;
    }
  }
}

function renderMap(map: MapNode, ind: number, step: number, path: (string | number)[], out: Rendered, firstLead?: string): void {
  const pad = ' '.repeat(ind);
  map.entries.forEach((e, i) => {
    const inline = i === 0 && firstLead !== undefined;
    if (!inline) {
      if (e.blankBefore && out.lines.length > 0) out.lines.push('');
      if (e.keyComment === 'note') out.lines.push(`${pad}# about ${e.key}`);
      if (e.keyComment === 'decoy') out.lines.push(`${pad}${DECOY}`);
    }
    renderValue(e.value, ind, step, [...path, e.key], out, `${inline ? firstLead : pad}${e.key}: `, 'key');
  });
}

function render(docs: MapNode[], step: number, ends: boolean[]): { text: string; marked: (string | number)[][][] } {
  const parts: string[] = [];
  const marked: (string | number)[][][] = [];
  docs.forEach((d, i) => {
    const out: Rendered = { lines: [], marked: [] };
    renderMap(d, 0, step, [], out);
    parts.push((i > 0 || ends[i] ? '---\n' : '') + out.lines.join('\n') + '\n' + (ends[i] ? '...\n' : ''));
    marked.push(out.marked);
  });
  return { text: parts.join(''), marked };
}

// Values a policy could produce and values that stress the quoting rules.
const newValueArb = fc.oneof(
  fc.constantFrom(
    'ghcr.io/org/app:v2.0.0@sha256:' + 'ab'.repeat(32),
    'v2.0.0',
    '10',
    '1.5',
    '0x1f',
    'yes',
    'off',
    'null',
    '~',
    '',
    '2024-01-01',
    'a: b',
    'a #b',
    "it's",
    'say "hi"',
    'x,y',
    '[x]',
    '- x',
    ' lead',
    'é',
    'back\\slash',
  ),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ unit: 'binary-ascii', maxLength: 6 }),
);

/** Byte ranges a marked scalar occupies in the source, and what they hold after the edit. */
function scalarPieces(token: CST.FlowScalar | CST.BlockScalar): { at: number; len: number; now: () => string }[] {
  // read loosely: writeScalar may turn a block scalar into a double-quoted one
  const live = token as { type: string; source: string; props?: { source: string }[] };
  if (token.type === 'block-scalar') {
    const props = token.props as CST.SourceToken[];
    const header = props[0]!;
    const last = props[props.length - 1]!;
    const bodyAt = last.offset + last.source.length;
    const isBlock = (): boolean => live.type === 'block-scalar';
    return [
      { at: header.offset, len: header.source.length, now: () => (isBlock() ? live.props![0]!.source : live.source) },
      { at: bodyAt, len: token.source.length, now: () => (isBlock() ? live.source : '') },
    ];
  }
  return [{ at: token.offset, len: token.source.length, now: () => live.source }];
}

function setPath(data: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const container = data as Record<string | number, unknown>;
  container[head!] = setPath(container[head!], rest, value);
  return data;
}

describe('property: rewriting marked scalars', () => {
  it('changes exactly the marked scalars, keeps the rest byte for byte, and is idempotent', () => {
    fc.assert(
      fc.property(
        fc.array(rootArb, { minLength: 1, maxLength: 3 }),
        fc.constantFrom(2, 4),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        fc.infiniteStream(newValueArb),
        (docs, step, ends, crlf, values) => {
          const r = render(docs, step, ends);
          const text = crlf ? r.text.replace(/\n/g, '\r\n') : r.text;

          const stream = parseYamlStream(text);
          expect(stream.errors).toEqual([]);
          expect(stream.toString()).toBe(text);

          const fields: MarkedField[][] = stream.documents.map((d) => findMarkedFields(d));
          expect(fields.map((fs) => fs.map((f) => f.path))).toEqual(r.marked);

          const before = parseAllDocuments(text).map((d) => d.toJS());
          const valueIter = values[Symbol.iterator]();
          const pieces: { at: number; len: number; now: () => string }[] = [];
          const expectedData = structuredClone(before);
          const written: string[][] = [];
          fields.forEach((fs, di) => {
            written.push([]);
            for (const f of fs) {
              const v = valueIter.next().value as string;
              pieces.push(...scalarPieces(f.scalar.srcToken as CST.FlowScalar | CST.BlockScalar));
              writeScalar(f, v);
              written[di]!.push(v);
              expectedData[di] = setPath(expectedData[di], f.path, v);
            }
          });
          const out = stream.toString();

          // outside the marked scalars nothing moved
          pieces.sort((a, b) => a.at - b.at);
          let rebuilt = '';
          let pos = 0;
          for (const p of pieces) {
            rebuilt += text.slice(pos, p.at) + p.now();
            pos = p.at + p.len;
          }
          rebuilt += text.slice(pos);
          expect(out).toBe(rebuilt);

          // it parses, the data differs only at the marked paths, and reads back as written
          const afterDocs = parseAllDocuments(out);
          for (const d of afterDocs) expect(d.errors).toEqual([]);
          expect(afterDocs.map((d) => d.toJS())).toEqual(expectedData);
          const yaml11 = parseAllDocuments(out, { schema: 'yaml-1.1' });
          const again = parseYamlStream(out);
          again.documents.forEach((d, di) => {
            const fs = findMarkedFields(d);
            expect(fs.map((f) => f.value)).toEqual(written[di]);
            // a YAML 1.1 reader sees the same strings
            for (const f of fs) expect(yaml11[di]!.getIn(f.path)).toBe(f.value);
            // the second rewrite with the same values is a no-op
            fs.forEach((f, i) => writeScalar(f, written[di]![i]!));
          });
          expect(again.toString()).toBe(out);
        },
      ),
      { numRuns: 400 },
    );
  });
});
