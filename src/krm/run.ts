import { ConfigError, loadFunctionConfig, type FunctionConfig } from '../config/function-config.js';
import { collectPolicies, type PolicyDefinition, type SourceObject } from '../config/policy-definitions.js';
import type { RegistryNotice } from '../registry/types.js';
import { withRequestBudget } from '../resolve/budget.js';
import { resolveSites, type ResolverRegistry } from '../resolve/resolve.js';
import { compileImageRules, imageRuleProblems, objectSites, unusedImageRules } from '../resolve/image-fields.js';
import { applyUpdates } from '../resolve/writable-sites.js';
import { parseResourceList, ResourceListError } from './resource-list.js';
import { hasErrors, type KrmResult } from './results.js';

export interface KrmRunDependencies {
  /** Builds the registry access for this run; the config carries registries, cache and budget. */
  registryFor(
    config: FunctionConfig,
    sources: readonly SourceObject[],
    policies: ReadonlyMap<string, PolicyDefinition>,
  ): (ResolverRegistry & { notices?(): RegistryNotice[] }) | Promise<ResolverRegistry & { notices?(): RegistryNotice[] }>;
}

export interface KrmRunOutcome {
  /** The ResourceList to print, or '' when the input could not be read at all. */
  stdout: string;
  exitCode: 0 | 1;
  results: KrmResult[];
  /** Lines for stderr: problems a person should see even when kpt hides results. */
  diagnostics: string[];
  stats: { sites: number; pinned: number; unchanged: number };
}

/**
 * One KRM invocation. Nothing is written into the items unless every site
 * resolved: a partial pin would leave a package half-updated and hide why.
 */
export async function runKrm(input: string, deps: KrmRunDependencies): Promise<KrmRunOutcome> {
  const stats = { sites: 0, pinned: 0, unchanged: 0 };
  let list;
  try {
    list = parseResourceList(input);
  } catch (error) {
    if (!(error instanceof ResourceListError)) throw error;
    // Printing nothing with exit 1 makes kpt and kustomize write nothing: no file is lost.
    return { stdout: '', exitCode: 1, results: [], diagnostics: [error.message], stats };
  }

  const fail = (results: KrmResult[]): KrmRunOutcome => ({
    stdout: list.render(results),
    exitCode: 1,
    results,
    diagnostics: [],
    stats,
  });

  if (list.itemProblems.length > 0) return fail(list.itemProblems);

  let config: FunctionConfig;
  try {
    config = loadFunctionConfig(list.functionConfig);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail([{ severity: 'error', message: error.message }]);
  }

  const sources: SourceObject[] = list.items.map((item) => ({
    object: item.object,
    origin: item.file ? { file: item.file } : {},
  }));
  const { policies, problems } = collectPolicies(sources, config);
  if (problems.length > 0) return fail(problems);

  const { rules, problems: ruleProblems } = compileImageRules(config);
  if (ruleProblems.length > 0) return fail(ruleProblems);

  // Comments Flux would ignore (broken JSON, a marker above a key) look managed but are not.
  const ignoredMarkers: KrmResult[] = [];
  const writable = list.items.flatMap((item) => {
    const context = { resourceRef: item.resourceRef, ...(item.file ? { file: item.file } : {}) };
    const { sites, warnings } = objectSites(item.node, item.object, context, rules, item.mayHoldMarkers);
    ignoredMarkers.push(...warnings);
    return sites;
  });
  stats.sites = writable.length;
  const ruleErrors = imageRuleProblems(rules, policies, writable);
  if (ruleErrors.length > 0) return fail(ruleErrors);
  const warnings = [...ignoredMarkers, ...unusedImageRules(rules, writable)];
  if (writable.length === 0) return { stdout: list.render(warnings), exitCode: 0, results: warnings, diagnostics: [], stats };

  const registry = withRequestBudget(await deps.registryFor(config, sources, policies), config.requestBudget);
  const resolution = await resolveSites(
    writable.map((w) => w.site),
    policies,
    registry,
  );
  // Rate limits running low and Secrets missing from the inputs matter most when a run fails.
  const notices: KrmResult[] = (registry.notices?.() ?? []).map((n) => ({ severity: n.severity, message: n.message }));
  if (hasErrors(resolution.results)) return fail([...warnings, ...notices, ...resolution.results]);

  applyUpdates(writable, resolution.updates);
  stats.pinned = resolution.updates.length;
  stats.unchanged = resolution.unchanged.length;
  const results = [...warnings, ...notices, ...resolution.results];
  return { stdout: list.render(results), exitCode: 0, results, diagnostics: [], stats };
}
