import { pushImage, putManifest, seedRepository, tagExisting, type RegistryTarget } from '../test/harness/registry.js';

/**
 * How a policy picks its tag. `semver` and `alias` have a shell equivalent in
 * bench/baseline/pin-with-skopeo.sh; `gated` (semver behind a platform and a release-age gate)
 * has none, so it is measured against its minimum only.
 */
export type Strategy =
  | { kind: 'semver' }
  | { kind: 'alias'; rollingTag: string }
  | { kind: 'gated'; platforms: string[]; minReleaseAge: string; candidatesChecked: number }
  | { kind: 'signed'; publicKeyFile: string; candidatesChecked: number };

export interface BenchPolicy {
  /** ImagePolicy name in namespace flux-system; also what the markers name. */
  name: string;
  /** Repository path in the registry, e.g. `bench/r07`. */
  repository: string;
  strategy: Strategy;
  /** Tags the repository holds, rolling tag included: the page count depends on it. */
  tagCount: number;
  /** The tag the policy must end on; the run is rejected when either tool writes anything else. */
  expectedTag: string;
}

export const POLICY_NAMESPACE = 'flux-system';
/** What the function asks per tags/list page (Flux's `n`), so what a minimal client needs. */
export const TAG_PAGE_SIZE = 1000;

/**
 * `count` plain release tags, spread over minors so that lexical order (1.9.x) and version order
 * (1.19.x) disagree: a tool that sorted as text would pick the wrong winner and fail the check.
 */
export function releaseTags(major: number, count: number, patchesPerMinor: number): string[] {
  return Array.from({ length: count }, (_, i) => `${major}.${Math.floor(i / patchesPerMinor)}.${i % patchesPerMinor}`);
}

/** The release tags in version order, newest first. */
export function newestFirst(tags: readonly string[]): string[] {
  const key = (tag: string) => tag.split('.').map(Number);
  return [...tags].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return y[i]! - x[i]!;
    return 0;
  });
}

export function newestRelease(tags: readonly string[]): string {
  return newestFirst(tags)[0]!;
}

/** Seeds one repository per semver policy; each tag gets its own digest. */
export async function seedSemverRepositories(target: RegistryTarget, repositories: readonly string[], tags: readonly string[]): Promise<void> {
  for (const repository of repositories) await seedRepository(target, repository, [...tags]);
}

/** Seeds the alias repository and points the rolling tag at `aliasOf`'s image, as a release job does. */
export async function seedAliasRepository(target: RegistryTarget, repository: string, tags: readonly string[], rollingTag: string, aliasOf: string): Promise<void> {
  const digests = await seedRepository(target, repository, [...tags]);
  await tagExisting(target, repository, digests.get(aliasOf)!, rollingTag);
}

/**
 * Seeds a repository whose `fresh` newest releases were created an hour ago (too young for a
 * `3d` gate) and the rest a year ago, by the `org.opencontainers.image.created` annotation, each
 * tag its own manifest over shared blobs.
 */
export async function seedGatedRepository(target: RegistryTarget, repository: string, tags: readonly string[], fresh: number): Promise<void> {
  const base = await pushImage(target, repository, { created: null });
  const recent = new Set(newestFirst(tags).slice(0, fresh));
  const now = Date.now();
  for (const tag of tags) {
    const manifest = JSON.parse(base.manifest.toString('utf8')) as Record<string, unknown>;
    const created = new Date(recent.has(tag) ? now - 3_600_000 : now - 365 * 86_400_000).toISOString();
    manifest.annotations = { 'harness.tag': tag, 'org.opencontainers.image.created': created };
    await putManifest(target, repository, tag, Buffer.from(JSON.stringify(manifest)), base.mediaType);
  }
}

const annotations = (path: string, index: number): string =>
  `    annotations:
      config.kubernetes.io/index: '${index}'
      config.kubernetes.io/path: '${path}'
      internal.config.kubernetes.io/index: '${index}'
      internal.config.kubernetes.io/path: '${path}'
`;

function fluxObjects(host: string, policy: BenchPolicy): string {
  const path = `flux/${policy.name}.yaml`;
  return `- apiVersion: image.toolkit.fluxcd.io/v1
  kind: ImageRepository
  metadata:
    name: ${policy.name}
    namespace: ${POLICY_NAMESPACE}
${annotations(path, 0)}  spec:
    image: ${host}/${policy.repository}
    interval: 5m
- apiVersion: image.toolkit.fluxcd.io/v1
  kind: ImagePolicy
  metadata:
    name: ${policy.name}
    namespace: ${POLICY_NAMESPACE}
${annotations(path, 1)}  spec:
    imageRepositoryRef:
      name: ${policy.name}
    digestReflectionPolicy: IfNotPresent
    policy:
      semver:
        range: '>=0.0.0'
`;
}

type InlineBenchPolicy = BenchPolicy & { strategy: { kind: 'alias' | 'gated' | 'signed' } };

function inlinePolicy(host: string, policy: InlineBenchPolicy): string {
  const { strategy } = policy;
  const own =
    strategy.kind === 'alias'
      ? `    aliasOf:\n      tag: ${strategy.rollingTag}\n`
      : strategy.kind === 'gated'
        ? `    platforms: [${strategy.platforms.join(', ')}]\n    minReleaseAge: ${strategy.minReleaseAge}\n`
        : `    verify:\n      provider: cosign\n      publicKeys: [${JSON.stringify(strategy.publicKeyFile)}]\n`;
  return `  - name: ${policy.name}
    namespace: ${POLICY_NAMESPACE}
    image: ${host}/${policy.repository}
${own}    policy:
      semver:
        range: '>=0.0.0'
`;
}

