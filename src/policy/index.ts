export { AlphabeticalPolicer } from './alphabetical.js';
export { compareBytes, sortDescendingBytes } from './bytes.js';
export { createPolicer } from './factory.js';
export {
  compileExclusionList,
  compileTagFilter,
  DEFAULT_EXCLUSION_LIST,
  type ExclusionFilter,
  type FilteredTag,
  type TagFilter,
} from './filter.js';
export { goParseFloat } from './go-parse-float.js';
export { compileGoRegexp, GoRegexpSyntaxError, type GoRegexp } from './go-regexp.js';
export { NumericalPolicer } from './numerical.js';
export { parseSortOrder, type SortOrder } from './order.js';
export {
  EMPTY_LIST_MESSAGE,
  PolicyError,
  type Policer,
  type PolicyChoice,
  type RankingPolicer,
  type TagFilterSpec,
} from './policer.js';
export { policySelectionSchema, validatePolicySelection } from './schema.js';
export { preparePolicy, rankTags, selectTag, type PreparedPolicy, type SelectionSpec } from './select.js';
export { SemVerPolicer } from './semver.js';
export { ConstraintSyntaxError, parseConstraints, type Constraints } from './semver/constraints.js';
export {
  compareVersions,
  comparePrerelease,
  parseLenientVersion,
  parseTagVersion,
  type Version,
} from './semver/version.js';
