import { goParseFloat } from './go-parse-float.js';
import { EMPTY_LIST_MESSAGE, PolicyError, type RankingPolicer } from './policer.js';
import { parseSortOrder, type SortOrder } from './order.js';

/**
 * Flux's numerical policy: every tag must parse as Go's `strconv.ParseFloat`
 * reads it, or the whole policy fails. Flux keeps a running best and replaces it
 * unless the next value is strictly worse, so among equal values the last one in
 * input order wins, and a NaN (the tag `nan`) replaces and is replaced by
 * anything, because every comparison with it is false.
 */
export class NumericalPolicer implements RankingPolicer {
  readonly order: SortOrder;

  constructor(order?: string) {
    this.order = parseSortOrder(order);
  }

  latest(tags: readonly string[]): string {
    if (tags.length === 0) throw new PolicyError(EMPTY_LIST_MESSAGE);
    return this.pick(this.parseAll(tags)).tag;
  }

  rank(tags: readonly string[]): string[] {
    if (tags.length === 0) return [];
    const parsed = this.parseAll([...new Set(tags)]);
    if (parsed.some(({ value }) => Number.isNaN(value))) return this.rankByRepeatedPicks(parsed);
    // Without NaN the running-best rule is a total preorder: sort by value, and
    // among equal values put the later input first, as `latest` would pick it.
    return parsed
      .map((entry, index) => ({ ...entry, index }))
      .sort((a, b) => (this.order === 'ASC' ? b.value - a.value : a.value - b.value) || b.index - a.index)
      .map(({ tag }) => tag);
  }

  private parseAll(tags: readonly string[]): { tag: string; value: number }[] {
    return tags.map((tag) => {
      const value = goParseFloat(tag);
      if (value === undefined) throw new PolicyError(`failed to parse invalid numeric value '${tag}'`);
      return { tag, value };
    });
  }

  private pick(entries: readonly { tag: string; value: number }[]): { tag: string; value: number } {
    let best = entries[0]!;
    for (let i = 1; i < entries.length; i++) {
      const entry = entries[i]!;
      const worse = this.order === 'ASC' ? entry.value < best.value : entry.value > best.value;
      if (!worse) best = entry;
    }
    return best;
  }

  /** NaN breaks sorting; picking again from what is left keeps `rank` true to `latest`. */
  private rankByRepeatedPicks(entries: { tag: string; value: number }[]): string[] {
    const remaining = [...entries];
    const ranked: string[] = [];
    while (remaining.length > 0) {
      const best = this.pick(remaining);
      ranked.push(best.tag);
      remaining.splice(remaining.indexOf(best), 1);
    }
    return ranked;
  }
}
