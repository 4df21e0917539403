import { compareBytes } from './bytes.js';
import { EMPTY_LIST_MESSAGE, PolicyError, type RankingPolicer } from './policer.js';
import { parseSortOrder, type SortOrder } from './order.js';

/**
 * Flux's alphabetical policy: byte order, not locale. ASC picks the greatest tag
 * (the last in ascending order), DESC the smallest. Equal tags are identical
 * strings, so the input order never matters.
 */
export class AlphabeticalPolicer implements RankingPolicer {
  readonly order: SortOrder;

  constructor(order?: string) {
    this.order = parseSortOrder(order);
  }

  latest(tags: readonly string[]): string {
    if (tags.length === 0) throw new PolicyError(EMPTY_LIST_MESSAGE);
    let best = tags[0]!;
    for (const tag of tags) if (this.prefers(tag, best)) best = tag;
    return best;
  }

  rank(tags: readonly string[]): string[] {
    // Preferred first: greatest bytes first for ASC, smallest first for DESC.
    return [...new Set(tags)].sort(this.order === 'ASC' ? (a, b) => compareBytes(b, a) : compareBytes);
  }

  private prefers(candidate: string, current: string): boolean {
    const order = compareBytes(candidate, current);
    return this.order === 'ASC' ? order > 0 : order < 0;
  }
}
