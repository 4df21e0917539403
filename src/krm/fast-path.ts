// Large inputs: parse only the items that can matter.
//
// Most of a big package is objects no result can depend on: no marker, not a Flux image object,
// not a Secret. Those entries are cut out of the text before parsing and put back, as the bytes
// they were, when the list is printed. What is parsed is the header (up to the first entry), the
// entries that can matter and the trailer (functionConfig and the rest): a valid ResourceList of
// its own, whose edited entries are spliced back between the untouched bytes.
import { CST } from 'yaml';
import type { KrmResult } from '../diagnostics/results.js';
import { endsWithComment, entryCanBeSkipped, splitItems } from './item-split.js';
import { appendResults, plainResult } from './render.js';

/** What the fast path needs of resource-list.ts's full parse (given, not imported: that module calls this one). */
export interface Composed<L> {
  list: L;
  entries?: CST.BlockSequence['items'];
  hasResults: boolean;
}

type ListShape = { functionConfig: unknown; render(results: readonly KrmResult[]): string };

/** Which entries to parse: undefined when the input must be parsed whole. */
export function entriesToParse(text: string): { split: NonNullable<ReturnType<typeof splitItems>>; parsed: boolean[] } | undefined {
  const split = splitItems(text);
  if (!split) return undefined;
  const { entries } = split;
  const parsed = entries.map((e) => !entryCanBeSkipped(text, e.start, e.end));
  // Comment lines at the end of an entry's text may be the head comment of the next node; both
  // sides of such a seam are parsed, so every parsed entry sees the comments it sees in the input.
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < entries.length; i++) {
      if (!parsed[i]) continue;
      const before = i === 0 ? { start: 0, end: split.headerEnd } : entries[i - 1]!;
      if (i > 0 && !parsed[i - 1] && endsWithComment(text, before.start, before.end)) parsed[i - 1] = changed = true;
      if (i + 1 < entries.length && !parsed[i + 1] && endsWithComment(text, entries[i]!.start, entries[i]!.end)) parsed[i + 1] = changed = true;
    }
  }
  return { split, parsed };
}

/** The list, parsing only what can matter; undefined when the whole input must be parsed. */
export function parseFast<L extends ListShape>(text: string, compose: (text: string, indexOf: (position: number) => number) => Composed<L>): L | undefined {
  const plan = entriesToParse(text);
  if (!plan) return undefined;
  const { split, parsed } = plan;
  // The parsed text, and for each parsed entry where it lies there and in the input.
  const pieces: string[] = [text.slice(0, split.headerEnd)];
  let length = split.headerEnd;
  const kept: Array<{ index: number; at: number; start: number; end: number }> = [];
  split.entries.forEach((entry, index) => {
    if (!parsed[index]) return;
    kept.push({ index, at: length, ...entry });
    pieces.push(text.slice(entry.start, entry.end));
    length += entry.end - entry.start;
  });
  pieces.push(text.slice(split.trailerStart));
  const subset = pieces.join('');

  let composed: Composed<L>;
  try {
    composed = compose(subset, (position) => kept[position]?.index ?? -1);
  } catch {
    // An error's line and column must be those of the input: let the full parse report it.
    return undefined;
  }
  const { list, entries } = composed;
  // Results from an earlier function are merged by the full render; `images:` rules pin fields
  // without markers, in any item.
  if (composed.hasResults || !entries || entries.length !== kept.length || hasImageRules(list.functionConfig)) return undefined;

  // Each parsed entry's map, as text, must lie inside its piece: that is what is spliced back.
  const values: Array<{ token: CST.Token; start: number; source: string }> = [];
  for (let i = 0; i < kept.length; i++) {
    const value = entries[i]!.value;
    const piece = kept[i]!;
    if (!value) return undefined;
    const source = CST.stringify(value);
    const offset = value.offset - piece.at;
    if (offset < 0 || offset + source.length > piece.end - piece.start || subset.slice(value.offset, value.offset + source.length) !== source) return undefined;
    values.push({ token: value, start: piece.start + offset, source });
  }

  return {
    ...list,
    render: (results: readonly KrmResult[]) => {
      const out: string[] = [];
      let at = 0;
      for (const { token, start, source } of values) {
        const now = CST.stringify(token);
        if (now === source) continue;
        out.push(text.slice(at, start), now);
        at = start + source.length;
      }
      out.push(text.slice(at));
      const edited = out.join('');
      return results.length === 0 ? edited : appendResults(edited, results.map(plainResult));
    },
  };
}

function hasImageRules(functionConfig: unknown): boolean {
  const spec = (functionConfig as { spec?: { images?: unknown; fieldSpecs?: unknown } } | null | undefined)?.spec;
  return spec !== null && typeof spec === 'object' && (spec.images !== undefined || spec.fieldSpecs !== undefined);
}
