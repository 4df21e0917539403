// A multi-document YAML text kept as CST tokens, so that after editing a few scalar tokens the
// text can be printed again with every other byte untouched. `parseDocument(...).toString()`
// re-serialises and moves comments; CST.stringify of the original tokens does not.
import { Composer, CST, LineCounter, Parser, type Document } from 'yaml';
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
}

export function parseYamlStream(text: string): YamlStream {
  const lineCounter = new LineCounter();
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  // keepSourceTokens makes every AST node carry the CST token it came from (`srcToken`), which
  // is the handle writeScalar edits.
  const composer = new Composer({ keepSourceTokens: true });
  const documents = [...composer.compose(tokens, false, text.length)] as Document.Parsed[];
  analyzeTokens(tokens);

  const errors: YamlProblem[] = [];
  for (const doc of documents) {
    for (const err of doc.errors) {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      errors.push({ message: err.message.split('\n')[0] ?? err.message, line, col });
    }
  }
  return new TokenStream(tokens, documents, errors);
}
