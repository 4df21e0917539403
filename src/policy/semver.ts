import { EMPTY_LIST_MESSAGE, PolicyError, type PolicyRejection, type RankingPolicer } from './policer.js';
import { ConstraintSyntaxError, parseConstraints, type Constraints } from './semver/constraints.js';
import { compareVersions, parseTagVersion, type Version } from './semver/version.js';

/**
 * Flux's semver policy: tags that are not versions are skipped, the greatest
 * version inside the range wins, and of equal versions (`1.0.0` and `v1.0.0`, or
 * different build metadata) the first in input order wins. The tag is returned
 * exactly as written.
 */
export class SemVerPolicer implements RankingPolicer {
  readonly constraints: Constraints;

  /** Throws `PolicyError` with Masterminds' message for an invalid range. */
  constructor(range: string) {
    try {
      this.constraints = parseConstraints(range);
    } catch (error) {
      if (error instanceof ConstraintSyntaxError) throw new PolicyError(error.message);
      throw error;
    }
  }

  latest(tags: readonly string[]): string {
    if (tags.length === 0) throw new PolicyError(EMPTY_LIST_MESSAGE);
    let best: Version | undefined;
    for (const version of this.candidates(tags)) {
      if (best === undefined || compareVersions(version, best) > 0) best = version;
    }
    if (best === undefined) throw new PolicyError('unable to determine latest version from provided list');
    return best.original;
  }

  rank(tags: readonly string[]): string[] {
    // Array.prototype.sort is stable, so equal versions keep input order.
    return this.candidates([...new Set(tags)])
      .sort((a, b) => compareVersions(b, a))
      .map((version) => version.original);
  }

  rejection(tag: string): PolicyRejection {
    return parseTagVersion(tag) ? 'outside-range' : 'not-a-version';
  }

  private candidates(tags: readonly string[]): Version[] {
    const versions: Version[] = [];
    for (const tag of tags) {
      const version = parseTagVersion(tag);
      if (version && this.constraints.check(version)) versions.push(version);
    }
    return versions;
  }
}
