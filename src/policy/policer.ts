/**
 * The one interface every selection policy implements, mirroring Flux's `Policer`:
 * tags in, the chosen tag out. Implementations are pure and throw `PolicyError`
 * with Flux's own wording so users see the messages they know from the controller.
 */
export interface Policer {
  latest(tags: readonly string[]): string;
}

/**
 * A policer that can also order every candidate by preference, so callers can
 * walk candidates best-first (for example looking up digests until one matches).
 * `rank(tags)[0]` is always `latest(tags)`; tags the policy cannot use (for
 * semver: not versions, or outside the range) are left out.
 */
export interface RankingPolicer extends Policer {
  rank(tags: readonly string[]): string[];
  /** Why `rank` leaves `tag` out, for a tag it does leave out; policies that keep every tag never say. */
  rejection?(tag: string): PolicyRejection;
}

/** Why a policy cannot pick a tag: it is no version it can order, or its range refuses it. */
export type PolicyRejection = 'not-a-version' | 'outside-range';

export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** The `spec.policy` shape of Flux's ImagePolicy (v1 and v1beta2 share it). */
export interface PolicyChoice {
  semver?: { range: string };
  alphabetical?: { order?: string };
  numerical?: { order?: string };
}

/** The `spec.filterTags` shape of Flux's ImagePolicy. */
export interface TagFilterSpec {
  pattern?: string;
  extract?: string;
}

/** Flux's wording, shared by every policy. */
export const EMPTY_LIST_MESSAGE = 'version list argument cannot be empty';
