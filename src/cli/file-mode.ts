import { readFile, realpath } from 'node:fs/promises';
import { ConfigError, loadFunctionConfig, type FunctionConfig } from '../config/function-config.js';
import { formatResult, hasErrors, resourceRefOf, type KrmResult } from '../krm/results.js';
import { parseYamlStream } from '../markers/yaml-stream.js';
import { resolveSites } from '../resolve/resolve.js';
import { withRequestBudget } from '../resolve/budget.js';
import { compileImageRules, imageRuleProblems, objectSites, type ImageRules } from '../resolve/image-fields.js';
import { applyUpdates, type WritableSite } from '../resolve/writable-sites.js';
import { createRunRegistry, type RunRegistry } from '../setup/registry.js';
import { commitWrites, discardWrites, stageWrite, type StagedWrite } from './atomic-write.js';
import { displayPath, expandPaths } from './discover.js';
import { FileModeError, loadFiles, type LoadedFile } from './load-files.js';
import { gatherPolicySources } from './policy-sources.js';
import { startProgress } from './progress.js';
import { count, formatSummary, secondsSince, type RunSummary } from './summary.js';

export { FileModeError } from './load-files.js';

export interface FileModeOptions {
  paths: readonly string[];
  check: boolean;
  configFile?: string;
  policyPaths: readonly string[];
  offline: boolean;
  cacheDir?: string;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Exit codes: 0 done (or nothing stale), 1 `--check` found stale pins, 2 an error; no file changed then. */
export async function runFileMode(options: FileModeOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const started = performance.now();
  const summary: RunSummary = { sites: 0, changed: 0, unchanged: 0, errors: 0, requests: 0, seconds: 0, check: options.check };
  let registry: RunRegistry | undefined;
  const finish = (code: number, results: readonly KrmResult[] = []): number => {
    // Registry warnings (a rate limit running low) say why the next run may fail; file mode has no
    // results list, so they go to stderr with the errors. Info notices would repeat on every commit.
    const warnings = (registry?.notices() ?? []).filter((notice) => notice.severity === 'warning');
    for (const result of [...results, ...warnings]) err.write(`${formatResult(result)}\n`);
    summary.errors = results.filter((r) => r.severity === 'error').length;
    summary.requests = registry?.requestCount() ?? 0;
    summary.seconds = secondsSince(started);
    err.write(`${formatSummary(summary)}${code === 2 ? '; no file was changed' : ''}\n`);
    return code;
  };

  try {
    const config = await loadConfigFile(options.configFile);
    if (options.offline) config.cache.offline = true;
    const { rules, problems: ruleProblems } = compileImageRules(config);
    if (ruleProblems.length > 0) return finish(2, ruleProblems);
    const files = await loadFiles(await expandPaths(options.paths));
    const ignoredMarkers: KrmResult[] = [];
    const writable = files.flatMap((file) => sitesOf(file, rules, ignoredMarkers));
    summary.sites = writable.length;
    const { sources: policySources, collection } = await gatherPolicySources(files, options.policyPaths, writable, config);
    const { policies, problems } = collection;
    if (problems.length > 0) return finish(2, [...ignoredMarkers, ...problems]);
    // Rules that matched nothing are normal here: pre-commit passes only the changed files.
    const ruleErrors = imageRuleProblems(rules, policies, writable);
    if (ruleErrors.length > 0) return finish(2, [...ignoredMarkers, ...ruleErrors]);
    if (writable.length === 0) return finish(0, ignoredMarkers);

    registry = createRunRegistry(config, policySources, policies, {
      offline: options.offline,
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    });
    const budgeted = withRequestBudget(registry, config.requestBudget);
    const progress = startProgress({
      stream: err,
      describe: () =>
        `apply-image-policies: resolving ${count(writable.length, 'marked field')}… ${count(registry?.requestCount() ?? 0, 'registry request')}, ${secondsSince(started).toFixed(1)}s`,
    });
    const resolution = await resolveSites(
      writable.map((w) => w.site),
      policies,
      budgeted,
    ).finally(() => progress.stop());
    const notices = resolution.results.filter((r) => r.severity === 'warning');
    if (hasErrors(resolution.results)) return finish(2, [...ignoredMarkers, ...resolution.results]);

    summary.changed = resolution.updates.length;
    summary.unchanged = resolution.unchanged.length;
    for (const update of resolution.updates) {
      const where = update.site.where;
      out.write(`${displayPath(where.file?.path ?? '?')}: ${where.fieldPath}: ${update.site.current} → ${update.value}\n`);
    }
    if (options.check) return finish(resolution.updates.length > 0 ? 1 : 0, [...ignoredMarkers, ...notices]);
    applyUpdates(writable, resolution.updates);
    await writeChangedFiles(files);
    return finish(0, [...ignoredMarkers, ...notices]);
  } catch (error) {
    if (error instanceof FileModeError || error instanceof ConfigError) {
      err.write(`apply-image-policies: ${error.message}\n`);
      return finish(2);
    }
    throw error;
  } finally {
    await registry?.close();
  }
}

/** Marker sites first, then `spec.images` matches; a field with a marker is not matched twice. */
function sitesOf(file: LoadedFile, rules: ImageRules, ignoredMarkers: KrmResult[]): WritableSite[] {
  return file.objects.flatMap((source) => {
    const index = source.origin.file?.index ?? 0;
    const document = file.stream.documents[index];
    if (!document) return [];
    const context = { resourceRef: resourceRefOf(source.object), file: { path: file.path, index } };
    const { sites, warnings } = objectSites(document.contents, source.object, context, rules);
    ignoredMarkers.push(...warnings);
    return sites;
  });
}

async function loadConfigFile(path: string | undefined): Promise<FunctionConfig> {
  if (!path) return loadFunctionConfig(undefined);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FileModeError(`cannot read --config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const stream = parseYamlStream(text);
  if (stream.errors.length > 0) {
    const e = stream.errors[0]!;
    throw new FileModeError(`${path}:${e.line}:${e.col}: ${e.message}`);
  }
  const objects = stream.documents.filter((d) => d.contents !== null).map((d) => d.toJSON() as unknown);
  if (objects.length !== 1) throw new FileModeError(`${path}: expected one ApplyImagePolicies document, found ${objects.length}`);
  return loadFunctionConfig(objects[0], path);
}

/**
 * Stages every changed file before renaming any, so a failure (a read-only folder, a full disk)
 * changes no file at all. A symlinked manifest is written through its link, which stays a link.
 */
async function writeChangedFiles(files: readonly LoadedFile[]): Promise<void> {
  const staged: StagedWrite[] = [];
  try {
    for (const file of files) {
      const text = file.stream.toString();
      if (text !== file.text) staged.push(await stageWrite(await realpath(file.path), text));
    }
  } catch (error) {
    await discardWrites(staged);
    const e = error as NodeJS.ErrnoException;
    throw new FileModeError(`cannot write ${e.path ?? ''}: ${e.code ?? e.message}`);
  }
  await commitWrites(staged);
}
