import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMap, isSeq } from 'yaml';
import { parseResourceList } from '../../src/krm/resource-list.js';
import { parseYamlStream } from '../../src/markers/yaml-stream.js';
import { scanMarkerSites } from '../../src/resolve/writable-sites.js';

// parseResourceList scans only the items whose text could hold a marker, and places comments
// item by item instead of over the whole stream. Whatever it skips or splits, the markers and
// the ignored-marker warnings must be those a scan of every item of the whole stream finds.

const MARK = '# {"$imagepolicy": "flux-system:app"}';

/** Items (lines without the leading `- `/indent), each stressing one place a marker can hide. */
const ITEMS: Record<string, string[]> = {
  lineMarker: ['apiVersion: v1', 'kind: Pod', 'metadata: {name: line}', 'spec:', '  image: foo:1 ' + MARK],
  deepHeadMarker: [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: deep',
    'spec:',
    '  containers:',
    '  - name: a',
    '    args:',
    '    ' + MARK.replace('app', 'app:tag'),
    '    - "1.0"',
  ],
  markerInString: ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: text}', "data: {note: 'see " + MARK + "'}"],
  escapedMarker: ['apiVersion: v1', 'kind: Pod', 'metadata: {name: escaped}', 'spec:', '  image: foo:1 # {"\\u0024imagepolicy": "flux-system:app"}'],
  markerAboveKey: ['apiVersion: v1', 'kind: Pod', 'metadata: {name: above}', 'spec:', '  ' + MARK, '  image: foo:1'],
  brokenMarker: ['apiVersion: v1', 'kind: Pod', 'metadata: {name: broken}', 'spec:', '  image: foo:1 # {"$imagepolicy": "flux-system:app"} old'],
  commentAfterDash: ['# {"$imagepolicy": "flux-system:app"}', 'apiVersion: v1', 'kind: Pod', 'metadata: {name: dash}'],
  blockScalar: ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: block}', 'data:', '  image: | ' + MARK, '    foo:1', '    # {"$imagepolicy": "x:y"} inside'],
  flowMarker: ['apiVersion: v1', 'kind: Pod', 'metadata: {name: flow}', 'spec: {image: foo:1, ' + MARK, '  }'],
  lastLineMarker: ['apiVersion: v1', 'kind: Pod', 'metadata: {name: last}', 'image: foo:1 ' + MARK],
  plain: ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: plain}', 'data:', '  a: b # note'],
};

/** What may stand between two items: nothing, a blank line, or comment lines a marker could be mistaken in. */
const GAPS = ['', '\n', '# between\n', MARK + '\n', '\n' + MARK + '\n\n'];

function renderItem(lines: string[], indent: string): string {
  // `- # c` followed by the body: the comment after the dash heads the item's first key.
  if (lines[0]!.startsWith('#')) {
    return `${indent}- ${lines[0]}\n` + lines.slice(1).map((l) => `${indent}  ${l}\n`).join('');
  }
  return lines.map((l, i) => `${indent}${i === 0 ? '- ' : '  '}${l}\n`).join('');
}

function resourceListText(items: { name: string; gap: string }[], indent: string, crlf: boolean, tail: string): string {
  const body = items.map(({ name, gap }) => gap.replace(/^(?=.)/gm, indent) + renderItem(ITEMS[name]!, indent)).join('');
  const text = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${body}${tail}`;
  return crlf ? text.replace(/\n/g, '\r\n') : text;
}

/** A site or warning as a line that names the item, the field and the comment. */
function findings(index: number, node: unknown): string[] {
  const { sites, warnings } = scanMarkerSites(node, {});
  return [
    ...sites.map((s) => `${index} marker ${s.site.where.fieldPath} ${s.site.where.declaredBy} = ${s.site.current}`),
    ...warnings.map((w) => `${index} warning ${w.field?.path} ${w.message}`),
  ];
}

/** What run.ts gets: the findings of the items parseResourceList says may hold markers. */
function fastFindings(text: string): string[] {
  return parseResourceList(text).items.flatMap((item) => (item.mayHoldMarkers ? findings(item.index, item.node) : []));
}

/** The reference: comments placed over the whole stream, every item scanned. */
function fullFindings(text: string): string[] {
  const root = parseYamlStream(text).documents[0]!.contents;
  const items = isMap(root) ? root.get('items', true) : undefined;
  return isSeq(items) ? items.items.flatMap((node, index) => findings(index, node)) : [];
}

describe('which items are scanned for markers', () => {
  it('finds a marker in a head comment deep inside an item', () => {
    const text = resourceListText([{ name: 'plain', gap: '' }, { name: 'deepHeadMarker', gap: '' }], '', false, '');
    expect(fastFindings(text)).toEqual(['1 marker spec.containers[0].args[0] marker {"$imagepolicy": "flux-system:app:tag"} = 1.0']);
  });

  it('finds a marker spelt with a JSON \\u escape, as Flux\'s JSON decoder reads it', () => {
    const text = resourceListText([{ name: 'escapedMarker', gap: '' }], '', false, '');
    expect(fastFindings(text)).toEqual(['0 marker spec.image marker {"\\u0024imagepolicy": "flux-system:app"} = foo:1']);
  });

  it('reports nothing for $imagepolicy inside a string value', () => {
    const text = resourceListText([{ name: 'markerInString', gap: '' }], '', false, '');
    expect(parseResourceList(text).items[0]!.mayHoldMarkers).toBe(true);
    expect(fastFindings(text)).toEqual([]);
  });

  it('skips items without marker text, and a marker-looking comment between items belongs to none', () => {
    const text = resourceListText([{ name: 'plain', gap: '' }, { name: 'plain', gap: MARK + '\n' }], '  ', false, '');
    expect(parseResourceList(text).items.map((i) => i.mayHoldMarkers)).toEqual([false, true]);
    expect(fastFindings(text)).toEqual([]);
    expect(fullFindings(text)).toEqual([]);
  });

  it('finds markers in a flow-style item list', () => {
    const text = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: [
  {apiVersion: v1, kind: ConfigMap, metadata: {name: a}},
  {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {image: foo:1, ${MARK}
  }}
]
`;
    expect(parseResourceList(text).items.map((i) => i.mayHoldMarkers)).toEqual([true, true]);
    expect(fastFindings(text)).toEqual(['1 marker spec.image marker {"$imagepolicy": "flux-system:app"} = foo:1']);
  });

  it('warns about a marker above a key and after a dash, as a whole-stream scan does', () => {
    const text = resourceListText([{ name: 'markerAboveKey', gap: '' }, { name: 'commentAfterDash', gap: '' }], '', false, '');
    const findings = fastFindings(text);
    expect(findings).toHaveLength(2);
    expect(findings[0]).toMatch(/^0 warning spec\.image ignored .*line above a key/);
    expect(findings[1]).toMatch(/^1 warning apiVersion ignored .*line above a key/);
    expect(findings).toEqual(fullFindings(text));
  });

  it('property: the same markers and warnings as placing comments over the whole stream and scanning every item', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: fc.constantFrom(...Object.keys(ITEMS)), gap: fc.constantFrom(...GAPS) }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('', '  '),
        fc.boolean(),
        fc.constantFrom('', MARK + '\n', 'functionConfig: {a: b} ' + MARK + '\n', '...\n'),
        (items, indent, crlf, tail) => {
          const text = resourceListText(items, indent, crlf, tail);
          expect(parseYamlStream(text).errors).toEqual([]);
          expect(fastFindings(text)).toEqual(fullFindings(text));
          expect(parseResourceList(text).render([])).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });
});
