import { newestFirst, newestRelease, releaseTags, type BenchPolicy, type ResourceListShape } from './fixtures.js';

/** Registry one: 50 repositories of 100 release tags; workloads a, b, c and e share it. */
export const MANY_REPOSITORIES = 50;
export const MANY_TAGS = releaseTags(1, 100, 5);

/** Registry two, started fresh (2.8 slows after ~10k pushes): one repository of 2,000 tags plus `latest`. */
export const ALIAS_REPOSITORY = 'bench/alias';
export const ALIAS_TAGS = releaseTags(2, 2000, 50);
export const ROLLING_TAG = 'latest';
/** `latest` points at the newest release, as a release job leaves it. */
export const ALIAS_TARGET = newestRelease(ALIAS_TAGS);

/** Registry three: one repository whose three newest releases are an hour old. */
export const GATED_REPOSITORY = 'bench/gated';
export const GATED_TAGS = releaseTags(3, 200, 10);
export const GATED_FRESH = 3;

export const manyRepositories = (): string[] => Array.from({ length: MANY_REPOSITORIES }, (_, i) => `bench/r${String(i).padStart(2, '0')}`);

const semverPolicy = (repository: string): BenchPolicy => ({
  name: repository.split('/')[1]!,
  repository,
  strategy: { kind: 'semver' },
  tagCount: MANY_TAGS.length,
  expectedTag: newestRelease(MANY_TAGS),
});

export interface Workload {
  id: string;
  title: string;
  shape: ResourceListShape;
  /** Run again on the cache the previous cold run of the same input left behind. */
  warm: boolean;
  functionRuns: number;
  /** 0: the baseline has no cache, so its warm run is its cold run and is not repeated. */
  baselineRuns: number;
}

export function registryOneWorkloads(runs?: number): Workload[] {
  const all = manyRepositories().map(semverPolicy);
  const n = (preferred: number) => runs ?? preferred;
  return [
    { id: 'a', title: '1 marker, cold', shape: { policies: all.slice(0, 1), markersPerPolicy: 1 }, warm: false, functionRuns: n(5), baselineRuns: n(3) },
    {
      id: 'b',
      title: '500 markers, 50 repositories × 100 tags, cold',
      shape: { policies: all, markersPerPolicy: 10 },
      warm: false,
      functionRuns: n(3),
      baselineRuns: n(1),
    },
    {
      id: 'c',
      title: '(b) again, warm cache',
      shape: { policies: all, markersPerPolicy: 10 },
      warm: true,
      functionRuns: n(3),
      baselineRuns: 0,
    },
    {
      id: 'e',
      title: '20,000 objects, 200 markers (20 repositories), cold',
      shape: { policies: all.slice(0, 20), markersPerPolicy: 10, totalObjects: 20_000 },
      warm: false,
      functionRuns: n(3),
      baselineRuns: n(1),
    },
  ];
}

export function aliasWorkload(runs?: number): Workload {
  const policy: BenchPolicy = {
    name: 'alias',
    repository: ALIAS_REPOSITORY,
    strategy: { kind: 'alias', rollingTag: ROLLING_TAG },
    tagCount: ALIAS_TAGS.length + 1,
    expectedTag: ALIAS_TARGET,
  };
  return {
    id: 'd',
    title: `aliasOf: {tag: ${ROLLING_TAG}}, 2,000 tags, cold`,
    shape: { policies: [policy], markersPerPolicy: 1 },
    warm: false,
    functionRuns: runs ?? 3,
    baselineRuns: runs ?? 3,
  };
}

/**
 * Semver behind `platforms` and `minReleaseAge: 3d`: the three newest releases are too young, so
 * four candidates are checked and the fourth is pinned. Its cost beyond an ungated pin is what
 * the gates add: a manifest and a config blob per candidate checked, plus the HEADs of the ones
 * refused.
 */
export function gatedWorkload(runs?: number): Workload {
  const policy: BenchPolicy = {
    name: 'gated',
    repository: GATED_REPOSITORY,
    strategy: { kind: 'gated', platforms: ['linux/amd64'], minReleaseAge: '3d', candidatesChecked: GATED_FRESH + 1 },
    tagCount: GATED_TAGS.length,
    expectedTag: newestFirst(GATED_TAGS)[GATED_FRESH]!,
  };
  return {
    id: 'f',
    title: `gates (platforms, minReleaseAge 3d), ${GATED_TAGS.length} tags, ${GATED_FRESH} newest too young, cold`,
    shape: { policies: [policy], markersPerPolicy: 1 },
    warm: false,
    functionRuns: runs ?? 3,
    baselineRuns: 0,
  };
}

/** Registry four: one repository whose two newest releases are unsigned, the rest key-signed. */
export const SIGNED_REPOSITORY = 'bench/signed';
export const SIGNED_TAGS = releaseTags(4, 200, 10);
export const SIGNED_UNSIGNED = 2;

/**
 * Semver behind `verify` with a cosign key: the two newest releases carry no signature, so three
 * candidates are checked and the third, signed in cosign's tag format, is pinned. Its cost beyond
 * an ungated pin is what verifying adds: each candidate's `.sig` tag, the verified one's payload,
 * and the HEADs of the ones refused.
 */
export function signedWorkload(publicKeyFile: string, runs?: number): Workload {
  const policy: BenchPolicy = {
    name: 'signed',
    repository: SIGNED_REPOSITORY,
    strategy: { kind: 'signed', publicKeyFile, candidatesChecked: SIGNED_UNSIGNED + 1 },
    tagCount: SIGNED_TAGS.length,
    expectedTag: newestFirst(SIGNED_TAGS)[SIGNED_UNSIGNED]!,
  };
  return {
    id: 'h',
    title: `verify (cosign key), ${SIGNED_TAGS.length} tags, ${SIGNED_UNSIGNED} newest unsigned, cold`,
    shape: { policies: [policy], markersPerPolicy: 1 },
    warm: false,
    functionRuns: runs ?? 3,
    baselineRuns: 0,
  };
}
