/**
 * The one pipeline both entries run, in the manner of kyaml's `kio.Pipeline`: a reader hands over
 * the items and finds the policies their markers name; the pipeline finds the marked fields,
 * checks the rules, resolves every site against the registry and writes the new values into the
 * items' YAML nodes; the entry's writer then renders a ResourceList or rewrites files. KRM mode
 * and file mode differ only in their readers and writers.
 */
import type { FunctionConfig } from '../config/function-config.js';
import type { PolicyCollection, PolicyDefinition, SourceObject } from '../config/policy-definitions.js';
import { hasErrors, infoResult, warningResult, type KrmResult } from '../diagnostics/results.js';
import { withRequestBudget } from '../resolve/budget.js';
import { compileImageRules, imageRuleProblems, objectSites, unusedImageRules } from '../resolve/image-fields.js';
import type { RegistryPort } from '../resolve/registry-port.js';
import { resolveSites, type Resolution } from '../resolve/resolve.js';
import { applyUpdates, type NodeContext, type WritableSite } from '../resolve/writable-sites.js';

/** One object to look for marked fields in: its YAML node (to edit) and its plain form (to read). */
export interface PipelineItem {
  node: unknown;
  object: Record<string, unknown>;
  context: NodeContext;
  /** False when a cheap text scan proved the object holds no marker comment. Default true. */
  mayHoldMarkers?: boolean;
}

export interface PipelineReader {
  items: readonly PipelineItem[];
  /**
   * The policies the sites may name, with the objects they came from (which also hold the Secrets
   * their repositories name). Given the sites, so a reader can search further for missing ones.
   */
  policies(sites: readonly WritableSite[]): Promise<{ sources: readonly SourceObject[]; collection: PolicyCollection }>;
  /**
   * Whether an `images:` rule that matched no field deserves a warning: in a whole package it is
   * usually a misspelt repository; among the few files pre-commit passes it is normal.
   */
  warnUnusedRules: boolean;
}

export interface PipelineOptions {
  config: FunctionConfig;
  /** Builds the registry access for this run, only once there is something to resolve. */
  registryFor(config: FunctionConfig, sources: readonly SourceObject[], policies: ReadonlyMap<string, PolicyDefinition>): RegistryPort | Promise<RegistryPort>;
  /** Write the new values into the items' nodes (file mode's `--check` only reports them). */
  write: boolean;
  /** Add each field's funnel line to its result message; default: the functionConfig's `spec.explain`. */
  explainInResults?: boolean;
  /** Called once the registry work starts; the returned `stop` when it ends (progress lines). */
  onResolving?(sites: readonly WritableSite[]): { stop(): void };
}

export interface PipelineOutcome {
  /** An error result stopped the run; no item was changed. */
  failed: boolean;
  /** Warnings about the input, the registry's notices, then the resolution's own results. */
  results: KrmResult[];
  sites: WritableSite[];
  /** Undefined when the run stopped before any registry work, or had nothing to resolve. */
  resolution?: Resolution;
  stats: { sites: number; pinned: number; unchanged: number };
}

/** Nothing is written into the items unless every site resolved: a partial pin would leave a package half-updated and hide why. */
export async function runPipeline(reader: PipelineReader, options: PipelineOptions): Promise<PipelineOutcome> {
  const { config } = options;
  const stats = { sites: 0, pinned: 0, unchanged: 0 };
  const stop = (results: KrmResult[], sites: WritableSite[] = [], resolution?: Resolution): PipelineOutcome => ({
    failed: hasErrors(results),
    results,
    sites,
    ...(resolution ? { resolution } : {}),
    stats,
  });

  const { rules, problems: ruleProblems } = compileImageRules(config);
  if (ruleProblems.length > 0) return stop(ruleProblems);

  // Comments Flux would ignore (broken JSON, a marker above a key) look managed but are not.
  const warnings: KrmResult[] = [];
  const sites = reader.items.flatMap((item) => {
    const found = objectSites(item.node, item.object, item.context, rules, item.mayHoldMarkers ?? true);
    warnings.push(...found.warnings);
    return found.sites;
  });
  stats.sites = sites.length;

  const { sources, collection } = await reader.policies(sites);
  if (collection.problems.length > 0) return stop([...warnings, ...collection.problems], sites);
  const ruleErrors = imageRuleProblems(rules, collection.policies, sites);
  if (ruleErrors.length > 0) return stop([...warnings, ...ruleErrors], sites);
  if (reader.warnUnusedRules) warnings.push(...unusedImageRules(rules, sites));
  if (sites.length === 0) return stop(warnings, sites);

  const registry = withRequestBudget(await options.registryFor(config, sources, collection.policies), config.requestBudget);
  const progress = options.onResolving?.(sites);
  let resolution: Resolution;
  try {
    resolution = await resolveSites(
      sites.map((w) => w.site),
      collection.policies,
      registry,
      { explain: options.explainInResults ?? config.explain === true },
    );
  } finally {
    progress?.stop();
  }
  // Rate limits running low and Secrets missing from the inputs matter most when a run fails.
  const notices = (registry.notices?.() ?? []).map((n) => (n.severity === 'warning' ? warningResult(n.message) : infoResult(n.message)));
  const results = [...warnings, ...notices, ...resolution.results];
  if (hasErrors(resolution.results)) return stop(results, sites, resolution);

  if (options.write) applyUpdates(sites, resolution.updates);
  stats.pinned = resolution.updates.length;
  stats.unchanged = resolution.unchanged.length;
  return stop(results, sites, resolution);
}
