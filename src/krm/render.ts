import { isSeq, type CST, type Document, type YAMLMap } from 'yaml';
import type { YamlStream } from '../markers/yaml-stream.js';
import type { KrmResult } from '../diagnostics/results.js';
import { stringifyResults } from './results-yaml.js';

/**
 * Writes the ResourceList back. Items are emitted from the edited CST so every
 * byte a user or kpt put there survives; only the top-level `results` entry is
 * (re)written, keeping results an earlier function in the pipeline reported.
 */
export function renderResults(stream: YamlStream, document: Document.Parsed, root: YAMLMap, results: readonly KrmResult[]): string {
  const earlier = root.get('results', true);
  const earlierResults = isSeq(earlier) ? (earlier.toJSON() as unknown[]) : [];
  const merged = [...earlierResults, ...results.map(plainResult)];
  const blockMap = (root as YAMLMap & { srcToken?: CST.Token }).srcToken;

  if (blockMap?.type === 'block-map' && blockMap.indent === 0) {
    const index = blockMap.items.findIndex((item) => item.key && 'source' in item.key && item.key.source === 'results');
    const removed = index >= 0 ? blockMap.items.splice(index, 1) : [];
    const text = stream.toString();
    if (merged.length === 0) return text;
    // Appending after a `...` would start a new document; let the AST place results then.
    if (!endsWithDocumentEnd(text)) return appendResults(text, merged);
    blockMap.items.splice(index, 0, ...removed);
  }

  // Flow-style (JSON) input carries no comments to lose; let the AST print it.
  if (merged.length > 0) document.set('results', merged);
  else document.delete('results');
  return document.toString({ lineWidth: 0 });
}

/** `text`, a block map at column 0 that does not end in `...`, with a `results:` list after it. */
export function appendResults(text: string, results: readonly unknown[]): string {
  return `${text}${text.endsWith('\n') ? '' : '\n'}${stringifyResults(results)}`;
}

/** Only the tail can hold the marker; a regex over megabytes of output cost more than parsing it. */
function endsWithDocumentEnd(text: string): boolean {
  const tail = text.slice(text.trimEnd().lastIndexOf('\n') + 1);
  return /^\.\.\.[ \t]*(#.*)?$/.test(tail.trimEnd());
}

/** A result as it reads back from JSON: no undefined fields, which yaml would print as nulls. */
export function plainResult(result: KrmResult): unknown {
  return JSON.parse(JSON.stringify(result)) as unknown;
}
