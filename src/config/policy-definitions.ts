import { errorResult, type KrmResult, type ResourceRef, type ResultLocation } from '../diagnostics/results.js';
import type { PolicyChoice, TagFilterSpec } from '../policy/policer.js';
import { validatePolicySelection } from '../policy/schema.js';
import type { SelectionSpec } from '../policy/select.js';
import { parsePlatform, type GateSpec, type Platform } from '../policy/gates.js';
import { parseGoDuration } from './duration.js';
import type { DigestReflectionPolicy, FunctionConfig, InlinePolicy } from './function-config.js';
import type { VerifySpec } from '../verify/spec.js';
import { verifySpecOf } from './verify-settings.js';

/** Where a definition came from, so every error can point at it. */
export interface Origin {
  /** `ImagePolicy flux-system/app` or `functionConfig spec.policies[2] (flux-system/app)`. */
  description: string;
  resourceRef?: ResourceRef;
  file?: { path: string; index?: number };
}

export interface RepositoryAccess {
  /** `kubernetes.io/dockerconfigjson` Secret named by ImageRepository `spec.secretRef`. */
  secretRef?: { name: string; namespace: string };
  certSecretRef?: { name: string; namespace: string };
  insecure?: boolean;
  /** ImageRepository `spec.timeout`: how long one request for this repository may take, retries included. */
  timeout?: { ms: number; setting: string };
}

/** Everything needed to resolve one policy, whichever way it was declared. */
export interface PolicyDefinition {
  namespace: string;
  name: string;
  /** Repository as written in `spec.image`; what `:name` markers write. */
  image: string;
  selection: SelectionSpec;
  digestReflectionPolicy: DigestReflectionPolicy;
  /** How long a cached tag list may be reused: Flux's scan interval. */
  tagListMaxAgeMs: number;
  aliasOf?: { tag: string };
  /** Checks a candidate must pass before it is pinned; absent when none is configured. */
  gates?: GateSpec;
  /** Signatures a candidate must carry before it is pinned (the `verify` gate); absent when not asked. */
  verify?: VerifySpec;
  access: RepositoryAccess;
  origin: Origin;
}

type GateSettings = Pick<InlinePolicy, 'platforms' | 'minReleaseAge' | 'unknownReleaseAge'>;

/** The gates of one policy: its own settings over the functionConfig's; undefined when none. */
function gatesOf(own: GateSettings, shared: GateSettings): GateSpec | undefined {
  const platforms = own.platforms ?? shared.platforms;
  const minReleaseAge = own.minReleaseAge ?? shared.minReleaseAge;
  const unknownReleaseAge = own.unknownReleaseAge ?? shared.unknownReleaseAge;
  if (!platforms && !minReleaseAge) return undefined;
  return {
    // The schema has checked the form of each entry.
    ...(platforms ? { platforms: platforms.map((text) => parsePlatform(text) as Platform) } : {}),
    ...(minReleaseAge ? { minReleaseAge: { written: minReleaseAge, ms: parseGoDuration(minReleaseAge, { days: true }) } } : {}),
    ...(unknownReleaseAge ? { unknownReleaseAge } : {}),
  };
}

/** A Kubernetes-shaped object found in the input, with where it was found. */
export interface SourceObject {
  object: Record<string, unknown>;
  origin: { file?: { path: string; index?: number } };
}

export const FLUX_IMAGE_GROUP = 'image.toolkit.fluxcd.io';
const FLUX_VERSIONS = new Set(['v1', 'v1beta2', 'v1beta1']);
const DEFAULT_INLINE_INTERVAL_MS = 60_000;
const DEFAULT_ALIAS_POLICY: PolicyChoice = { alphabetical: { order: 'asc' } };

export function policyKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function isFluxImageObject(object: Record<string, unknown>, kind: 'ImagePolicy' | 'ImageRepository'): boolean {
  if (object.kind !== kind || typeof object.apiVersion !== 'string') return false;
  const [group, version] = object.apiVersion.split('/');
  return group === FLUX_IMAGE_GROUP && FLUX_VERSIONS.has(version ?? '');
}

interface RepositoryDefinition {
  image: string;
  exclusionList?: string[];
  tagListMaxAgeMs: number;
  access: RepositoryAccess;
  origin: Origin;
}

export interface PolicyCollection {
  policies: Map<string, PolicyDefinition>;
  problems: KrmResult[];
}

/**
 * Joins ImagePolicy objects to their ImageRepository objects and adds the inline
 * policies of the functionConfig. Problems are returned, not thrown, so one broken
 * object is reported with all the others instead of hiding them.
 */
