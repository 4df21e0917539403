import { ConfigError, loadFunctionConfig, type FunctionConfig } from '../config/function-config.js';
import { collectPolicies, type SourceObject } from '../config/policy-definitions.js';
import { errorResult, exitCodeOf, type KrmResult } from '../diagnostics/results.js';
import { runPipeline, type PipelineOptions, type PipelineOutcome, type PipelineReader } from '../pipeline/pipeline.js';
import { decodeResourceList, parseResourceList, ResourceListError } from './resource-list.js';

export interface KrmRunDependencies {
  /** Builds the registry access for this run; the config carries registries, cache and budget. */
  registryFor: PipelineOptions['registryFor'];
}

export interface KrmRunOutcome {
  /** The ResourceList to print, or '' when the input could not be read at all. */
  stdout: string;
  exitCode: 0 | 1;
  results: KrmResult[];
  /** Lines for stderr: problems a person should see even when kpt hides results. */
  diagnostics: string[];
  stats: { sites: number; pinned: number; unchanged: number };
  /** The pipeline's facts, for an explain report; undefined when the input or config was unusable. */
  pipeline?: PipelineOutcome;
}

/**
 * One KRM invocation: the ResourceList's items are the reader, the rendered list the writer.
 * `input` is stdin's bytes (which must be UTF-8) or text already decoded.
 */
export async function runKrm(input: string | Uint8Array, deps: KrmRunDependencies): Promise<KrmRunOutcome> {
  const noSites = { sites: 0, pinned: 0, unchanged: 0 };
  let list;
  try {
    list = parseResourceList(typeof input === 'string' ? input : decodeResourceList(input));
  } catch (error) {
    if (!(error instanceof ResourceListError)) throw error;
    // Printing nothing with exit 1 makes kpt and kustomize write nothing: no file is lost.
    return { stdout: '', exitCode: 1, results: [], diagnostics: [error.message], stats: noSites };
  }
  const finish = (results: KrmResult[], stats = noSites): KrmRunOutcome => ({
    stdout: list.render(results),
    exitCode: exitCodeOf(results),
    results,
    diagnostics: [],
    stats,
  });

  if (list.itemProblems.length > 0) return finish(list.itemProblems);
  let config: FunctionConfig;
  try {
    config = loadFunctionConfig(list.functionConfig);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return finish([errorResult(error.message)]);
  }

  const sources: SourceObject[] = list.items.map((item) => ({ object: item.object, origin: item.file ? { file: item.file } : {} }));
  const reader: PipelineReader = {
    items: list.items.map((item) => ({
      node: item.node,
      object: item.object,
      context: { resourceRef: item.resourceRef, ...(item.file ? { file: item.file } : {}) },
      mayHoldMarkers: item.mayHoldMarkers,
    })),
    policies: async () => ({ sources, collection: collectPolicies(sources, config) }),
    warnUnusedRules: true,
  };
  const outcome = await runPipeline(reader, { config, registryFor: deps.registryFor, write: true });
  return { ...finish(outcome.results, outcome.stats), pipeline: outcome };
}
