import { Ajv, type ErrorObject } from 'ajv';

/**
 * JSON Schema for the selection part of a Flux ImagePolicy/ImageRepository pair:
 * `{policy, filterTags, exclusionList}`. It follows Flux's CRD validation
 * (lower-case `asc`/`desc`, at most 25 exclusion patterns); semantic checks such
 * as range and regexp syntax happen when the policy is built.
 * Plain data, so the functionConfig schema can embed it.
 */
export const policySelectionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['policy'],
  properties: {
    policy: {
      type: 'object',
      description: 'Exactly one of semver, alphabetical or numerical, as in Flux ImagePolicy spec.policy.',
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      properties: {
        semver: {
          type: 'object',
          additionalProperties: false,
          required: ['range'],
          properties: {
            range: {
              type: 'string',
              minLength: 1,
              description: 'Masterminds/semver range, e.g. ">=1.0.0 <2.0.0" or "^1.2" or "1.x".',
            },
          },
        },
        alphabetical: {
          type: 'object',
          additionalProperties: false,
          properties: { order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' } },
        },
        numerical: {
          type: 'object',
          additionalProperties: false,
          properties: { order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' } },
        },
      },
    },
    filterTags: {
      type: 'object',
      additionalProperties: false,
      properties: {
        pattern: { type: 'string', description: 'Go RE2 regular expression; tags it matches anywhere are kept.' },
        extract: { type: 'string', description: 'Template ($1, $name, ${name}) whose expansion the policy sees.' },
      },
    },
    exclusionList: {
      type: 'array',
      maxItems: 25,
      items: { type: 'string' },
      description: 'Go RE2 patterns; matching tags are dropped. Default: ["^.*\\\\.sig$"].',
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: false });
const validateSelection = ajv.compile(policySelectionSchema);

/** `/policy/semver/range` → `spec.policy.semver.range`. */
function fieldPath(root: string, instancePath: string, child?: string): string {
  const segments = instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (child !== undefined) segments.push(child);
  return segments.reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${segment}`), root);
}

function describe(error: ErrorObject, root: string): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${fieldPath(root, error.instancePath, String(params['missingProperty']))}: is required`;
    case 'additionalProperties':
      return `${fieldPath(root, error.instancePath, String(params['additionalProperty']))}: is not allowed`;
    case 'enum':
      return `${fieldPath(root, error.instancePath)}: must be one of ${(params['allowedValues'] as unknown[])
        .map((value) => JSON.stringify(value))
        .join(', ')}`;
    case 'minProperties':
    case 'maxProperties':
      if (error.instancePath === '/policy') {
        return `${fieldPath(root, error.instancePath)}: must set exactly one of semver, alphabetical, numerical`;
      }
      return `${fieldPath(root, error.instancePath)}: ${error.message ?? 'is invalid'}`;
    default:
      return `${fieldPath(root, error.instancePath)}: ${error.message ?? 'is invalid'}`;
  }
}

/**
 * Checks a selection object against `policySelectionSchema`. Returns readable
 * messages naming each offending field under `root` (e.g.
 * `spec.policy.semver.range: must be string`); empty when valid.
 */
export function validatePolicySelection(value: unknown, root = 'spec'): string[] {
  if (validateSelection(value)) return [];
  return (validateSelection.errors ?? []).map((error) => describe(error, root));
}
