import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entriesToParse } from '../../src/krm/fast-path.js';
import { splitItems } from '../../src/krm/item-split.js';
import { parseResourceList, type ParsedResourceList } from '../../src/krm/resource-list.js';
import { scanMarkerSites, applyUpdates } from '../../src/resolve/writable-sites.js';

// The fast path parses only the entries that can matter and splices the rest back as bytes. For
// every input it must give what the full parse gives: the same items (objects, indices, marker
// findings), the same problems and errors, and, after the same edits, the same output bytes.

const MARK = '# {"$imagepolicy": "flux-system:app"}';

/** Everything run.ts sees of a parse, with every marked field written `pinned`. */
function observe(text: string, parse: 'full' | 'fast'): unknown {
  let list: ParsedResourceList;
  try {
    list = parseResourceList(text, { parse });
  } catch (error) {
    return { error: (error as Error).message };
  }
  const findings = list.items.map((item) => {
    const { sites, warnings } = item.mayHoldMarkers ? scanMarkerSites(item.node, {}) : { sites: [], warnings: [] };
    applyUpdates(sites, sites.map((s) => ({ site: s.site, value: `pinned-${item.index}` })) as never);
    return { index: item.index, sites: sites.map((s) => s.site.where.fieldPath), warnings: warnings.map((w) => w.message) };
  });
  return {
    objects: list.items.filter((i) => !isSkippable(i.object)).map((i) => ({ index: i.index, object: i.object })),
    findings: findings.filter((f) => f.sites.length > 0 || f.warnings.length > 0),
    problems: list.itemProblems,
    functionConfig: list.functionConfig,
    output: attempt(() => list.render([])),
    withResults: attempt(() => list.render([{ message: 'done', severity: 'info' }])),
  };
}

function attempt(render: () => string): string {
  try {
    return render();
  } catch (error) {
    return `threw ${(error as Error).message}`;
  }
}

/** Objects the fast path may leave out: it says which by their text, the full parse has them all. */
function isSkippable(object: Record<string, unknown>): boolean {
  return !['Secret', 'ImagePolicy', 'ImageRepository'].includes(String(object.kind)) && !JSON.stringify(object).includes('imagepolicy');
}

const head = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n';

const ITEMS = [
  '- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: plain\n  data:\n    a: b # note\n',
  `- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n  spec:\n    image: foo:1 ${MARK}\n`,
  '- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: block\n  data:\n    script: |2+\n        echo "hi\n      - not an item\n\n    folded: >-\n      a\n      b\n',
  "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: flow}\n  data: {a: [1,\n    2]}\n",
  '- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: anchored\n  data: &d\n    a: b\n',
  '- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: alias\n  data: *d\n',
  '- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: quoted\n  data:\n    a: "multi\n      line"\n    b: \'it\'\'s\n      two\'\n',
  '- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: creds\n  stringData:\n    k: v\n',
  '- apiVersion: 1\n  kind: ConfigMap\n',
  '- just a string\n',
  '- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: trailing-comment\n  # a comment after the item\n',
  `- # ${MARK.slice(2)}\n  apiVersion: v1\n  kind: Pod\n  metadata:\n    name: dash\n`,
  '- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: quoted-ok\n  data:\n    a: ":8080"\n    b: \'x\' # c\n',
];
const GAPS = ['', '\n', '# between\n', MARK + '\n', '  # indented\n'];
const TAILS = ['', 'functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data: {}\n', 'functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    a: b\n', '...\n', 'results:\n- message: earlier\n  severity: info\n', '---\napiVersion: v1\n'];

