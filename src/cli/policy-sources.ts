import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type { FunctionConfig } from '../config/function-config.js';
import {
  collectPolicies,
  FLUX_IMAGE_GROUP,
  isFluxImageObject,
  objectKey,
  policyKey,
  repositoryKeyOf,
  type PolicyCollection,
  type SourceObject,
} from '../config/policy-definitions.js';
import type { WritableSite } from '../resolve/writable-sites.js';
import { expandPaths } from './discover.js';
import { decodeFileText, loadFile, parseFile, type LoadedFile } from './load-files.js';

const isPolicySource = (s: SourceObject): boolean =>
  isFluxImageObject(s.object, 'ImagePolicy') ||
  isFluxImageObject(s.object, 'ImageRepository') ||
  (s.object.kind === 'Secret' && s.object.type === 'kubernetes.io/dockerconfigjson');

/**
 * pre-commit passes only changed files, so the ImagePolicy a marker names often lives elsewhere:
 * look in the files given, in `--policies`, then, only for policies still missing, in the YAML
 * files under the current directory. Returns the sources with the policies collected from them.
 */
export async function gatherPolicySources(
  files: readonly LoadedFile[],
  policyPaths: readonly string[],
  writable: readonly WritableSite[],
  config: FunctionConfig,
): Promise<{ sources: SourceObject[]; collection: PolicyCollection }> {
  const seen = new Set(files.map((f) => resolvePath(f.path)));
  const sources = files.flatMap((f) => f.objects);
  for (const path of await expandPaths(policyPaths)) {
    if (seen.has(resolvePath(path))) continue;
    seen.add(resolvePath(path));
    const file = await loadFile(path, { strict: true });
    if (file) sources.push(...file.objects.filter(isPolicySource));
  }

  const collection = collectPolicies(sources, config);
  const missing = new Set(
    writable.map((w) => policyKey(w.site.policy.namespace, w.site.policy.name)).filter((key) => !collection.policies.has(key)),
  );
  if (missing.size === 0) return { sources, collection };
  const searched: SourceObject[] = [];
  for (const path of await expandPaths(['.'])) {
    if (seen.has(resolvePath(path))) continue;
    searched.push(...(await fluxObjectsIn(path)));
  }
  // Keep only what the missing policies need: other overlays may define unrelated objects twice.
  const all = [...sources, ...pickDefinitions(searched, missing)];
  return { sources: all, collection: collectPolicies(all, config) };
}

/** An unrelated or broken file elsewhere in the tree is not this run's business: skip it. */
async function fluxObjectsIn(path: string): Promise<SourceObject[]> {
  try {
    // Parsing every YAML file of a large repository costs more than reading it; most have no Flux objects.
    // Read as manifests are: a byte that is not UTF-8 stays itself instead of becoming U+FFFD.
    const { text } = decodeFileText(path, await readFile(path));
    if (!text.includes(FLUX_IMAGE_GROUP)) return [];
    return parseFile(path, text)?.objects.filter(isPolicySource) ?? [];
  } catch {
    return [];
  }
}

function pickDefinitions(found: readonly SourceObject[], missing: ReadonlySet<string>): SourceObject[] {
  const picked: SourceObject[] = [];
  for (const policy of found.filter((s) => isFluxImageObject(s.object, 'ImagePolicy') && missing.has(objectKey(s.object)))) {
    picked.push(policy);
    const repositoryKey = repositoryKeyOf(policy.object);
    const repositories = found.filter((s) => isFluxImageObject(s.object, 'ImageRepository') && objectKey(s.object) === repositoryKey);
    // Prefer the repository declared beside the policy when several overlays declare one.
    const sameFile = repositories.filter((r) => r.origin.file?.path === policy.origin.file?.path);
    picked.push(...(sameFile.length > 0 ? sameFile : repositories));
  }
  return [...new Set(picked)];
}
