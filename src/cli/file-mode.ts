import { readFile, realpath } from 'node:fs/promises';
import { ConfigError, loadFunctionConfig, type FunctionConfig } from '../config/function-config.js';
import { errorCount, formatResult, resourceRefOf, type KrmResult } from '../diagnostics/results.js';
import { parseYamlStream } from '../markers/yaml-stream.js';
import { runPipeline, type PipelineItem, type PipelineReader } from '../pipeline/pipeline.js';
import type { RegistryClient } from '../registry/types.js';
import { createRunRegistry } from '../setup/registry.js';
import { commitWrites, discardWrites, stageWrite, type StagedWrite } from './atomic-write.js';
import { displayPath, expandPaths } from './discover.js';
import { decodeFileText, encodeFileText, FileModeError, loadFiles, type LoadedFile } from './load-files.js';
import { gatherPolicySources } from './policy-sources.js';
import { explanationOf, wantsExplanation, writeExplanation, type ExplainRequest } from './explain-output.js';
import { startProgress } from './progress.js';
import { count, formatSummary, msSinceProcessStart, secondsSince, type RunSummary } from './summary.js';

export { FileModeError } from './load-files.js';

export interface FileModeOptions {
  paths: readonly string[];
  check: boolean;
  configFile?: string;
  policyPaths: readonly string[];
  offline: boolean;
  cacheDir?: string;
  /** `--timeout`: the run's time limit, over the functionConfig's `spec.timeout`. */
  timeout?: string;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream & { isTTY?: boolean };
  explain?: ExplainRequest;
}

/**
 * File mode: the files are the reader, atomic rewrites the writer, around the pipeline KRM mode
 * runs too. Exit codes: 0 done (or nothing stale), 1 `--check` found stale pins, 2 an error; no
 * file changed then.
 */
export async function runFileMode(options: FileModeOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const started = msSinceProcessStart();
  const summary: RunSummary = { sites: 0, changed: 0, unchanged: 0, errors: 0, requests: 0, seconds: 0, check: options.check };
  let registry: RegistryClient | undefined;
  const finish = (code: number, results: readonly KrmResult[] = []): number => {
    // Info results (each pin, Secrets found missing) would repeat on every commit; the pins are on stdout.
    for (const result of results) if (result.severity !== 'info') err.write(`${formatResult(result)}\n`);
    summary.errors = errorCount(results);
    summary.requests = registry?.requestCount() ?? 0;
    summary.seconds = secondsSince(started);
    err.write(`${formatSummary(summary)}${code === 2 ? '; no file was changed' : ''}\n`);
    return code;
  };

  try {
    const config = await loadConfigFile(options.configFile);
    if (options.offline) config.cache.offline = true;
    const files = await loadFiles(await expandPaths(options.paths));
    const reader: PipelineReader = {
      items: files.flatMap(itemsOf),
      policies: (sites) => gatherPolicySources(files, options.policyPaths, sites, config),
      // Rules that matched nothing are normal here: pre-commit passes only the changed files.
      warnUnusedRules: false,
    };
    const outcome = await runPipeline(reader, {
      config,
      write: !options.check,
      registryFor: (runConfig, sources, policies) =>
        (registry = createRunRegistry(runConfig, sources, policies, {
          offline: options.offline,
          ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
          ...(options.timeout ? { timeout: options.timeout } : {}),
        })),
      onResolving: (sites) =>
        startProgress({
          stream: err,
          describe: () =>
            `apply-image-policies: resolving ${count(sites.length, 'marked field')}… ${count(registry?.requestCount() ?? 0, 'registry request')}, ${secondsSince(started).toFixed(1)}s`,
        }),
    });
    summary.sites = outcome.stats.sites;
    if (wantsExplanation(options.explain)) {
      const failure = await writeExplanation(options.explain, explanationOf(outcome, registry, displayPath), { out, err });
      if (failure) return finish(2, [...outcome.results, failure]);
    }
    if (outcome.failed) return finish(2, outcome.results);

    const updates = outcome.resolution?.updates ?? [];
    summary.changed = updates.length;
    summary.unchanged = outcome.stats.unchanged;
    // With the JSON document on stdout, the pin lines would make it unreadable; it holds them.
    const pinLines = options.explain?.jsonFile === '-' ? [] : updates;
    for (const update of pinLines) {
      const where = update.site.where;
      out.write(`${displayPath(where.file?.path ?? '?')}: ${where.fieldPath}: ${update.site.current} → ${update.value}\n`);
    }
    if (options.check) return finish(updates.length > 0 ? 1 : 0, outcome.results);
    await writeChangedFiles(files);
    return finish(0, outcome.results);
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

/** Every object of a file, with the document that holds it (the node the pipeline edits). */
function itemsOf(file: LoadedFile): PipelineItem[] {
  return file.objects.flatMap((source) => {
    const index = source.origin.file?.index ?? 0;
    const document = file.stream.documents[index];
    if (!document) return [];
    return [{ node: document.contents, object: source.object, context: { resourceRef: resourceRefOf(source.object), file: { path: file.path, index } } }];
  });
}

async function loadConfigFile(path: string | undefined): Promise<FunctionConfig> {
  if (!path) return loadFunctionConfig(undefined);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new FileModeError(`cannot read --config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  // Read like manifests: a Latin-1 byte in a comment is no reason to refuse the run.
  const { text } = decodeFileText(path, bytes);
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
 * A file that is not UTF-8 is written back through the lossless codec, and only when the bytes
 * read back as exactly the edited text: every byte but the marked values' stays as it was.
 */
async function writeChangedFiles(files: readonly LoadedFile[]): Promise<void> {
  const changed: Array<{ file: LoadedFile; bytes: Uint8Array }> = [];
  for (const file of files) {
    const text = file.stream.toString();
    if (text === file.text) continue;
    changed.push({ file, bytes: encodeFileText(file, text) });
  }
  const staged: StagedWrite[] = [];
  try {
    for (const { file, bytes } of changed) staged.push(await stageWrite(await realpath(file.path), bytes));
  } catch (error) {
    await discardWrites(staged);
    const e = error as NodeJS.ErrnoException;
    throw new FileModeError(`cannot write ${e.path ?? ''}: ${e.code ?? e.message}`);
  }
  await commitWrites(staged);
}