describe('the fast path', () => {
  it('property: gives what the full parse gives, byte for byte', () => {
    let split = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ item: fc.constantFrom(...ITEMS), gap: fc.constantFrom(...GAPS) }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(...TAILS),
        fc.boolean(),
        (items, tail, crlf) => {
          let text = head + items.map(({ item, gap }) => gap + item).join('') + tail;
          if (crlf) text = text.replace(/\n/g, '\r\n');
          runs += 1;
          if (entriesToParse(text)) split += 1;
          expect(observe(text, 'fast')).toEqual(observe(text, 'full'));
        },
      ),
      { numRuns: 400 },
    );
    // Most of these fall back (one unprovable line is enough); the next property covers the rest.
    expect(split).toBeGreaterThan(0);
  });

  it('property: splits every list made of provable lines, and still agrees with the full parse', () => {
    const provable = [0, 1, 2, 7, 8, 9, 10, 11, 12].map((i) => ITEMS[i]!);
    fc.assert(
      fc.property(
        fc.array(fc.record({ item: fc.constantFrom(...provable), gap: fc.constantFrom(...GAPS) }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom('', 'functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    a: b\n', '# the end\n'),
        (items, tail) => {
          const text = head + items.map(({ item, gap }) => gap + item).join('') + tail;
          expect(entriesToParse(text)).toBeDefined();
          expect(observe(text, 'fast')).toEqual(observe(text, 'full'));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('skips plain entries and parses the marked ones, Secrets and Flux objects', () => {
    const text = head + ITEMS[0]! + ITEMS[1]! + ITEMS[7]! + ITEMS[0]!;
    expect(entriesToParse(text)?.parsed).toEqual([false, true, true, false]);
    expect(parseResourceList(text, { parse: 'fast' }).items.map((i) => i.index)).toEqual([1, 2]);
    expect(observe(text, 'fast')).toEqual(observe(text, 'full'));
  });

  it('parses both sides of a comment that may head the next entry', () => {
    const text = head + ITEMS[10]! + ITEMS[1]!;
    expect(entriesToParse(text)?.parsed).toEqual([true, true]);
  });

  it.each([
    ['a multi-line double-quoted scalar', ITEMS[6]!],
    ['a flow collection', ITEMS[3]!],
    ['an anchor', ITEMS[4]!],
    ['a tab', '- apiVersion: v1\n  kind: ConfigMap\n  data:\n    a:\tb\n'],
    ['CRLF line ends', ITEMS[0]!.replace(/\n/g, '\r\n')],
  ])('falls back to the full parse on %s', (_, item) => {
    expect(splitItems(head + ITEMS[0]! + item)).toBeUndefined();
  });

  it.each([
    ['a document marker', head + ITEMS[0]! + '...\n'],
    ['a second document', head + ITEMS[0]! + '---\n'],
    ['flow-style items', 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n'],
    ['JSON', '{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": []}\n'],
    ['items indented under their key', head + '  - apiVersion: v1\n    kind: ConfigMap\n'],
  ])('falls back to the full parse on %s', (_, text) => {
    expect(splitItems(text)).toBeUndefined();
  });

  it('keeps the full parse below 1 MiB, so a YAML error in any item is still reported', () => {
    const text = head + ITEMS[0]!.replace('a: b # note', 'a: b\n    a: c') + ITEMS[1]!;
    expect(() => parseResourceList(text)).toThrow(/not valid YAML.*unique/);
    // The fast path does not look inside the entries it skips: this is the price of skipping them.
    expect(parseResourceList(text, { parse: 'fast' }).render([])).toBe(text);
  });

  it('keeps a block scalar whose content looks like an item inside its entry', () => {
    const split = splitItems(head + ITEMS[2]! + ITEMS[0]!);
    expect(split?.entries).toHaveLength(2);
  });

  it('gives what the full parse gives on the fixtures in test/ and examples/, as ResourceLists', () => {
    const files = [...yamlFiles('test'), ...yamlFiles('examples'), ...yamlFiles('/work/shared/flux-setter-fixtures')];
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const documents = readFileSync(file, 'utf8').split(/^---[ \t]*$/m).filter((d) => d.trim() !== '');
      const items = documents.map((doc, i) => {
        const body = doc.replace(/^\n+/, '').replace(/\n?$/, '\n');
        const annotated = `metadata:\n  annotations:\n    config.kubernetes.io/path: '${file}'\n    config.kubernetes.io/index: '${i}'\n`;
        return ('- ' + (annotated + body).replace(/\n(?=.)/g, '\n  ')).replace(/\n*$/, '\n');
      });
      const text = head + items.join('');
      expect({ file, seen: observe(text, 'fast') }).toEqual({ file, seen: observe(text, 'full') });
    }
  });
});

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}