export function collectPolicies(objects: readonly SourceObject[], config: FunctionConfig): PolicyCollection {
  const problems: KrmResult[] = [];
  const repositories = new Map<string, RepositoryDefinition>();
  const policies = new Map<string, PolicyDefinition>();
  const seen = new Map<string, Origin>();

  const fail = (origin: Origin, message: string): void => {
    problems.push(errorResult(`${origin.description}: ${message}`, originFields(origin)));
  };
  const claim = (kind: string, key: string, origin: Origin): boolean => {
    const earlier = seen.get(`${kind}:${key}`);
    if (earlier) {
      fail(origin, `${kind} ${key} is defined more than once (also ${earlier.description}${earlier.file ? ` in ${earlier.file.path}` : ''})`);
      return false;
    }
    seen.set(`${kind}:${key}`, origin);
    return true;
  };

  for (const source of objects) {
    if (!isFluxImageObject(source.object, 'ImageRepository')) continue;
    const { namespace, name, origin } = identify(source, 'ImageRepository');
    const spec = asRecord(source.object.spec);
    if (!claim('ImageRepository', policyKey(namespace, name), origin)) continue;
    if (typeof spec.image !== 'string' || spec.image === '') {
      fail(origin, 'spec.image: is required');
      continue;
    }
    try {
      repositories.set(policyKey(namespace, name), {
        image: spec.image,
        ...(Array.isArray(spec.exclusionList) ? { exclusionList: spec.exclusionList.map(String) } : {}),
        tagListMaxAgeMs: typeof spec.interval === 'string' ? durationField('spec.interval', spec.interval) : DEFAULT_INLINE_INTERVAL_MS,
        access: {
          ...(refName(spec.secretRef) ? { secretRef: { name: refName(spec.secretRef) as string, namespace } } : {}),
          ...(refName(spec.certSecretRef) ? { certSecretRef: { name: refName(spec.certSecretRef) as string, namespace } } : {}),
          ...(spec.insecure === true ? { insecure: true } : {}),
          ...timeoutOf(spec.timeout, `ImageRepository ${policyKey(namespace, name)} spec.timeout`),
        },
        origin,
      });
    } catch (error) {
      fail(origin, (error as Error).message);
    }
  }

  const define = (definition: PolicyDefinition): void => {
    policies.set(policyKey(definition.namespace, definition.name), definition);
  };

  for (const source of objects) {
    if (!isFluxImageObject(source.object, 'ImagePolicy')) continue;
    const { namespace, name, origin } = identify(source, 'ImagePolicy');
    if (!claim('ImagePolicy', policyKey(namespace, name), origin)) continue;
    const spec = asRecord(source.object.spec);
    const repositoryKey = repositoryKeyOf(source.object);
    if (repositoryKey === undefined) {
      fail(origin, 'spec.imageRepositoryRef.name: is required');
      continue;
    }
    const repository = repositories.get(repositoryKey);
    if (!repository) {
      fail(origin, `spec.imageRepositoryRef: ImageRepository ${repositoryKey} is not among the inputs`);
      continue;
    }
    const selectionProblems = validatePolicySelection(
      { policy: spec.policy, ...(spec.filterTags !== undefined ? { filterTags: spec.filterTags } : {}) },
      'spec',
    );
    if (selectionProblems.length > 0) {
      selectionProblems.forEach((problem) => fail(origin, problem));
      continue;
    }
    let verify: VerifySpec | undefined;
    try {
      verify = config.verify ? verifySpecOf(config.verify, namespace, objects) : undefined;
    } catch (error) {
      fail(origin, `functionConfig spec.${(error as Error).message}`);
      continue;
    }
    define({
      namespace,
      name,
      image: repository.image,
      selection: {
        policy: spec.policy as PolicyChoice,
        ...(spec.filterTags !== undefined ? { filterTags: spec.filterTags as TagFilterSpec } : {}),
        ...(repository.exclusionList ? { exclusionList: repository.exclusionList } : {}),
      },
      digestReflectionPolicy: asDigestPolicy(spec.digestReflectionPolicy) ?? config.digestReflectionPolicy,
      tagListMaxAgeMs: repository.tagListMaxAgeMs,
      ...optional('gates', gatesOf({}, config)),
      ...optional('verify', verify),
      access: repository.access,
      origin,
    });
  }

  config.policies.forEach((inline, index) => {
    const namespace = inline.namespace ?? 'flux-system';
    const origin: Origin = { description: `functionConfig spec.policies[${index}] (${namespace}/${inline.name})` };
    if (!claim('ImagePolicy', policyKey(namespace, inline.name), origin)) return;
    const resolved = inlineRepository(inline, namespace, repositories);
    if (typeof resolved === 'string') {
      fail(origin, resolved);
      return;
    }
    if (!inline.policy && !inline.aliasOf) {
      fail(origin, 'policy: is required (semver, alphabetical or numerical), unless aliasOf is set');
      return;
    }
    let maxAge = resolved.tagListMaxAgeMs;
    if (inline.interval !== undefined) maxAge = parseGoDuration(inline.interval);
    const exclusionList = inline.exclusionList ?? resolved.exclusionList;
    let verify: VerifySpec | undefined;
    const settings = inline.verify ?? config.verify;
    try {
      verify = settings ? verifySpecOf(settings, namespace, objects) : undefined;
    } catch (error) {
      fail(origin, inline.verify ? (error as Error).message : `functionConfig spec.${(error as Error).message}`);
      return;
    }
    define({
      namespace,
      name: inline.name,
      image: resolved.image,
      selection: {
        policy: inline.policy ?? DEFAULT_ALIAS_POLICY,
        ...(inline.filterTags ? { filterTags: inline.filterTags } : {}),
        ...(exclusionList ? { exclusionList } : {}),
      },
      digestReflectionPolicy: inline.digestReflectionPolicy ?? config.digestReflectionPolicy,
      tagListMaxAgeMs: maxAge,
      ...(inline.aliasOf ? { aliasOf: inline.aliasOf } : {}),
      ...optional('gates', gatesOf(inline, config)),
      ...optional('verify', verify),
      access: resolved.access,
      origin,
    });
  });

  return { policies, problems };
}

