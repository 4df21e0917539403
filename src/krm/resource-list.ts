import { isMap, isNode, isScalar, isSeq, type CST, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { prepareEntriesForMarkerScan } from '../markers/find.js';
import { parseYamlStream, type YamlStream } from '../markers/yaml-stream.js';
import { decodeLossless, hexByte, type InvalidByte } from '../markers/lossless-text.js';
import { errorResult, resourceRefOf, type KrmResult, type ResourceRef } from '../diagnostics/results.js';
import { renderResults } from './render.js';
import { parseFast } from './fast-path.js';

export class ResourceListError extends Error {
  override name = 'ResourceListError';
}

/** One item with what results need to point at it. */
export interface ItemView {
  node: YAMLMap;
  object: Record<string, unknown>;
  index: number;
  resourceRef: ResourceRef;
  file?: { path: string; index?: number };
  /**
   * False when the item's text holds nothing a marker is made of: scanning it for markers
   * would find none, and in a large package that scan is most of the work.
   */
  mayHoldMarkers: boolean;
}

export interface ParsedResourceList {
  items: ItemView[];
  functionConfig: unknown;
  /** Problems with individual items (e.g. not KRM); the list itself is usable. */
  itemProblems: KrmResult[];
  /** The input with every CST edit applied and `results` set; nothing else changes. */
  render(results: readonly KrmResult[]): string;
}

const PATH_ANNOTATIONS = ['internal.config.kubernetes.io/path', 'config.kubernetes.io/path'];
const INDEX_ANNOTATIONS = ['internal.config.kubernetes.io/index', 'config.kubernetes.io/index'];

/**
 * The text of stdin, which must be UTF-8: kpt and kustomize always send it, so a byte that is not
 * is a file of the package saved in another encoding. Decoding it as Node does would turn the
 * byte into U+FFFD and send the changed file back to be written; instead the input is refused,
 * naming the item that holds the first bad byte so the user knows which file to convert.
 */
export function decodeResourceList(bytes: Uint8Array): string {
  const { text, firstInvalid } = decodeLossless(bytes);
  if (!firstInvalid) return text;
  const item = describeItemAt(text, firstInvalid);
  throw new ResourceListError(
    `input is not valid UTF-8: byte ${hexByte(firstInvalid.byte)}${item ? ` in ${item}` : ''} (line ${firstInvalid.line}, column ${firstInvalid.column}); kpt and kustomize send UTF-8: save the file it came from as UTF-8`,
  );
}

/** `items[0] Deployment/web (apps/web.yaml)` or `functionConfig`: where an offset of the list lies. */
function describeItemAt(text: string, at: InvalidByte): string | undefined {
  const stream = parseYamlStream(text, { comments: 'on-demand' });
  const root = stream.documents.find((d) => d.contents !== null)?.contents;
  if (!isMap(root)) return undefined;
  const within = (node: unknown): boolean => isNode(node) && node.range !== undefined && node.range !== null && node.range[0] <= at.index && at.index < node.range[2];
  const functionConfig = root.get('functionConfig', true) as unknown;
  if (within(functionConfig)) return 'functionConfig';
  const items = root.get('items', true) as unknown;
  if (!isSeq(items) || !within(items)) return undefined;
  // The last item starting at or before the byte: a comment between items belongs to the one above.
  let index = -1;
  items.items.forEach((node, i) => {
    if (isNode(node) && node.range && node.range[0] <= at.index) index = i;
  });
  if (index < 0) return undefined;
  const node = items.items[index];
  if (!isMap(node)) return `items[${index}]`;
  const object = node.toJSON() as Record<string, unknown>;
  const ref = resourceRefOf(object);
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  const path = firstString((metadata.annotations ?? {}) as Record<string, unknown>, PATH_ANNOTATIONS);
  const name = ref.kind || ref.name ? ` ${ref.kind ?? '?'}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name ?? '?'}` : '';
  return `items[${index}]${name}${path ? ` (${path})` : ''}`;
}

export interface ParseOptions {
  /**
   * `auto` (the default) parses only the items that can matter when the input is large and
   * its item boundaries can be proven (see fast-path.ts); `full` always parses everything,
   * which tests use as the reference, and `fast` tries the fast path whatever the size.
   */
  parse?: 'auto' | 'full' | 'fast';
}

/**
 * Below this, parsing everything costs little, and a YAML error anywhere (even in an item that
 * could not matter) is still reported: the fast path does not look inside the items it skips.
 */
export const FAST_PATH_MIN_LENGTH = 1 << 20;

/**
 * Parses stdin as the KRM spec's ResourceList. JSON is valid YAML, so one parser
 * serves both; the CST is kept so the items go back out byte for byte.
 */
export function parseResourceList(text: string, options: ParseOptions = {}): ParsedResourceList {
  const mode = options.parse ?? 'auto';
  if (mode === 'fast' || (mode === 'auto' && text.length >= FAST_PATH_MIN_LENGTH)) {
    const fast = parseFast(text, composeResourceList);
    if (fast) return fast;
  }
  return composeResourceList(text).list;
}

/** What the fast path needs of a parse besides the list: the CST of the items it edits. */
export interface ComposedList {
  list: ParsedResourceList;
  /** The items sequence's CST entries, in order (undefined when items is not a block sequence). */
  entries?: CST.BlockSequence['items'];
  /** Whether the root map has a top-level `results` key. */
  hasResults: boolean;
}

/**
 * The full parse of `text`. `indexOf` maps an entry's position in `text` to its index in the
 * input, when `text` holds only some of the input's items.
 */
export function composeResourceList(text: string, indexOf: (position: number) => number = (i) => i): ComposedList {
  const stream: YamlStream = parseYamlStream(text, { comments: 'on-demand' });
  if (stream.errors.length > 0) {
    const first = stream.errors[0]!;
    throw new ResourceListError(`input is not valid YAML or JSON: ${first.message} (line ${first.line}, column ${first.col})`);
  }
  const documents = stream.documents.filter((d) => d.contents !== null);
  if (documents.length !== 1) {
    throw new ResourceListError(
      `expected one ResourceList document on stdin, found ${documents.length === 0 ? 'none' : documents.length}`,
    );
  }
  const document = documents[0] as Document.Parsed;
  const root = document.contents;
  if (!isMap(root)) throw new ResourceListError('expected a ResourceList object on stdin, got ' + describeNode(root));
  const kind = root.get('kind') as unknown;
  const apiVersion = root.get('apiVersion') as unknown;
  if (kind !== 'ResourceList') {
    throw new ResourceListError(
      `expected kind ResourceList (apiVersion config.kubernetes.io/v1) on stdin, got kind ${JSON.stringify(kind ?? null)}; to rewrite files, pass their paths`,
    );
  }
  if (apiVersion !== 'config.kubernetes.io/v1' && apiVersion !== 'config.kubernetes.io/v1alpha1') {
    throw new ResourceListError(`unsupported ResourceList apiVersion ${JSON.stringify(apiVersion ?? null)}; expected config.kubernetes.io/v1`);
  }
  const itemsNode = root.get('items', true);
  if (itemsNode !== undefined && itemsNode !== null && !isSeq(itemsNode) && !(isScalar(itemsNode) && itemsNode.value === null)) {
    throw new ResourceListError('ResourceList items must be a list');
  }
  const items: ItemView[] = [];
  const itemProblems: KrmResult[] = [];
  const mayHoldMarkers = isSeq(itemsNode) ? markerCandidates(text, itemsNode, stream) : () => false;
  if (isSeq(itemsNode)) {
    itemsNode.items.forEach((node, position) => {
      const index = indexOf(position);
      if (!isMap(node)) {
        itemProblems.push(errorResult(`items[${index}] is not a KRM object: expected a map, got ${describeNode(node)}`));
        return;
      }
      const object = node.toJSON() as Record<string, unknown>;
      const metadata = (object.metadata ?? {}) as Record<string, unknown>;
      const annotations = (metadata.annotations ?? {}) as Record<string, unknown>;
      const resourceRef = resourceRefOf(object);
      const path = firstString(annotations, PATH_ANNOTATIONS);
      const fileIndex = firstString(annotations, INDEX_ANNOTATIONS);
      const file = path ? { path, ...(fileIndex && /^\d+$/.test(fileIndex) ? { index: Number(fileIndex) } : {}) } : undefined;
      if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
        itemProblems.push(errorResult(`items[${index}] is not a KRM object: apiVersion and kind must be strings`, { resourceRef, ...(file ? { file } : {}) }));
        return;
      }
      items.push({ node, object, index, resourceRef, ...(file ? { file } : {}), mayHoldMarkers: mayHoldMarkers(node) });
    });
  }
  // Only this node is converted: items can number tens of thousands.
  const functionConfigNode = root.get('functionConfig', true) as unknown;
  const functionConfig = isNode(functionConfigNode) ? functionConfigNode.toJSON() : undefined;
  const sequence = isSeq(itemsNode) ? (itemsNode as YAMLSeq & { srcToken?: CST.Token }).srcToken : undefined;

  return {
    list: {
      items,
      functionConfig,
      itemProblems,
      render: (results) => renderResults(stream, document, root, results),
    },
    ...(sequence?.type === 'block-seq' ? { entries: sequence.items } : {}),
    hasResults: root.has('results'),
  };
}

/** Decides which items need a marker scan, and places the comments of those that do. */
function markerCandidates(text: string, itemsNode: YAMLSeq, stream: YamlStream): (item: YAMLMap) => boolean {
  const sequence = (itemsNode as YAMLSeq & { srcToken?: CST.Token }).srcToken;
  if (sequence?.type !== 'block-seq') {
    // Flow-style lists come from JSON, which has no comments: not worth a fast path.
    stream.analyzeAllComments();
    return () => true;
  }
  const candidates = prepareEntriesForMarkerScan(text, sequence);
  return (item) => candidates.has((item as YAMLMap & { srcToken?: CST.Token }).srcToken!);
}

function firstString(record: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function describeNode(node: unknown): string {
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return `the scalar ${JSON.stringify(node.value)}`;
  if (node === null || node === undefined) return 'nothing';
  return 'something else';
}
