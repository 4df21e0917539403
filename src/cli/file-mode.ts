import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { isMap } from 'yaml';
import { ConfigError, loadFunctionConfig, type FunctionConfig } from '../config/function-config.js';
import { collectPolicies, isFluxImageObject, policyKey, type SourceObject } from '../config/policy-definitions.js';
import { formatResult, hasErrors, type KrmResult } from '../krm/results.js';
import { parseYamlStream, type YamlStream } from '../markers/yaml-stream.js';
import { resolveSites } from '../resolve/resolve.js';
import { applyUpdates, markerSites, resourceRefOf, type WritableSite } from '../resolve/writable-sites.js';
import { createRunRegistry } from '../setup/registry.js';
import { commitWrites, discardWrites, stageWrite, type StagedWrite } from './atomic-write.js';
import { displayPath, expandPaths } from './discover.js';

export interface FileModeOptions {
  paths: readonly string[];
  check: boolean;
  configFile?: string;
  policyPaths: readonly string[];
  offline: boolean;
  cacheDir?: string;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

interface LoadedFile {
  path: string;
  text: string;
  stream: YamlStream;
  objects: SourceObject[];
}

export class FileModeError extends Error {
  override name = 'FileModeError';
}

/** Exit codes: 0 done (or nothing stale), 1 `--check` found stale pins, 2 an error; no file changed then. */
export async function runFileMode(options: FileModeOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const started = performance.now();
  try {
    const config = await loadConfigFile(options.configFile);
    if (options.offline) config.cache.offline = true;
    const files = await loadFiles(await expandPaths(options.paths));
    const writable = files.flatMap((file) =>
      file.objects.flatMap((source, index) => {
        const document = file.stream.documents[source.origin.file?.index ?? index];
        return document ? markerSites(document.contents, { resourceRef: resourceRefOf(source.object), file: { path: file.path, index: source.origin.file?.index ?? index } }) : [];
      }),
    );
    const policySources = await gatherPolicySources(files, options.policyPaths, writable, config);
    const { policies, problems } = collectPolicies(policySources, config);
    if (problems.length > 0) return report(err, problems, 2);
    if (writable.length === 0) {
      err.write(`apply-image-policies: no $imagepolicy markers in ${files.length} file${files.length === 1 ? '' : 's'}\n`);
      return 0;
    }
    const registry = createRunRegistry(config, policySources, {
      offline: options.offline,
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    });
    const resolution = await resolveSites(
      writable.map((w) => w.site),
      policies,
      registry,
    );
    await registry.close();
    if (hasErrors(resolution.results)) return report(err, resolution.results, 2);

    for (const update of resolution.updates) {
      const where = update.site.where;
      out.write(`${displayPath(where.file?.path ?? '?')}: ${where.fieldPath}: ${update.site.current} → ${update.value}\n`);
    }
    const summary = `${writable.length} marked field${writable.length === 1 ? '' : 's'}, ${resolution.updates.length} ${options.check ? 'stale' : 'pinned'}, ${resolution.unchanged.length} unchanged, ${registry.requestCount()} registry requests, ${((performance.now() - started) / 1000).toFixed(2)}s`;
    if (options.check) {
      err.write(`apply-image-policies --check: ${summary}\n`);
      return resolution.updates.length > 0 ? 1 : 0;
    }
    applyUpdates(writable, resolution.updates);
    await writeChangedFiles(files, new Set(resolution.updates.map((u) => u.site.where.file?.path)));
    err.write(`apply-image-policies: ${summary}\n`);
    return 0;
  } catch (error) {
    if (error instanceof FileModeError || error instanceof ConfigError) {
      err.write(`apply-image-policies: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function report(err: NodeJS.WritableStream, results: readonly KrmResult[], code: number): number {
  for (const result of results) err.write(`${formatResult(result)}\n`);
  err.write(`apply-image-policies: ${results.filter((r) => r.severity === 'error').length} error(s); no file was changed\n`);
  return code;
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

async function loadFiles(paths: readonly string[]): Promise<LoadedFile[]> {
  return Promise.all(paths.map(loadFile));
}

async function loadFile(path: string): Promise<LoadedFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FileModeError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const stream = parseYamlStream(text);
  if (stream.errors.length > 0) {
    const e = stream.errors[0]!;
    throw new FileModeError(`${path}:${e.line}:${e.col}: not valid YAML: ${e.message}`);
  }
  const objects: SourceObject[] = [];
  stream.documents.forEach((document, index) => {
    // A document that is not an object (a bare scalar, a list) is left alone byte for byte.
    if (isMap(document.contents)) {
      objects.push({ object: document.toJSON() as Record<string, unknown>, origin: { file: { path, index } } });
    }
  });
  return { path, text, stream, objects };
}

/**
 * pre-commit passes only changed files, so the ImagePolicy a marker names often
 * lives elsewhere: look in `--policies`, then, for policies still missing, in the
 * YAML files under the current directory.
 */
async function gatherPolicySources(
  files: readonly LoadedFile[],
  policyPaths: readonly string[],
  writable: readonly WritableSite[],
  config: FunctionConfig,
): Promise<SourceObject[]> {
  const loaded = new Set(files.map((f) => resolvePath(f.path)));
  const sources = files.flatMap((f) => f.objects);
  const addFrom = async (paths: readonly string[], keep: (s: SourceObject) => boolean): Promise<void> => {
    for (const path of await expandPaths(paths)) {
      if (loaded.has(resolvePath(path))) continue;
      loaded.add(resolvePath(path));
      let file: LoadedFile;
      try {
        file = await loadFile(path);
      } catch (error) {
        if (paths === policyPaths) throw error;
        continue; // An unrelated broken file elsewhere in the tree is not this run's business.
      }
      sources.push(...file.objects.filter(keep));
    }
  };
  const isFlux = (s: SourceObject): boolean =>
    isFluxImageObject(s.object, 'ImagePolicy') ||
    isFluxImageObject(s.object, 'ImageRepository') ||
    (s.object.kind === 'Secret' && s.object.type === 'kubernetes.io/dockerconfigjson');
  await addFrom(policyPaths, isFlux);

  const defined = new Set(collectPolicies(sources, config).policies.keys());
  const missing = new Set(
    writable.map((w) => policyKey(w.site.policy.namespace, w.site.policy.name)).filter((key) => !defined.has(key)),
  );
  if (missing.size === 0) return sources;
  const before = sources.length;
  await addFrom(['.'], isFlux);
  // Keep only what the missing policies need: other overlays may define unrelated objects twice.
  const searched = sources.splice(before);
  return [...sources, ...pickDefinitions(searched, missing)];
}

function pickDefinitions(found: readonly SourceObject[], missing: ReadonlySet<string>): SourceObject[] {
  const keyOf = (s: SourceObject): string => {
    const metadata = (s.object.metadata ?? {}) as Record<string, unknown>;
    return policyKey(typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default', String(metadata.name));
  };
  const picked: SourceObject[] = [];
  for (const policy of found.filter((s) => isFluxImageObject(s.object, 'ImagePolicy') && missing.has(keyOf(s)))) {
    picked.push(policy);
    const spec = (policy.object.spec ?? {}) as Record<string, unknown>;
    const ref = (spec.imageRepositoryRef ?? {}) as Record<string, unknown>;
    const policyNamespace = keyOf(policy).split('/')[0] as string;
    const repositoryKey = policyKey(typeof ref.namespace === 'string' ? ref.namespace : policyNamespace, String(ref.name));
    const repositories = found.filter((s) => isFluxImageObject(s.object, 'ImageRepository') && keyOf(s) === repositoryKey);
    // Prefer the repository declared beside the policy when several overlays declare one.
    const sameFile = repositories.filter((r) => r.origin.file?.path === policy.origin.file?.path);
    picked.push(...(sameFile.length > 0 ? sameFile : repositories));
  }
  return [...new Set(picked)];
}

async function writeChangedFiles(files: readonly LoadedFile[], changed: ReadonlySet<string | undefined>): Promise<void> {
  const staged: StagedWrite[] = [];
  try {
    for (const file of files) {
      if (!changed.has(file.path)) continue;
      const text = file.stream.toString();
      if (text !== file.text) staged.push(await stageWrite(file.path, text));
    }
  } catch (error) {
    await discardWrites(staged);
    throw new FileModeError(`cannot write ${(error as NodeJS.ErrnoException).path ?? ''}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; no file was changed`);
  }
  await commitWrites(staged);
}