function inlineRepository(
  inline: InlinePolicy,
  namespace: string,
  repositories: Map<string, RepositoryDefinition>,
): RepositoryDefinition | string {
  if (inline.image) {
    return { image: inline.image, tagListMaxAgeMs: DEFAULT_INLINE_INTERVAL_MS, access: {}, origin: { description: 'inline' } };
  }
  const ref = inline.imageRepositoryRef;
  if (!ref) return "needs 'image' or 'imageRepositoryRef'";
  const key = policyKey(ref.namespace ?? namespace, ref.name);
  return repositories.get(key) ?? `imageRepositoryRef: ImageRepository ${key} is not among the inputs`;
}

/** An object without `metadata.namespace` is in namespace `default`, as in the cluster. */
function namespaceOf(object: Record<string, unknown>): string {
  const namespace = asRecord(object.metadata).namespace;
  return typeof namespace === 'string' && namespace !== '' ? namespace : 'default';
}

/** `namespace/name` of a Flux object, the key policies and repositories are found by. */
export function objectKey(object: Record<string, unknown>): string {
  const name = asRecord(object.metadata).name;
  return policyKey(namespaceOf(object), typeof name === 'string' ? name : '');
}

/** The ImageRepository an ImagePolicy names: in the policy's own namespace unless the ref gives one. */
export function repositoryKeyOf(imagePolicy: Record<string, unknown>): string | undefined {
  const ref = asRecord(asRecord(imagePolicy.spec).imageRepositoryRef);
  if (typeof ref.name !== 'string') return undefined;
  return policyKey(typeof ref.namespace === 'string' ? ref.namespace : namespaceOf(imagePolicy), ref.name);
}

function identify(source: SourceObject, kind: string): { namespace: string; name: string; origin: Origin } {
  const metadata = asRecord(source.object.metadata);
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const namespace = namespaceOf(source.object);
  return {
    namespace,
    name,
    origin: {
      description: `${kind} ${namespace}/${name}`,
      resourceRef: { apiVersion: String(source.object.apiVersion), kind, name, namespace },
      ...(source.origin.file ? { file: source.origin.file } : {}),
    },
  };
}

export function originFields(origin: Origin): ResultLocation {
  return {
    ...(origin.resourceRef ? { resourceRef: origin.resourceRef } : {}),
    ...(origin.file ? { file: origin.file } : {}),
  };
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function refName(value: unknown): string | undefined {
  const name = asRecord(value).name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function asDigestPolicy(value: unknown): DigestReflectionPolicy | undefined {
  return value === 'Always' || value === 'IfNotPresent' || value === 'Never' ? value : undefined;
}

/** A Go duration field, its error naming the field. */
function durationField(field: string, text: string): number {
  try {
    return parseGoDuration(text);
  } catch (error) {
    throw new Error(`${field}: ${(error as Error).message}`);
  }
}

/** Flux reads `spec.timeout` as the bound on the repository's registry operations. */
function timeoutOf(value: unknown, setting: string): Pick<RepositoryAccess, 'timeout'> {
  if (value === undefined) return {};
  if (typeof value !== 'string') throw new Error(`spec.timeout: must be a Go duration such as "60s", not ${JSON.stringify(value)}`);
  const ms = durationField('spec.timeout', value);
  if (ms <= 0) throw new Error(`spec.timeout: must be longer than 0s, not ${JSON.stringify(value)}`);
  return { timeout: { ms, setting } };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
