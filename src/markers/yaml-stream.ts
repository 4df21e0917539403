// A multi-document YAML text kept as CST tokens, so that after editing a few scalar tokens the
// text can be printed again with every other byte untouched. `parseDocument(...).toString()`
// re-serialises and moves comments; CST.stringify of the original tokens does not.
import { Composer, CST, isCollection, isPair, LineCounter, Parser, type Document } from 'yaml';
import { analyzeTokens } from './comments.js';

export interface YamlProblem {
  message: string;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
}

export interface YamlStream {
  documents: Document.Parsed[];
  errors: YamlProblem[];
  /** CST.stringify of all tokens, with edits */
  toString(): string;
  /** Places every scalar's comments, as parsing with `comments: 'eager'` does. */
  analyzeAllComments(): void;
}

class TokenStream implements YamlStream {
  constructor(
    readonly tokens: CST.Token[],
    readonly documents: Document.Parsed[],
    readonly errors: YamlProblem[],
  ) {}

  toString(): string {
    let out = '';
    for (const t of this.tokens) out += CST.stringify(t);
    return out;
  }

  analyzeAllComments(): void {
    analyzeTokens(this.tokens);
  }
}

export interface YamlStreamOptions {
  /**
   * `eager` (the default) places every scalar's comments while parsing. `on-demand` leaves that
   * to the caller (analyzeSequenceEntry), for inputs where most of the text cannot hold a marker:
   * placing the comments of a 20,000-item ResourceList costs more than composing it.
   */
  comments?: 'eager' | 'on-demand';
}

export function parseYamlStream(text: string, options: YamlStreamOptions = {}): YamlStream {
  const lineCounter = new LineCounter();
  const tokens = parseTokens(text, lineCounter);
  // keepSourceTokens makes every AST node carry the CST token it came from (`srcToken`), which
  // is the handle writeScalar edits.
  const composer = new Composer({ keepSourceTokens: true });
  const documents = [...composer.compose(tokens, false, text.length)] as Document.Parsed[];
  const errors: YamlProblem[] = [];
  for (const doc of documents) {
    for (const err of doc.errors) {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      // yaml's composer reports its own stack running out as a parse error.
      const message = /Maximum call stack size exceeded/.test(err.message) ? TOO_DEEP : (err.message.split('\n')[0] ?? err.message);
      errors.push({ message, line, col });
    }
  }
  // Every later walk (comments, markers, toJSON) recurses; a stack overflow would name nothing.
  const tooDeep = errors.length > 0 ? undefined : documents.map(deeperThanLimit).find((offset) => offset !== undefined);
  if (tooDeep !== undefined) {
    const { line, col } = lineCounter.linePos(tooDeep);
    errors.push({ message: TOO_DEEP, line, col });
  }
  // Input with errors is refused as a whole: nothing is placed, printed or edited.
  if (errors.length === 0 && options.comments !== 'on-demand') analyzeTokens(tokens);
  return new TokenStream(tokens, documents, errors);
}

/**
 * Deeper than any manifest needs (Kubernetes objects rarely pass 20), and shallow enough that
 * every recursive walk after the parse stays far from the stack's end.
 */
export const MAX_NESTING = 500;
const TOO_DEEP = `nested deeper than ${MAX_NESTING} levels`;

/** The offset of the first node nested deeper than {@link MAX_NESTING}, found without recursion. */
function deeperThanLimit(document: Document.Parsed): number | undefined {
  const pending: Array<{ node: unknown; depth: number }> = [{ node: document.contents, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, depth } = next;
    if (!isCollection(node)) continue;
    if (depth > MAX_NESTING) return node.range?.[0] ?? 0;
    for (const item of node.items) {
      if (isPair(item)) {
        pending.push({ node: item.key, depth: depth + 1 }, { node: item.value, depth: depth + 1 });
      } else {
        pending.push({ node: item, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

function parseTokens(text: string, lineCounter: LineCounter): CST.Token[] {
  // yaml's Parser reads process.env.LOG_TOKENS once per lexeme, and process.env is a native
  // interceptor: on a 9 MB ResourceList those reads alone took about a third of the parse's CPU.
  // A plain copy gives the same answer; the parse is synchronous, so no other code can see the swap.
  const env = process.env;
  process.env = { ...env };
  try {
    return [...new Parser(lineCounter.addNewLine).parse(text)];
  } finally {
    process.env = env;
  }
}
