import { validateAgainst } from '../validation/schema-messages.js';
import { policySelectionSchema } from './selection-schema.js';

export { policySelectionSchema };

/**
 * Checks a selection object against `policySelectionSchema`. Returns readable
 * messages naming each offending field under `root` (e.g.
 * `spec.policy.semver.range: must be string`); empty when valid.
 */
export function validatePolicySelection(value: unknown, root = 'spec'): string[] {
  return validateAgainst(policySelectionSchema, value, root);
}
