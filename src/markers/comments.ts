// Which comment belongs to which scalar, decided the way Flux sees it.
//
// Flux reads comments through go-yaml v3 nodes: for a scalar it looks at the node's
// LineComment, and only when that is empty at its HeadComment (kyaml fieldmeta.Read stops at the
// first non-empty one). Flux walks mapping *values* and sequence items only, never keys, so a
// comment go-yaml hangs on a key is invisible to it. go-yaml's placement (its node_test.go):
//   `k: v # c`            -> LineComment of v
//   `k: | # c` / `k: >-`  -> LineComment of the block scalar
//   `- v # c`             -> LineComment of v
//   `[a, # c` / `{k: v, # c` (multi-line flow) -> LineComment of a / v
//   `# c` + `- v`         -> HeadComment of v
//   `- # c` + `  - v`     -> HeadComment of v (the comment after a dash heads what follows)
//   `# c` + `k: v`        -> HeadComment of the key k (so not a marker)
//   `k: # c` + `  v`      -> LineComment of the key k (so not a marker)
//   `[a, b] # c`          -> LineComment of the flow sequence (so not a marker)
//   several comment lines -> one multi-line HeadComment (never valid JSON, so not a marker)
// The `yaml` package's own AST places comments differently, so this works on the CST: the
// whole stream is flattened into source order and each scalar's comments are found by
// scanning forward (same line) and backward (the comment lines directly above).
import { CST } from 'yaml';

export interface ScalarContext {
  /** Comment on the scalar's own line (after it, or after its block-scalar header). */
  lineComment?: string;
  /** The comment lines directly above the scalar (joined with `\n`, each with its `#`). */
  headComment?: string;
  /** Inside a flow collection, where `,[]{}` end a plain scalar. */
  inFlow: boolean;
}

type ScalarToken = CST.FlowScalar | CST.BlockScalar;

/** A token in source order: the CST token itself wherever it has a source, read and never changed. */
interface Flat {
  readonly type: string;
  readonly source: string;
}

/** The context of a scalar with no comment outside any flow collection: most scalars, shared. */
const PLAIN_CONTEXT: ScalarContext = Object.freeze({ inFlow: false });

const contexts = new WeakMap<object, ScalarContext>();

export function scalarContext(token: object | undefined): ScalarContext | undefined {
  return token ? contexts.get(token) : undefined;
}

export function isAnalyzed(token: object): boolean {
  return contexts.has(token);
}

const PROPS = new Set(['space', 'anchor', 'tag']);

/**
 * Record the comment context of every scalar in `tokens`, which should be a whole stream (the
 * top-level tokens in order) so that comments before the first document are seen too.
 */
export function analyzeTokens(tokens: readonly CST.Token[]): void {
  const flat: Flat[] = [];
  const pending: { node: ScalarToken; at: number; idx: number; inFlow: boolean }[] = [];

  // The tokens themselves, not copies: a marked ResourceList entry has hundreds of them, and
  // a copy each was most of what placing comments allocated.
  const push = (t: { type: string; source?: string }): number => {
    flat.push(typeof t.source === 'string' ? (t as Flat) : { type: t.type, source: '' });
    return flat.length - 1;
  };
  const pushAll = (ts: readonly CST.SourceToken[] | undefined): void => {
    if (ts) for (const t of ts) push(t);
  };

  // `at` is where the backward scan for a head comment starts: the `-` of a block sequence
  // item (comments sit above the dash) or the value itself.
  const walk = (tok: CST.Token, inFlow: boolean, at?: number): void => {
    switch (tok.type) {
      case 'document':
        pushAll(tok.start);
        if (tok.value) walk(tok.value, false);
        pushAll(tok.end);
        return;
      case 'doc-end':
        push(tok);
        pushAll(tok.end);
        return;
      case 'block-map':
        for (const item of tok.items) {
          pushAll(item.start);
          if (item.key) walk(item.key, false);
          pushAll(item.sep);
          if (item.value) walk(item.value, false);
        }
        return;
      case 'block-seq':
        for (const item of tok.items) {
          let dash: number | undefined;
          for (const t of item.start) {
            const i = push(t);
            if (t.type === 'seq-item-ind') dash = i;
            // the value starts on a later line: its own line is where head comments end
            else if (t.type === 'newline' && dash !== undefined) dash = undefined;
          }
          if (item.value) walk(item.value, false, dash);
        }
        return;
      case 'flow-collection':
        push(tok.start);
        for (const item of tok.items) {
          pushAll(item.start);
          if (item.key) walk(item.key, true);
          pushAll(item.sep);
          if (item.value) walk(item.value, true);
        }
        pushAll(tok.end);
        return;
      case 'block-scalar': {
        const first = flat.length;
        for (const t of tok.props) push(t);
        const idx = flat.push(tok) - 1;
        pending.push({ node: tok, at: at ?? first, idx, inFlow });
        // The body owns its final line break; a zero-width newline lets the line scans see
        // that the next token starts a fresh line.
        if (/\n$/.test(tok.source)) flat.push({ type: 'newline', source: '' });
        return;
      }
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar': {
        const idx = flat.push(tok) - 1;
        pending.push({ node: tok, at: at ?? idx, idx, inFlow });
        pushAll(tok.end);
        return;
      }
      case 'alias':
        // go-yaml keeps aliases as AliasNode, which Flux's walker skips.
        push(tok);
        pushAll(tok.end);
        return;
      default:
        push(tok);
    }
  };
  for (const t of tokens) walk(t, false);

  for (const p of pending) {
    const line = p.node.type === 'block-scalar' ? headerComment(p.node) : trailingComment(flat, p.idx, p.inFlow);
    const head = commentAbove(flat, p.at);
    if (line === undefined && head === undefined && !p.inFlow) {
      contexts.set(p.node, PLAIN_CONTEXT);
      continue;
    }
    const ctx: ScalarContext = { inFlow: p.inFlow };
    if (line !== undefined) ctx.lineComment = line;
    if (head !== undefined) ctx.headComment = head;
    contexts.set(p.node, ctx);
  }
}