function markedDeployment(host: string, policy: BenchPolicy, copy: number): string {
  const name = `${policy.name}-${copy}`;
  return `- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: ${name}
    namespace: apps
${annotations(`apps/${name}.yaml`, 0)}  spec:
    replicas: 2
    selector:
      matchLabels:
        app: ${name}
    template:
      metadata:
        labels:
          app: ${name}
      spec:
        containers:
        - name: app
          image: ${host}/${policy.repository}:0.0.0 # {"$imagepolicy": "${POLICY_NAMESPACE}:${policy.name}"}
          ports:
          - containerPort: 8080
`;
}

/** Unmarked objects: the bulk of a large package, which the function must carry through untouched. */
function fillerConfigMap(index: number): string {
  const name = `settings-${String(index).padStart(5, '0')}`;
  return `- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: ${name}
    namespace: apps
${annotations(`config/${name}.yaml`, 0)}  data:
    LOG_LEVEL: info # kept as written
    FEATURE_FLAGS: "a,b,c"
    config.yaml: |
      listen: ":8080"
      replicas: ${index % 7}
`;
}

export interface ResourceListShape {
  policies: readonly BenchPolicy[];
  markersPerPolicy: number;
  /** Total items, fillers included; 0 means no fillers. */
  totalObjects?: number;
}

export function countObjects(shape: ResourceListShape): number {
  const flux = shape.policies.filter((p) => p.strategy.kind === 'semver').length * 2;
  return Math.max(shape.totalObjects ?? 0, flux + shape.policies.length * shape.markersPerPolicy);
}

/** The ResourceList kpt would send for a package holding these policies, marked Deployments and fillers. */
export function buildResourceList(host: string, shape: ResourceListShape): string {
  const parts: string[] = ['apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n'];
  let objects = 0;
  for (const policy of shape.policies) {
    if (policy.strategy.kind === 'semver') {
      parts.push(fluxObjects(host, policy));
      objects += 2;
    }
  }
  for (let copy = 0; copy < shape.markersPerPolicy; copy++) {
    for (const policy of shape.policies) {
      parts.push(markedDeployment(host, policy, copy));
      objects++;
    }
  }
  for (let filler = 0; objects < (shape.totalObjects ?? 0); filler++, objects++) parts.push(fillerConfigMap(filler));
  const inline = shape.policies.filter((p): p is InlineBenchPolicy => p.strategy.kind !== 'semver');
  if (inline.length > 0) {
    parts.push(`functionConfig:
  apiVersion: fn.apply-image-policies.dev/v1alpha1
  kind: ApplyImagePolicies
  metadata:
    name: bench
  spec:
    policies:
${inline.map((p) => inlinePolicy(host, p).replace(/^(?=.)/gm, '  ')).join('')}`);
  }
  return parts.join('');
}

/** The baseline's input: the policies, already joined to their images. */
export function baselinePlan(host: string, policies: readonly BenchPolicy[]): string {
  const strategyOf = ({ strategy }: BenchPolicy): string => {
    if (strategy.kind === 'gated' || strategy.kind === 'signed') throw new Error('bench: the skopeo script has no gates; a gated workload has no baseline run');
    return strategy.kind === 'semver' ? 'semver' : `alias:${strategy.rollingTag}`;
  };
  return policies.map((p) => `${POLICY_NAMESPACE}:${p.name}\t${host}/${p.repository}\t${strategyOf(p)}\n`).join('');
}

const MARKED_LINE = /^\s*(?:- )?image: (\S+) # \{"\$imagepolicy": "[^"]+:([^"]+)"\}$/gm;

/** Every marked value in a text, by policy name; used to check both tools wrote the same pins. */
export function markedValues(text: string): Map<string, Set<string>> {
  const values = new Map<string, Set<string>>();
  for (const match of text.matchAll(MARKED_LINE)) {
    const [, value, policy] = match as unknown as [string, string, string];
    values.set(policy, (values.get(policy) ?? new Set()).add(value));
  }
  return values;
}

/**
 * The fewest registry requests that can do the job: each repository's tag list in pages of
 * {@link TAG_PAGE_SIZE}, one HEAD per selected tag, and for an alias one HEAD of the rolling tag.
 * A gated policy checks candidates until one passes, each costing its HEAD, its manifest and (a
 * single image) its config blob. A warm run whose answers are all fresh in the cache needs none.
 */
export function minimumRequests(policies: readonly BenchPolicy[], warm: boolean): number {
  if (warm) return 0;
  let total = 0;
  const listed = new Set<string>();
  for (const policy of policies) {
    if (!listed.has(policy.repository)) {
      listed.add(policy.repository);
      total += Math.ceil(policy.tagCount / TAG_PAGE_SIZE);
    }
    const { strategy } = policy;
    // signed: an unsigned candidate costs its HEAD and a look in both places cosign writes (the
    // `.sig` tag, the referrers API and its fallback tag); the one that verifies, its HEAD, its
    // `.sig` tag and its payload blob.
    total +=
      strategy.kind === 'alias'
        ? 2
        : strategy.kind === 'gated'
          ? 3 * strategy.candidatesChecked
          : strategy.kind === 'signed'
            ? 4 * (strategy.candidatesChecked - 1) + 3
            : 1;
  }
  return total;
}
