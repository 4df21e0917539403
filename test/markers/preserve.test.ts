import { describe, expect, it } from 'vitest';
import { isMap, isSeq, parseAllDocuments } from 'yaml';
import { findMarkedFields, markerValue, parseYamlStream, writeScalar, type MarkedField } from '../../src/markers/index.js';

const DIGEST = 'sha256:' + '0123456789abcdef'.repeat(4);
const resolved = { image: 'ghcr.io/org/app', tag: 'v2.0.0', digest: DIGEST };

function applyAll(fields: MarkedField[]): void {
  for (const f of fields) writeScalar(f, markerValue(f.ref.suffix, resolved));
}

// Every construct the rule has to survive, with markers scattered through it. The expected
// output is the same text with only the marked values replaced.
const input = [
  '\uFEFF# leading comment, BOM before it',
  '%YAML 1.2',
  '---',
  'apiVersion: apps/v1   ',
  "kind: 'Deployment' # single-quoted",
  'metadata:',
  '  name: "app"',
  '  labels: {app: web, tier: "front"}   # flow map',
  '  annotations:',
  '    note: |',
  '      keep this',
  '        indented text',
  '',
  '    folded: >-',
  '      also kept',
  'spec:',
  '  replicas: 3',
  '  template:',
  '    spec:',
  '      containers:',
  '        - name: app',
  '          image: ghcr.io/org/app:v1.0.0 # {"$imagepolicy": "flux-system:app"}',
  '          args: [--port, "8080", --verbose]',
  '          env:',
  '            - {name: A, value: "1"}',
  '        - name: side   # indented sequence',
  "          image: 'ghcr.io/org/side:v1'  # {\"$imagepolicy\": \"flux-system:app:tag\"}",
  '      initContainers:',
  '      - name: init',
  '        image: &init "ghcr.io/org/init:v1" # {"$imagepolicy": "flux-system:app"}',
  '      - name: init-again',
  '        image: *init',
  '...',
  '--- # second document',
  'apiVersion: kustomize.config.k8s.io/v1beta1',
  'kind: Kustomization',
  'images:',
  '- name: app',
  '  newName: ghcr.io/org/app # {"$imagepolicy": "flux-system:app:name"}',
  '  newTag: v1.0.0 # {"$imagepolicy": "flux-system:app:tag"}',
  '  digest: | # {"$imagepolicy": "flux-system:app:digest"}',
  '    sha256:old',
  '',
  '---',
  'just a scalar document # {"$imagepolicy": "flux-system:app:tag"}',
  '---',
  '# an empty document',
  '---',
  'tabs:\tvalue # trailing whitespace after this line\t ',
  'args:',
  '  # {"$imagepolicy": "flux-system:app:tag"}',
  '  - v1.0.0',
  '  - "#not a comment"',
  '  - [nested, flow]',
  '...',
  '',
].join('\n');

const expected = input
  .replace('image: ghcr.io/org/app:v1.0.0 #', `image: ghcr.io/org/app:v2.0.0@${DIGEST} #`)
  .replace("image: 'ghcr.io/org/side:v1'", "image: 'v2.0.0'")
  .replace('image: &init "ghcr.io/org/init:v1"', `image: &init "ghcr.io/org/app:v2.0.0@${DIGEST}"`)
  .replace('newName: ghcr.io/org/app #', 'newName: ghcr.io/org/app #')
  .replace('newTag: v1.0.0 #', 'newTag: v2.0.0 #')
  .replace('digest: | #', 'digest: |- #')
  .replace('    sha256:old', `    ${DIGEST}`)
  .replace('just a scalar document #', 'v2.0.0 #')
  .replace('  - v1.0.0', '  - v2.0.0');

