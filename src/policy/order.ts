import { PolicyError } from './policer.js';

export type SortOrder = 'ASC' | 'DESC';

/**
 * Go's `strings.ToUpper` maps rune by rune and keeps runes whose uppercase is not
 * a single rune (JavaScript would turn `ß` into `SS`); the difference only shows
 * in the error message, but that message is what users read.
 */
function goToUpper(text: string): string {
  let upper = '';
  for (const c of text) {
    const mapped = c.toUpperCase();
    upper += [...mapped].length === 1 ? mapped : c;
  }
  return upper;
}

/**
 * Flux upper-cases the order before checking it, so `asc`, `Asc` and `ASC` are
 * all accepted; missing or empty means ascending.
 */
export function parseSortOrder(order: string | undefined): SortOrder {
  const normalized = goToUpper(order ?? '');
  if (normalized === '' || normalized === 'ASC') return 'ASC';
  if (normalized === 'DESC') return 'DESC';
  throw new PolicyError(`invalid order argument provided: '${normalized}', must be one of: ASC, DESC`);
}
