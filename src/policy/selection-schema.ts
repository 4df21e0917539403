/**
 * JSON Schema for the selection part of a Flux ImagePolicy/ImageRepository pair:
 * `{policy, filterTags, exclusionList}`. It follows Flux's CRD validation
 * (lower-case `asc`/`desc`, at most 25 exclusion patterns); semantic checks such
 * as range and regexp syntax happen when the policy is built.
 * Plain data in a module of its own, so the functionConfig schema can embed it and the
 * build can read both (scripts/gen-schema.mjs, gen-validators.mjs) without loading the
 * validators generated from them.
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
      description: 'Go RE2 patterns; matching tags are dropped. Default: ["^.*\\\\.sig$", "^sha256-[0-9a-f]{64}(\\\\..+)?$"] (Flux\'s default, plus cosign attestation, SBOM and referrers-fallback tags); a list given replaces it.',
    },
  },
} as const;
