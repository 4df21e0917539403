// The `images:` mode: pin container image fields chosen by repository rather than by a
// `$imagepolicy` comment. kustomize hands transformers JSON-converted resources with every
// comment gone, so there a marker cannot exist; a rule in the functionConfig can.
import { isMap, isScalar, isSeq, type Scalar } from 'yaml';
import type { FieldSpec, FunctionConfig } from '../config/function-config.js';
import { policyKey, type PolicyDefinition } from '../config/policy-definitions.js';
import { errorResult, warningResult, type KrmResult } from '../diagnostics/results.js';
import { scalarText } from '../markers/find.js';
import { parseReference, parseRepository } from '../registry/name.js';
import type { ImageRepository } from '../registry/types.js';
import { scanMarkerSites, siteLocation, type NodeContext, type WritableSite } from './writable-sites.js';

/** One step of a field path: a map key, or every entry of a list (`[]`). */
type Step = { key: string } | { each: true };

interface PathRule {
  kind?: string;
  apiVersion?: string;
  /** Groups (`''` is the core group) a built-in path applies to; custom fieldSpecs match apiVersion exactly. */
  groups?: readonly string[];
  steps: Step[];
}

export interface ImageRule {
  index: number;
  /** The rule's repository as written, for messages. */
  name: string;
  repository: ImageRepository;
  policy: { namespace: string; name: string };
  declaredBy: string;
}

