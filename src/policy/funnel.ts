import type { PolicyRejection } from './policer.js';

/**
 * Why a stage dropped a tag:
 * - `exclusion-list`: an ImageRepository `exclusionList` pattern (or the default `^.*\.sig$`) matched;
 * - `filter-no-match`: `filterTags.pattern` does not match it;
 * - `filter-same-key`: `filterTags.extract` gave it the same key as a later tag, which Flux keeps;
 * - `not-a-version`, `outside-range`: the policy cannot order it, or its range refuses it.
 */
export type DropReason = 'exclusion-list' | 'filter-no-match' | 'filter-same-key' | PolicyRejection;

export type FunnelStageName = 'exclusionList' | 'filterTags' | 'policy';

export interface DroppedTag {
  tag: string;
  reason: DropReason;
}

export interface FunnelStage {
  stage: FunnelStageName;
  /** Tags this stage dropped, in the order the stage saw them. */
  dropped: DroppedTag[];
  /** Tags left after this stage. */
  remaining: number;
}

/** A tag list's way through a policy: what each stage dropped, and the survivors best first. */
export interface TagFunnel {
  listed: number;
  stages: FunnelStage[];
  /** Every tag the policy can pick, best first: `ranked[0]` is the selection. */
  ranked: string[];
}
