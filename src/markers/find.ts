import { CST, isAlias, isDocument, isMap, isPair, isScalar, isSeq, type Scalar } from 'yaml';
import { analyzeSequenceEntry, analyzeTokens, isAnalyzed, scalarContext } from './comments.js';
import { inspectMarkerComment, type MarkerRef } from './marker.js';

export interface MarkedField {
  ref: MarkerRef;
  /** Keys (always strings) and sequence indices from the node passed to findMarkedFields. */
  path: (string | number)[];
  /** The scalar's current string content (as written, whatever type YAML would give it). */
  value: string;
  scalar: Scalar;
}

/** A comment that mentions `$imagepolicy` on a field but that Flux would not apply. */
export interface MarkerProblem {
  path: (string | number)[];
  comment: string;
  problem: string;
}

export interface MarkerScan {
  fields: MarkedField[];
  problems: MarkerProblem[];
}

/**
 * Every scalar under `node` (a `yaml` AST node from parseYamlStream, or a Document) whose
 * comment is a Flux marker, in document order.
 */
export function findMarkedFields(node: unknown): MarkedField[] {
  return scanMarkers(node).fields;
}

/** findMarkedFields plus the would-be markers Flux would skip, so callers can warn about them. */
export function scanMarkers(node: unknown): MarkerScan {
  const root = isDocument(node) ? node.contents : node;
  const scan: MarkerScan = { fields: [], problems: [] };
  ensureAnalyzed(root);
  visit(root, [], scan);
  return scan;
}

// `path` is one array the walk pushes to and pops from; a finding takes a copy. A copy per
// node instead was most of the walk's allocation on a package of 500 marked Deployments.
function visit(node: unknown, path: (string | number)[], scan: MarkerScan): void {
  // Aliases are skipped like Flux's walker skips go-yaml AliasNodes; the anchored node is
  // visited (and rewritten) where it is defined.
  if (isAlias(node)) return;
  if (isScalar(node)) {
    check(node, path, scan);
  } else if (isMap(node)) {
    for (const pair of node.items) {
      path.push(keyName(pair.key));
      checkKey(pair.key, path, scan);
      visit(pair.value, path, scan);
      path.pop();
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      path.push(i);
      if (isPair(item)) {
        path.push(keyName(item.key));
        visit(item.value, path, scan);
        path.pop();
      } else visit(item, path, scan);
      path.pop();
    });
  }
}

function keyName(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return key == null ? '' : String(key);
}

function check(scalar: Scalar, path: (string | number)[], scan: MarkerScan): void {
  const token = scalar.srcToken;
  if (!token || !CST.isScalar(token)) return;
  const ctx = scalarContext(token);
  if (!ctx) return;
  // kyaml looks at the line comment first and stops there if it has one, marker or not.
  const comment = ctx.lineComment ?? ctx.headComment;
  if (comment === undefined) return;
  const { ref, problem } = inspectMarkerComment(comment);
  if (ref) scan.fields.push({ ref, path: [...path], value: scalarText(scalar), scalar });
  else if (problem) scan.problems.push({ path: [...path], comment, problem });
}

// People often put the marker on the line above `image: ...`; go-yaml hangs that comment on
// the key, so Flux never applies it. Say so rather than skip it silently.
function checkKey(key: unknown, path: (string | number)[], scan: MarkerScan): void {
  if (!isScalar(key) || !key.srcToken) return;
  const head = scalarContext(key.srcToken)?.headComment;
  if (head === undefined) return;
  const last = head.split('\n').pop() ?? head;
  if (inspectMarkerComment(last).ref) {
    scan.problems.push({
      path: [...path],
      comment: last,
      problem: 'a marker on the line above a key is not applied (Flux reads it as the key\'s comment); put it after the value on the same line',
    });
  }
}

// Every comment scanMarkers reports on contains MARKER_KEY, or JSON `\u` escapes that could
// spell it (JSON.parse, like Go's decoder, reads `"\u0024imagepolicy"` as the key).
const MARKER_TEXT = /\$imagepolicy|\\u/g;

/**
 * The entries of a block sequence whose source text could hold a marker, with their comments
 * placed for scanMarkers, keyed by their value token. scanMarkers on any other entry finds no
 * marker and no problem, so a caller may skip it: in a large ResourceList that is nearly all.
 */
export function prepareEntriesForMarkerScan(text: string, sequence: CST.BlockSequence): Set<CST.Token> {
  const entries = sequence.items.filter((entry) => entry.value !== undefined);
  const starts = entries.map((entry) => entry.start[0]?.offset ?? (entry.value as CST.Token).offset);
  const prepared = new Set<CST.Token>();
  const first = starts[0];
  if (first === undefined) return prepared;
  const markerText = new RegExp(MARKER_TEXT);
  markerText.lastIndex = first;
  for (let match = markerText.exec(text); match; match = markerText.exec(text)) {
    const entry = entries[lastIndexAtOrBefore(starts, match.index)]!;
    if (prepared.has(entry.value!)) continue;
    analyzeSequenceEntry(sequence, entry);
    prepared.add(entry.value!);
  }
  return prepared;
}

function lastIndexAtOrBefore(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (sorted[middle]! <= value) low = middle;
    else high = middle - 1;
  }
  return low;
}

export function scalarText(scalar: Scalar): string {
  const token = scalar.srcToken;
  if (token && CST.isScalar(token)) {
    const resolved = CST.resolveAsScalar(token, false, () => {});
    if (resolved) return resolved.value;
  }
  return scalar.value == null ? '' : String(scalar.value);
}

// A node composed outside parseYamlStream still works, with its own subtree as the stream
// (head comments above the subtree's first line are then out of sight).
function ensureAnalyzed(root: unknown): void {
  const token = (root as { srcToken?: CST.Token } | null)?.srcToken;
  if (!token) return;
  let probe: object | undefined;
  const find = (t: CST.Token): void => {
    if (probe) return;
    if (CST.isScalar(t)) probe = t;
    else if (CST.isCollection(t)) {
      for (const item of t.items) {
        if (item.value) find(item.value);
        if (probe) return;
      }
    }
  };
  find(token);
  if (probe && !isAnalyzed(probe)) analyzeTokens([token]);
}
