/**
 * Where `--explain` and `--explain-json` go: the text report to stderr, the JSON document to a
 * file (or stdout in file mode, with `-`). Both are built from what the run kept, after it.
 */
import { errorResult, formatResult, type KrmResult } from '../diagnostics/results.js';
import { explainRun, type ExplainDocument } from '../explain/report.js';
import { explainText } from '../explain/text.js';
import type { PipelineOutcome } from '../pipeline/pipeline.js';
import type { RegistryClient } from '../registry/types.js';

export interface ExplainRequest {
  /** `--explain`: the text report on stderr. */
  text: boolean;
  /** `--explain-json FILE`; `-` is stdout (file mode only: in KRM mode stdout is the ResourceList). */
  jsonFile?: string;
}

export const wantsExplanation = (request: ExplainRequest | undefined): request is ExplainRequest =>
  request !== undefined && (request.text || request.jsonFile !== undefined);

export function explanationOf(
  outcome: PipelineOutcome | undefined,
  registry: RegistryClient | undefined,
  displayPath?: (path: string) => string,
): ExplainDocument {
  const stopped = outcome && !outcome.resolution && outcome.failed ? outcome.results.filter((r) => r.severity === 'error') : [];
  return explainRun({
    sites: (outcome?.sites ?? []).map((w) => w.site),
    ...(outcome?.resolution ? { resolution: outcome.resolution } : {}),
    ...(stopped.length > 0 ? { stoppedBy: stopped.map((r: KrmResult) => formatResult(r)).join('; ') } : {}),
    ...(registry ? { usage: (repo) => registry.usage(repo) } : {}),
    requests: registry?.requestCount() ?? 0,
    ...(displayPath ? { displayPath } : {}),
  });
}

/** Writes what was asked for; a JSON file that cannot be written is an error result, so the run fails whole. */
export async function writeExplanation(
  request: ExplainRequest,
  document: ExplainDocument,
  streams: { out: NodeJS.WritableStream; err: NodeJS.WritableStream & { isTTY?: boolean } },
): Promise<KrmResult | undefined> {
  if (request.text) {
    const colour = streams.err.isTTY === true && !process.env.NO_COLOR;
    streams.err.write(explainText(document, { colour }));
  }
  if (request.jsonFile === undefined) return undefined;
  const json = `${JSON.stringify(document, null, 2)}\n`;
  if (request.jsonFile === '-') {
    streams.out.write(json);
    return undefined;
  }
  try {
    // node:fs/promises on demand: it loads a dozen modules only a report file needs.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(request.jsonFile, json);
    return undefined;
  } catch (error) {
    return errorResult(`cannot write --explain-json ${request.jsonFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