describe('byte preservation', () => {
  it('a stream full of comments, anchors, quotes, flow and block styles changes only in marked values', () => {
    const stream = parseYamlStream(input);
    expect(stream.errors).toEqual([]);
    expect(stream.toString()).toBe(input);
    expect(stream.documents).toHaveLength(5);

    const fields = stream.documents.flatMap((d) => findMarkedFields(d));
    expect(fields.map((f) => [f.path.join('.'), f.value])).toEqual([
      ['spec.template.spec.containers.0.image', 'ghcr.io/org/app:v1.0.0'],
      ['spec.template.spec.containers.1.image', 'ghcr.io/org/side:v1'],
      ['spec.template.spec.initContainers.0.image', 'ghcr.io/org/init:v1'],
      ['images.0.newName', 'ghcr.io/org/app'],
      ['images.0.newTag', 'v1.0.0'],
      ['images.0.digest', 'sha256:old\n'],
      ['', 'just a scalar document'],
      ['args.0', 'v1.0.0'],
    ]);
    applyAll(fields);
    expect(stream.toString()).toBe(expected);

    // the alias follows its anchor, as it does for Flux (one go-yaml node, two places)
    const docs = parseAllDocuments(stream.toString());
    const first = docs[0]!.toJS() as { spec: { template: { spec: { initContainers: { image: string }[] } } } };
    expect(first.spec.template.spec.initContainers.map((c) => c.image)).toEqual([
      `ghcr.io/org/app:v2.0.0@${DIGEST}`,
      `ghcr.io/org/app:v2.0.0@${DIGEST}`,
    ]);
  });

  it('CRLF files stay CRLF, and a file without a final newline keeps lacking it', () => {
    const crlf = input.replace(/\n/g, '\r\n').replace(/\r\n$/, '');
    const stream = parseYamlStream(crlf);
    expect(stream.toString()).toBe(crlf);
    applyAll(stream.documents.flatMap((d) => findMarkedFields(d)));
    expect(stream.toString()).toBe(expected.replace(/\n/g, '\r\n').replace(/\r\n$/, ''));
  });

  it('a stream without markers prints back identically', () => {
    const plain = input.replace(/\$imagepolicy/g, 'nothing');
    const stream = parseYamlStream(plain);
    expect(stream.documents.flatMap((d) => findMarkedFields(d))).toEqual([]);
    expect(stream.toString()).toBe(plain);
  });

  it.each(['', '\n', '---\n', '# only a comment\n', '...\n', '--- |\n  text\n', 'a: 1\n---\n---\nb: 2\n'])(
    'edge stream %j round-trips',
    (text) => {
      expect(parseYamlStream(text).toString()).toBe(text);
    },
  );

  it('reports syntax errors with positions and still round-trips the text', () => {
    const bad = 'a: 1\nb: [unclosed\nc: "x\n';
    const stream = parseYamlStream(bad);
    expect(stream.errors.length).toBeGreaterThan(0);
    expect(stream.errors[0]).toMatchObject({ line: expect.any(Number), col: expect.any(Number) });
    expect(stream.errors[0]!.line).toBeGreaterThanOrEqual(2);
    expect(stream.toString()).toBe(bad);
  });
});

describe('ResourceList input', () => {
  const resourceList = [
    'apiVersion: config.kubernetes.io/v1',
    'kind: ResourceList',
    'items:',
    '- apiVersion: apps/v1',
    '  kind: Deployment',
    '  metadata:',
    '    name: web',
    '    annotations:',
    "      config.kubernetes.io/index: '0'",
    "      config.kubernetes.io/path: 'apps/web.yaml'",
    "      internal.config.kubernetes.io/index: '0'",
    "      internal.config.kubernetes.io/path: 'apps/web.yaml'",
    "      internal.config.kubernetes.io/seqindent: 'compact'",
    '  spec:',
    '    template:',
    '      spec:',
    '        containers:',
    '        - name: web # the main container',
    '          image: ghcr.io/org/app:v1.0.0 # {"$imagepolicy": "flux-system:app"}',
    '- apiVersion: kustomize.config.k8s.io/v1beta1',
    '  kind: Kustomization',
    '  metadata:',
    '    name: kustomization',
    '    annotations:',
    "      config.kubernetes.io/index: '0'",
    "      config.kubernetes.io/path: 'kustomization.yaml'",
    "      internal.config.kubernetes.io/index: '0'",
    "      internal.config.kubernetes.io/path: 'kustomization.yaml'",
    '  images:',
    '  - name: app',
    '    newTag: v1.0.0 # {"$imagepolicy": "flux-system:app:tag"}',
    '- apiVersion: v1',
    '  kind: ConfigMap',
    '  metadata:',
    '    name: plain',
    '    annotations:',
    "      config.kubernetes.io/index: '1'",
    "      config.kubernetes.io/path: 'apps/web.yaml'",
    '  data:',
    '    # {"$imagepolicy": "flux-system:app"}',
    '    key: head comments on keys are ignored',
    '    tag: "1.0" # {"$imagepolicy": "flux-system:app:tag"}',
    'functionConfig:',
    '  apiVersion: v1',
    '  kind: ConfigMap',
    '  metadata:',
    '    name: function-input',
    '  data: {}',
    '',
  ].join('\n');

  it('finds markers per item, at every depth, and rewrites only them', () => {
    const stream = parseYamlStream(resourceList);
    expect(stream.errors).toEqual([]);
    const list = stream.documents[0]!.get('items', true);
    if (!isSeq(list)) throw new Error('items is not a sequence');
    const perItem = list.items.map((item) => {
      expect(isMap(item)).toBe(true);
      return findMarkedFields(item);
    });
    expect(perItem.map((fs) => fs.map((f) => f.path.join('.')))).toEqual([
      ['spec.template.spec.containers.0.image'],
      ['images.0.newTag'],
      ['data.tag'],
    ]);
    applyAll(perItem.flat());
    expect(stream.toString()).toBe(
      resourceList
        .replace('image: ghcr.io/org/app:v1.0.0 #', `image: ghcr.io/org/app:v2.0.0@${DIGEST} #`)
        .replace('newTag: v1.0.0 #', 'newTag: v2.0.0 #')
        .replace('tag: "1.0" #', 'tag: "v2.0.0" #'),
    );
  });
});
