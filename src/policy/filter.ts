import { compileGoRegexp, GoRegexpSyntaxError, type GoRegexp } from './go-regexp.js';
import { PolicyError, type TagFilterSpec } from './policer.js';

/** A tag the policy will see under `key`, standing for the `original` tag. */
export interface FilteredTag {
  key: string;
  original: string;
}

export interface TagFilter {
  /**
   * Keeps tags the pattern matches anywhere. With an extract template the key is
   * the expansion; when two tags expand to the same key the later one in input
   * order wins, as in Flux. Keys come out in first-seen order.
   */
  apply(tags: readonly string[]): FilteredTag[];
  /** Whether the pattern matches the tag, whether or not its key survived. */
  matches(tag: string): boolean;
}

/** A syntax error becomes a `PolicyError` worded as Flux words it at that place. */
function compileOrFail(pattern: string, message: (reason: string) => string): GoRegexp {
  try {
    return compileGoRegexp(pattern);
  } catch (error) {
    if (error instanceof GoRegexpSyntaxError) throw new PolicyError(message(error.message));
    throw error;
  }
}

/** Flux's RegexFilter; an absent pattern matches everything, like Go's empty regexp. */
export function compileTagFilter(spec: TagFilterSpec | undefined): TagFilter {
  const pattern = spec?.pattern ?? '';
  const extract = spec?.extract ?? '';
  // No pattern (most policies): Go's empty regexp matches every tag at offset 0, and with no
  // template each key is its tag, so the filter is the identity; a regexp match per tag, per
  // policy, per run, bought nothing.
  if (pattern === '' && extract === '') {
    return {
      apply: (tags) => [...new Set(tags)].map((tag) => ({ key: tag, original: tag })),
      matches: () => true,
    };
  }
  const regexp = compileOrFail(pattern, (reason) => `invalid regular expression pattern '${pattern}': ${reason}`);
  return {
    apply(tags) {
      const byKey = new Map<string, string>();
      for (const tag of tags) {
        const match = regexp.findSubmatchIndex(tag);
        if (!match) continue;
        const key = extract === '' ? tag : regexp.expand(extract, tag, match);
        byKey.set(key, tag);
      }
      return [...byKey].map(([key, original]) => ({ key, original }));
    },
    matches: (tag) => regexp.test(tag),
  };
}

/**
 * Flux's ImageRepository default (cosign signature tags), plus the artifact tags Flux's default
 * lets through: cosign attestations and SBOMs (`sha256-<hex>.att`, `.sbom`) and the OCI referrers
 * fallback (`sha256-<hex>`, where cosign 3 keeps Sigstore bundles). Left in, an alphabetical
 * policy pins a signature and a numerical one fails on a tag that is not a number.
 */
export const DEFAULT_EXCLUSION_LIST: readonly string[] = ['^.*\\.sig$', '^sha256-[0-9a-f]{64}(\\..+)?$'];

export interface ExclusionFilter {
  /** Drops every tag that any exclusion pattern matches anywhere. */
  apply(tags: readonly string[]): string[];
}

/** ImageRepository `spec.exclusionList`; empty or missing means the default. */
export function compileExclusionList(patterns: readonly string[] | undefined): ExclusionFilter {
  const effective = patterns && patterns.length > 0 ? patterns : DEFAULT_EXCLUSION_LIST;
  const compiled = effective.map((pattern) =>
    compileOrFail(pattern, (reason) => `failed to compile regex ${pattern}: ${reason}`),
  );
  return { apply: (tags) => tags.filter((tag) => !compiled.some((regexp) => regexp.test(tag))) };
}
