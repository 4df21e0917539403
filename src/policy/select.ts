import { sortDescendingBytes } from './bytes.js';
import { createPolicer } from './factory.js';
import { compileExclusionList, compileTagFilter, type FilteredTag } from './filter.js';
import type { DroppedTag, TagFunnel } from './funnel.js';
import { EMPTY_LIST_MESSAGE, PolicyError, type PolicyChoice, type RankingPolicer, type TagFilterSpec } from './policer.js';

/** The policy picked nothing: Flux's message, with the funnel that says how each stage narrowed the list. */
export class NothingSelectedError extends PolicyError {
  override name = 'NothingSelectedError';
  constructor(
    message: string,
    readonly funnel: TagFunnel,
  ) {
    super(message);
  }
}

/** Everything that decides which tag an ImagePolicy picks from a tag list. */
export interface SelectionSpec {
  policy: PolicyChoice;
  filterTags?: TagFilterSpec;
  exclusionList?: string[];
}

export interface PreparedPolicy {
  readonly spec: SelectionSpec;
  /** The tag Flux would pick; throws `PolicyError` with Flux's message otherwise. */
  select(tags: readonly string[]): string;
  /**
   * Every candidate the policy can pick, best first; `rank(tags)[0]` equals
   * `select(tags)`. Empty when nothing qualifies. Numerical still throws on a
   * non-numeric candidate, as `select` does.
   */
  rank(tags: readonly string[]): string[];
  /**
   * The original tags that survive exclusion and `filterTags`, in the order the
   * policy sees them (descending bytes of their keys).
   */
  filter(tags: readonly string[]): string[];
  /**
   * `select` that also says how it got there: the tag Flux would pick (throwing as `select`
   * does) and the funnel each stage narrowed.
   */
  choose(tags: readonly string[]): { tag: string; funnel: TagFunnel };
  /** What each stage drops from `tags` and the survivors best first (`ranked` equals `rank(tags)`). */
  funnel(tags: readonly string[]): TagFunnel;
}

/**
 * Compiles a selection once (policy, filter pattern, exclusion patterns), so an
 * invalid spec fails here, before any registry call, and each tag list is then
 * cheap to evaluate. The pipeline is Flux's:
 *
 * 1. exclusion list (ImageRepository) drops tags;
 * 2. the rest are sorted in descending byte order, as the reflector stores them;
 * 3. `filterTags` keeps matches and maps each to its extracted key;
 * 4. the policy chooses among keys, and the chosen key maps back to its tag.
 *
 * Flux hands the keys to the policy in Go map order (random) when `filterTags`
 * is set; we hand them over in descending byte order, the order they would have
 * without a filter, so results are reproducible.
 */
export function preparePolicy(spec: SelectionSpec): PreparedPolicy {
  const policer: RankingPolicer = createPolicer(spec.policy);
  const tagFilter = compileTagFilter(spec.filterTags);
  const exclusion = compileExclusionList(spec.exclusionList);

  const candidates = (tags: readonly string[]): { kept: string[]; ordered: string[]; keys: string[]; originalOf: Map<string, string> } => {
    const kept = exclusion.apply(tags);
    const ordered = sortDescendingBytes(kept);
    const filtered: FilteredTag[] = tagFilter.apply(ordered);
    const originalOf = new Map(filtered.map(({ key, original }) => [key, original]));
    return { kept, ordered, keys: sortDescendingBytes([...originalOf.keys()]), originalOf };
  };

  const narrow = (tags: readonly string[]): { funnel: TagFunnel; keys: string[]; originalOf: Map<string, string> } => {
    const { kept, ordered, keys, originalOf } = candidates(tags);
    const keptSet = new Set(kept);
    const excluded: DroppedTag[] = tags.filter((tag) => !keptSet.has(tag)).map((tag) => ({ tag, reason: 'exclusion-list' }));
    const survivors = new Set(originalOf.values());
    const unfiltered: DroppedTag[] = ordered
      .filter((tag) => !survivors.has(tag))
      .map((tag) => ({ tag, reason: tagFilter.matches(tag) ? 'filter-same-key' : 'filter-no-match' }));
    const rankedKeys = policer.rank(keys);
    const rankedSet = new Set(rankedKeys);
    const rejected: DroppedTag[] = keys
      .filter((key) => !rankedSet.has(key))
      .map((key) => ({ tag: originalOf.get(key)!, reason: policer.rejection?.(key) ?? 'not-a-version' }));
    const funnel: TagFunnel = {
      listed: tags.length,
      stages: [
        { stage: 'exclusionList', dropped: excluded, remaining: kept.length },
        { stage: 'filterTags', dropped: unfiltered, remaining: keys.length },
        { stage: 'policy', dropped: rejected, remaining: rankedKeys.length },
      ],
      ranked: rankedKeys.map((key) => originalOf.get(key)!),
    };
    return { funnel, keys, originalOf };
  };

  const choose = (tags: readonly string[]): { tag: string; funnel: TagFunnel } => {
    // `rank` and `latest` fail alike on a bad list (numerical: its first non-number), in Flux's words.
    const { funnel, keys, originalOf } = narrow(tags);
    if (keys.length === 0) throw new NothingSelectedError(EMPTY_LIST_MESSAGE, funnel);
    const best = funnel.ranked[0];
    if (best !== undefined) return { tag: best, funnel };
    // `rank(keys)[0]` is `latest(keys)`; only when nothing ranks is `latest` asked, for its error.
    try {
      return { tag: originalOf.get(policer.latest(keys))!, funnel };
    } catch (error) {
      if (error instanceof PolicyError) throw new NothingSelectedError(error.message, funnel);
      throw error;
    }
  };

  return {
    spec,
    choose,
    funnel: (tags) => narrow(tags).funnel,
    select(tags) {
      const { keys, originalOf } = candidates(tags);
      if (keys.length === 0) throw new PolicyError(EMPTY_LIST_MESSAGE);
      return originalOf.get(policer.latest(keys))!;
    },
    rank(tags) {
      const { keys, originalOf } = candidates(tags);
      return policer.rank(keys).map((key) => originalOf.get(key)!);
    },
    filter(tags) {
      const { keys, originalOf } = candidates(tags);
      return keys.map((key) => originalOf.get(key)!);
    },
  };
}

/** One-shot form of `preparePolicy(spec).select(tags)`. */
export function selectTag(spec: SelectionSpec, tags: readonly string[]): string {
  return preparePolicy(spec).select(tags);
}

/** One-shot form of `preparePolicy(spec).rank(tags)`. */
export function rankTags(spec: SelectionSpec, tags: readonly string[]): string[] {
  return preparePolicy(spec).rank(tags);
}