/**
 * Record the comment context of every scalar in one entry of a block sequence, as
 * analyzeTokens over the whole stream would. A head comment is searched upwards through
 * comment-only lines, and the entry's dash line is never one, so no scan leaves the entry;
 * a line comment sits on its scalar's own line, which the entry holds too.
 */
export function analyzeSequenceEntry(sequence: CST.BlockSequence, entry: CST.BlockSequence['items'][number]): void {
  analyzeTokens([{ ...sequence, items: [entry] }]);
}

function headerComment(tok: CST.BlockScalar): string | undefined {
  for (const t of tok.props.slice(1)) {
    if (t.type === 'space') continue;
    return t.type === 'comment' ? t.source : undefined;
  }
  return undefined;
}

function trailingComment(flat: Flat[], idx: number, inFlow: boolean): string | undefined {
  let commaSeen = false;
  for (let i = idx + 1; i < flat.length; i++) {
    const t = flat[i]!;
    if (t.type === 'space') continue;
    // In a flow collection go-yaml gives `a, # c` to `a`.
    if (t.type === 'comma' && inFlow && !commaSeen) {
      commaSeen = true;
      continue;
    }
    return t.type === 'comment' ? t.source : undefined;
  }
  return undefined;
}

/** The run of whole-line comments ending on the line right above flat[at], if any. */
function commentAbove(flat: Flat[], at: number): string | undefined {
  let i = at - 1;
  while (i >= 0 && PROPS.has(flat[i]!.type)) i--;
  // The node must start its line: `k: v` or `- - v` have no head comment of their own.
  if (i < 0 || flat[i]!.type !== 'newline') return undefined;
  const lines: string[] = [];
  for (;;) {
    // flat[i] ends the previous line; look at what that line holds.
    let j = i - 1;
    const onLine: Flat[] = [];
    while (j >= 0 && flat[j]!.type !== 'newline') {
      if (flat[j]!.type !== 'space' && flat[j]!.type !== 'byte-order-mark') onLine.push(flat[j]!);
      j--;
    }
    // `- # c` followed by the item's content on the next lines: go-yaml makes `# c` the head
    // comment of that content (node_test: "- # HA1\n  - la"), and nothing above it counts.
    if (onLine.length === 2 && onLine[0]!.type === 'comment' && onLine[1]!.type === 'seq-item-ind') {
      lines.unshift(onLine[0]!.source);
      break;
    }
    const only = onLine.length === 1 ? onLine[0] : undefined;
    if (only?.type === 'comment') {
      lines.unshift(only.source);
      if (j < 0) break;
      i = j;
      continue;
    }
    // A blank line right above the node: go-yaml may give the comments beyond it to the
    // previous item as a foot comment, so do not claim them.
    break;
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}