export interface ImageRules {
  rules: ImageRule[];
  paths: PathRule[];
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

function podSpecPaths(prefix: string, kinds: readonly string[], groups: readonly string[]): PathRule[] {
  return kinds.flatMap((kind) =>
    CONTAINER_LISTS.map((list) => ({ kind, groups, steps: parseFieldPath(`${prefix}${list}[].image`) })),
  );
}

// The workload kinds Kubernetes itself defines, in the groups that have served them. A
// custom resource that happens to be called `Deployment` is left to fieldSpecs.
const BUILT_IN_PATHS: readonly PathRule[] = [
  ...podSpecPaths('spec.', ['Pod'], ['']),
  ...podSpecPaths('template.spec.', ['PodTemplate'], ['']),
  ...podSpecPaths('spec.template.spec.', ['ReplicationController'], ['']),
  ...podSpecPaths('spec.template.spec.', ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'], ['apps', 'extensions']),
  ...podSpecPaths('spec.template.spec.', ['Job'], ['batch']),
  ...podSpecPaths('spec.jobTemplate.spec.template.spec.', ['CronJob'], ['batch']),
];

export class FieldPathError extends Error {
  override name = 'FieldPathError';
}

/** `spec.components[].image` → steps; `[]` walks every entry of a list. */
export function parseFieldPath(path: string): Step[] {
  const steps: Step[] = [];
  for (const segment of path.split('.')) {
    const match = /^([^[\]]+)((?:\[\])*)$/.exec(segment);
    if (!match) {
      throw new FieldPathError(`${JSON.stringify(path)} is not a dot path like spec.components[].image (segment ${JSON.stringify(segment)})`);
    }
    steps.push({ key: match[1] as string });
    for (let i = 0; i < (match[2] as string).length / 2; i++) steps.push({ each: true });
  }
  return steps;
}

/**
 * Reads `spec.images` and `spec.fieldSpecs`. Problems name the config entry, so a typo in a
 * repository fails the run instead of silently matching nothing.
 */
export function compileImageRules(config: Pick<FunctionConfig, 'images' | 'fieldSpecs'>): { rules: ImageRules; problems: KrmResult[] } {
  const problems: KrmResult[] = [];
  const rules: ImageRule[] = [];
  config.images.forEach((rule, index) => {
    const declaredBy = `functionConfig spec.images[${index}] (name: ${rule.name})`;
    const [namespace = '', name = ''] = rule.policy.split(':');
    try {
      const repository = parseRepository(rule.name);
      const earlier = rules.find((r) => sameRepository(r.repository, repository));
      if (earlier) {
        problems.push(errorResult(`${declaredBy}: the same repository as ${earlier.declaredBy}; keep one rule per repository`));
        return;
      }
      rules.push({ index, name: rule.name, repository, policy: { namespace, name }, declaredBy });
    } catch (error) {
      problems.push(errorResult(`${declaredBy}: ${(error as Error).message}`));
    }
  });
  const paths: PathRule[] = [...BUILT_IN_PATHS];
  config.fieldSpecs.forEach((spec: FieldSpec, index) => {
    try {
      paths.push({
        ...(spec.kind ? { kind: spec.kind } : {}),
        ...(spec.apiVersion ? { apiVersion: spec.apiVersion } : {}),
        steps: parseFieldPath(spec.path),
      });
    } catch (error) {
      problems.push(errorResult(`functionConfig spec.fieldSpecs[${index}].path: ${(error as Error).message}`));
    }
  });
  return { rules: { rules, paths }, problems };
}

/**
 * A rule whose policy is missing, or tracks another repository, would write some other image's
 * tag into the field; both are errors, reported once per rule. Only rules that matched a field
 * are checked: pre-commit passes a few files, and a rule for images elsewhere is not wrong.
 */
export function imageRuleProblems(
  rules: ImageRules,
  policies: ReadonlyMap<string, PolicyDefinition>,
  sites: readonly WritableSite[],
): KrmResult[] {
  const used = new Set(sites.map((w) => w.site.where.declaredBy));
  const problems: KrmResult[] = [];
  for (const rule of rules.rules.filter((r) => used.has(r.declaredBy))) {
    const key = policyKey(rule.policy.namespace, rule.policy.name);
    const definition = policies.get(key);
    if (!definition) {
      problems.push(
        errorResult(
          `${rule.declaredBy} names ImagePolicy ${key}, which is not defined: add an ImagePolicy (and its ImageRepository) to the inputs, or an entry in the functionConfig spec.policies`,
        ),
      );
      continue;
    }
    let policyRepository: ImageRepository;
    try {
      policyRepository = parseRepository(definition.image);
    } catch {
      continue; // resolveSites reports an unparsable policy image against every field it affects.
    }
    if (!sameRepository(policyRepository, rule.repository)) {
      problems.push(errorResult(`${rule.declaredBy} uses ImagePolicy ${key}, which tracks ${definition.image}: its tags and digests belong to another repository`));
    }
  }
  return problems;
}

/**
 * The image fields under one object that an images rule matches. Fields in `taken` (those a
 * marker already claims) are skipped: a marker is the more specific instruction.
 */
export function imageFieldSites(
  node: unknown,
  object: Record<string, unknown>,
  context: NodeContext,
  rules: ImageRules,
  taken: readonly WritableSite[] = [],
): WritableSite[] {
  if (rules.rules.length === 0 || !isMap(node)) return [];
  const claimed = new Set<Scalar>(taken.map((w) => w.field.scalar));
  const sites: WritableSite[] = [];
  for (const pathRule of rules.paths) {
    if (!appliesTo(pathRule, object)) continue;
    for (const { scalar, path } of scalarsAt(node, pathRule.steps)) {
      if (claimed.has(scalar)) continue;
      const value = scalarText(scalar);
      const match = matchRule(value, rules.rules);
      if (!match) continue;
      claimed.add(scalar);
      const { rule, written } = match;
      const ref = { namespace: rule.policy.namespace, name: rule.policy.name, raw: rule.declaredBy };
      sites.push({
        field: { ref, path, value, scalar },
        site: {
          policy: rule.policy,
          current: value,
          image: written,
          where: siteLocation(context, path, rule.declaredBy),
        },
      });
    }
  }
  return sites;
}

/** Warnings for rules that matched no field: usually a misspelt repository. */
export function unusedImageRules(rules: ImageRules, sites: readonly WritableSite[]): KrmResult[] {
  const used = new Set(sites.map((w) => w.site.where.declaredBy));
  return rules.rules
    .filter((rule) => !used.has(rule.declaredBy))
    .map((rule) => warningResult(`${rule.declaredBy} matched no image field`));
}

function appliesTo(rule: PathRule, object: Record<string, unknown>): boolean {
  if (rule.kind !== undefined && object.kind !== rule.kind) return false;
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  if (rule.apiVersion !== undefined && apiVersion !== rule.apiVersion) return false;
  if (rule.groups !== undefined) {
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    if (!rule.groups.includes(group)) return false;
  }
  return true;
}

function* scalarsAt(node: unknown, steps: readonly Step[], path: (string | number)[] = []): Generator<{ scalar: Scalar; path: (string | number)[] }> {
  const [step, ...rest] = steps;
  if (!step) {
    if (isScalar(node) && typeof node.value === 'string') yield { scalar: node, path };
    return;
  }
  if ('key' in step) {
    if (!isMap(node)) return;
    yield* scalarsAt(node.get(step.key, true), rest, [...path, step.key]);
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) yield* scalarsAt(item, rest, [...path, i]);
  }
}

function matchRule(value: string, rules: readonly ImageRule[]): { rule: ImageRule; written: string } | undefined {
  let repository: ImageRepository;
  try {
    repository = parseReference(value).repository;
  } catch {
    return undefined; // `${IMAGE}` placeholders and the like are not images of any rule.
  }
  const rule = rules.find((r) => sameRepository(r.repository, repository));
  return rule ? { rule, written: repository.written } : undefined;
}

function sameRepository(a: ImageRepository, b: ImageRepository): boolean {
  return a.registry === b.registry && a.repository === b.repository;
}

/**
 * Every field of one object the run may write: `$imagepolicy` markers first, then the
 * `spec.images` matches, which skip fields a marker already claims. Both entries (KRM and
 * file mode) read objects this way. `mayHoldMarkers: false` skips the marker scan for an
 * object whose text cannot contain one.
 */
export function objectSites(
  node: unknown,
  object: Record<string, unknown>,
  context: NodeContext,
  rules: ImageRules,
  mayHoldMarkers = true,
): { sites: WritableSite[]; warnings: KrmResult[] } {
  const { sites: marked, warnings } = mayHoldMarkers ? scanMarkerSites(node, context) : { sites: [], warnings: [] };
  return { sites: [...marked, ...imageFieldSites(node, object, context, rules, marked)], warnings };
}
