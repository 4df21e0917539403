import { AlphabeticalPolicer } from './alphabetical.js';
import { NumericalPolicer } from './numerical.js';
import { PolicyError, type PolicyChoice, type RankingPolicer } from './policer.js';
import { SemVerPolicer } from './semver.js';

const POLICY_KINDS = ['semver', 'alphabetical', 'numerical'] as const;

/**
 * Builds the policer for an ImagePolicy `spec.policy`, validating it up front
 * (range syntax, order) so a broken policy fails before any registry call.
 *
 * Flux takes the first kind that is set (semver, then alphabetical, then
 * numerical); here setting more than one is an error, since the extra kinds would
 * be silently ignored.
 */
export function createPolicer(choice: PolicyChoice): RankingPolicer {
  const present = POLICY_KINDS.filter((kind) => choice[kind] !== undefined && choice[kind] !== null);
  if (present.length === 0) throw new PolicyError('given ImagePolicyChoice object is invalid');
  if (present.length > 1) {
    throw new PolicyError(
      `given ImagePolicyChoice object is invalid: exactly one of semver, alphabetical, numerical may be set, got ${present.join(', ')}`,
    );
  }
  if (choice.semver) return new SemVerPolicer(choice.semver.range);
  if (choice.alphabetical) return new AlphabeticalPolicer(choice.alphabetical.order);
  return new NumericalPolicer(choice.numerical?.order);
}
