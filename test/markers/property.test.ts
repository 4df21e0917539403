import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CST, parseAllDocuments } from 'yaml';
import { findMarkedFields, parseYamlStream, writeScalar, type MarkedField } from '../../src/markers/index.js';
import { decodeLossless, encodeLossless, roundTrips } from '../../src/markers/lossless-text.js';

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

// The same documents as bytes that are not all UTF-8: bytes outside any well-formed sequence in
// comments and in an unmarked value. Read through the lossless codec, rewritten, and written back,
// the file may differ only inside the marked scalars; every other byte, bad ones included, stays.

/** Byte sequences that are not UTF-8 whatever follows them (each is followed by ASCII here). */
const invalidBytesArb: fc.Arbitrary<readonly number[]> = fc.oneof(
  fc.integer({ min: 0x80, max: 0xff }).map((b) => [b]), // Latin-1 / Windows-1252 (E9 é, 93 “, 96 –)
  fc.constantFrom<readonly number[]>(
    [0xe9, 0xe8],
    [0x93, 0x94],
    [0xc0, 0xaf], // overlong "/"
    [0xe0, 0x80, 0xaf], // overlong, three bytes
    [0xed, 0xa0, 0x80], // an encoded high surrogate
    [0xed, 0xb3, 0xa9], // an encoded U+DCE9: the very escape 0xE9 is read as
    [0xe2, 0x82], // truncated "€"
    [0xf0, 0x9f, 0x98], // truncated emoji
    [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
    [0xf8, 0x88, 0x80, 0x80, 0x80], // five-byte form
    [0xc3, 0xa9, 0xe9], // a valid é, then a Latin-1 one
    [0xef, 0x9f, 0xa9, 0xe9], // a valid U+F7E9 (a private-use stand-in elsewhere), then 0xE9
  ),
);

const BAD = '\u0001'; // where bad bytes go; never produced by the generators above

/** Adds an unmarked value and comments that will hold bad bytes to each document. */
function withBadSpots(doc: MapNode): MapNode {
  const junk: Scalar = { kind: 'scalar', text: `caf${BAD}`, style: 'plain', marker: 'none', note: true };
  return { ...doc, entries: [...doc.entries, { key: 'junk', value: junk, keyComment: 'note', blankBefore: false }] };
}

function toBytes(text: string, fill: Iterator<readonly number[]>): Buffer {
  const marked = text.replace(/# note/g, `# note${BAD}`).replace(/# about/g, `# ab${BAD}out`);
  const parts = marked.split(BAD);
  const chunks: Buffer[] = [];
  parts.forEach((part, i) => {
    chunks.push(Buffer.from(part, 'utf8'));
    if (i < parts.length - 1) chunks.push(Buffer.from(fill.next().value as readonly number[]));
  });
  return Buffer.concat(chunks);
}

describe('property: lossless text', () => {
  it('any bytes read and written back are the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const { text, firstInvalid } = decodeLossless(bytes);
        expect(Buffer.from(encodeLossless(text)!).equals(Buffer.from(bytes))).toBe(true);
        expect(roundTrips(bytes, text)).toBe(true);
        // Well-formed UTF-8 reads exactly as Node reads it, and says so.
        if (firstInvalid === undefined) expect(text).toBe(Buffer.from(bytes).toString('utf8'));
        else expect(Buffer.from(bytes).toString('utf8')).toContain('\ufffd');
      }),
      { numRuns: 2000 },
    );
  });

  it('text without lone surrogates is UTF-8 both ways; a lone surrogate that is no escape cannot be written', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 24 }), (text) => {
        if (!/^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/.test(text)) {
          // Only U+DC80–U+DCFF standing alone stand for a byte.
          const escapesOnly = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff]|(?<![\ud800-\udbff])[\udc80-\udcff])*$/.test(text);
          expect(encodeLossless(text) !== undefined).toBe(escapesOnly);
          return;
        }
        const bytes = encodeLossless(text)!;
        expect(Buffer.from(bytes).equals(Buffer.from(text, 'utf8'))).toBe(true);
        expect(decodeLossless(bytes)).toEqual({ text });
      }),
      { numRuns: 2000 },
    );
  });

  it('names the first bad byte with its line and column', () => {
    const bytes = Buffer.concat([Buffer.from('a: 1\n# ñ café\n'), Buffer.from([0x62, 0x3a, 0x20, 0x22, 0xc3, 0xa9, 0xe9, 0x22, 0x0a, 0xff])]);
    expect(decodeLossless(bytes).firstInvalid).toEqual({ byte: 0xe9, offset: 22, index: 19, line: 3, column: 6 });
  });

  it('rewriting marked scalars of a file that is not UTF-8 changes only their bytes', () => {
    fc.assert(
      fc.property(
        fc.array(rootArb, { minLength: 1, maxLength: 3 }),
        fc.constantFrom(2, 4),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        fc.infiniteStream(invalidBytesArb),
        fc.infiniteStream(newValueArb),
        (docs, step, ends, crlf, bad, values) => {
          const r = render(docs.map(withBadSpots), step, ends);
          const input = toBytes(crlf ? r.text.replace(/\n/g, '\r\n') : r.text, bad[Symbol.iterator]());

          const { text, firstInvalid } = decodeLossless(input);
          expect(firstInvalid).toBeDefined();
          expect(roundTrips(input, text)).toBe(true);
          const stream = parseYamlStream(text);
          expect(stream.errors).toEqual([]);
          expect(stream.documents.map((d) => findMarkedFields(d).map((f) => f.path))).toEqual(r.marked);

          const valueIter = values[Symbol.iterator]();
          const pieces: { at: number; len: number; now: () => string }[] = [];
          for (const d of stream.documents) {
            for (const f of findMarkedFields(d)) {
              pieces.push(...scalarPieces(f.scalar.srcToken as CST.FlowScalar | CST.BlockScalar));
              writeScalar(f, valueIter.next().value as string);
            }
          }
          const out = stream.toString();
          const written = encodeLossless(out);
          expect(written).toBeDefined();
          expect(roundTrips(written!, out)).toBe(true);

          // Byte for byte: the input's own bytes between the marked scalars, their new text as UTF-8.
          const byteAt = (index: number): number => encodeLossless(text.slice(0, index))!.length;
          pieces.sort((a, b) => a.at - b.at);
          const expected: Buffer[] = [];
          let pos = 0;
          for (const p of pieces) {
            expected.push(input.subarray(byteAt(pos), byteAt(p.at)), Buffer.from(p.now(), 'utf8'));
            pos = p.at + p.len;
          }
          expected.push(input.subarray(byteAt(pos)));
          expect(Buffer.from(written!).equals(Buffer.concat(expected))).toBe(true);
          // Nothing to pin: the same bytes.
          if (pieces.length === 0) expect(Buffer.from(written!).equals(input)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
