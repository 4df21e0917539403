// The `results:` block, printed without yaml's generic stringifier.
//
// `stringify({ results }, { lineWidth: 0 })` builds a Document and a node per value before it
// prints anything: for the 500 results of a 500-marker run that was ~150 ms of a cold run. Results
// are small maps of strings, so this prints them directly, in exactly the bytes the stringifier
// would: a result with anything it does not prove is printed plain (a string that would need
// quotes, a number that is not an integer, an empty map or list…) is handed to yaml as before,
// alone, and its text cut out of the one-item list yaml prints. An object met twice (yaml would
// print an anchor and an alias) sends the whole list to yaml. test/krm/results-yaml.test.ts
// compares both for generated results.
import { Document, stringify } from 'yaml';

/** Exactly `stringify({ results }, { lineWidth: 0 })`. */
export function stringifyResults(results: readonly unknown[]): string {
  const seen = new Set<object>();
  if (results.length === 0 || !results.every((result) => isTree(result, seen))) return stringify({ results }, { lineWidth: 0 });
  const out: string[] = ['results:\n'];
  for (const result of results) {
    const lines: string[] = [];
    if (isPlainMap(result) && emitMap(result, '    ', lines)) {
      out.push('  - ', lines.join('\n').slice(4), '\n');
    } else {
      out.push(viaYaml(result));
    }
  }
  return out.join('');
}

/** One item as yaml prints it in a list of one: the text after `results:\n`. */
function viaYaml(result: unknown): string {
  const text = stringify({ results: [result] }, { lineWidth: 0 });
  return text.slice('results:\n'.length);
}

/**
 * Whether no object under `value` is one met before (in `seen`, which it adds to): with none,
 * yaml prints no anchor or alias, and an item prints alike alone or in the list.
 */
function isTree(value: unknown, seen: Set<object>): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (seen.has(value)) return false;
  seen.add(value);
  return Object.values(value).every((v) => isTree(v, seen));
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function isPlainMap(value: unknown): value is Record<string, Json> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * Appends the lines of a block map at `indent` (each line carries its indent); false when some
 * part is not one this printer proves, and the caller falls back to yaml.
 */
function emitMap(map: Record<string, Json>, indent: string, lines: string[]): boolean {
  const keys = Object.keys(map);
  if (keys.length === 0) return false;
  for (const key of keys) {
    if (!plainKey(key)) return false;
    const value = map[key] as unknown;
    if (typeof value === 'string') {
      if (!plainValue(value)) return false;
      lines.push(`${indent}${key}: ${value}`);
    } else if (typeof value === 'number') {
      if (!Number.isSafeInteger(value) || Object.is(value, -0)) return false;
      lines.push(`${indent}${key}: ${String(value)}`);
    } else if (typeof value === 'boolean') {
      lines.push(`${indent}${key}: ${String(value)}`);
    } else if (isPlainMap(value)) {
      lines.push(`${indent}${key}:`);
      if (!emitMap(value, indent + '  ', lines)) return false;
    } else if (Array.isArray(value)) {
      lines.push(`${indent}${key}:`);
      if (!emitSeq(value, indent + '  ', lines)) return false;
    } else {
      // null, undefined (not JSON), functions, class instances: yaml decides.
      return false;
    }
  }
  return true;
}

/** The lines of a block sequence at `indent` (`- ` then the item); false as for emitMap. */
function emitSeq(seq: readonly unknown[], indent: string, lines: string[]): boolean {
  if (seq.length === 0) return false;
  for (const item of seq) {
    if (typeof item === 'string') {
      if (!plainValue(item)) return false;
      lines.push(`${indent}- ${item}`);
    } else if (typeof item === 'number') {
      if (!Number.isSafeInteger(item) || Object.is(item, -0)) return false;
      lines.push(`${indent}- ${String(item)}`);
    } else if (typeof item === 'boolean') {
      lines.push(`${indent}- ${String(item)}`);
    } else if (isPlainMap(item)) {
      const at = lines.length;
      if (!emitMap(item, indent + '  ', lines)) return false;
      // The item's first line takes the `- ` in place of two of its indent's spaces.
      lines[at] = `${indent}- ${lines[at]!.slice(indent.length + 2)}`;
    } else {
      return false;
    }
  }
  return true;
}

/**
 * Text the stringifier prints plain, as it is, as a map value or list item: printable characters
 * only, nothing that starts an indicator or a comment, no `: `, no newline, no space at either
 * end (stringifyString's plainString), and nothing the core schema reads as another type.
 */
const SAFE_TEXT = /^[^\x00-\x20\x7f-\x9f\u2028\u2029\ud800-\udfff,[\]{}#&*!|>'"%@`?:-](?:[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]*[^\x00-\x20\x7f-\x9f\u2028\u2029\ud800-\udfff:])?$/;

function plainValue(value: string): boolean {
  if (!SAFE_TEXT.test(value)) return false;
  if (value.includes(': ') || value.includes(' #')) return false;
  return !resolvesAsOtherType(value);
}

/** Keys: the same, and short and simple enough that no rule for keys applies. */
function plainKey(key: string): boolean {
  return key.length <= 128 && /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(key) && !resolvesAsOtherType(key);
}

let coreTags: Array<{ test: RegExp }> | undefined;

/** The test plainString makes: would a default tag other than str read this text? */
function resolvesAsOtherType(text: string): boolean {
  coreTags ??= (new Document().schema.tags as Array<{ default?: boolean | 'key'; tag: string; test?: RegExp }>)
    .filter((tag) => tag.default && tag.tag !== 'tag:yaml.org,2002:str' && tag.test)
    .map((tag) => ({ test: tag.test! }));
  return coreTags.some((tag) => tag.test.test(text));
}
