/**
 * The JSON schema of the `ApplyImagePolicies` functionConfig. It is the single
 * source: `npm run build` generates the validator the run checks it with
 * (scripts/gen-validators.mjs) and writes it to `fn-config/schema/` so editors
 * validate the same thing (yaml-language-server). Plain data: the build imports it.
 */
import { policySelectionSchema } from '../policy/selection-schema.js';

export const FUNCTION_CONFIG_API_VERSION = 'fn.apply-image-policies.dev/v1alpha1';
export const FUNCTION_CONFIG_KIND = 'ApplyImagePolicies';

const digestReflectionPolicy = {
  type: 'string',
  enum: ['Always', 'IfNotPresent', 'Never'],
  description:
    'Always: re-resolve the digest every run (default). IfNotPresent: keep the digest already in the field while the tag is unchanged. Never: write tags without digests, as Flux does by default.',
} as const;

const goDuration = {
  type: 'string',
  pattern: '^([0-9]+(\\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$|^0$',
  description: 'A Go duration such as 1m, 5m30s or 1h.',
} as const;

const { policy: policyChoiceSchema, filterTags: filterTagsSchema, exclusionList: exclusionListSchema } =
  policySelectionSchema.properties;

const objectRef = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    namespace: { type: 'string', minLength: 1 },
  },
} as const;

/** Gates before pinning: on an inline policy, or for every policy at spec level (inline wins). */
const gateProperties = {
  platforms: {
    type: 'array',
    minItems: 1,
    items: { type: 'string', pattern: '^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$' },
    description: 'os/arch[/variant] every pinned image must run on, e.g. [linux/amd64, linux/arm64]: an index listing each, or a single image of the one platform.',
  },
  minReleaseAge: {
    type: 'string',
    pattern: '^([0-9]+(\\.[0-9]*)?(ns|us|µs|ms|s|m|h|d))+$',
    description: 'Pin only images released at least this long ago (Go duration, or days: 72h, 3d). The release time: a registry push time, else the org.opencontainers.image.created annotation, else the config created.',
  },
  unknownReleaseAge: {
    enum: ['allow', 'deny'],
    description: 'Whether an image with no known release time passes minReleaseAge (default deny).',
  },
  verify: {
    type: 'object',
    additionalProperties: false,
    description:
      "Pin only images with a signature that verifies for their own digest, as Flux's OCIRepository spec.verify: cosign's .sig tag or a Sigstore bundle referrer, with publicKeys, the *.pub keys of secretRef, or keyless with matchOIDCIdentity and trustedRoot.",
    properties: {
      provider: { enum: ['cosign'], description: 'Only cosign signatures are checked (the default).' },
      publicKeys: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'PEM public key files (cosign.pub); a signature by any of them passes.' },
      secretRef: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', minLength: 1 } },
        description: "A Secret among the inputs, in the policy's namespace, whose *.pub data entries are PEM public keys.",
      },
      matchOIDCIdentity: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['issuer', 'subject'],
          properties: {
            issuer: { type: 'string', minLength: 1, description: "RE2 regex the certificate's OIDC issuer must match." },
            subject: { type: 'string', minLength: 1, description: "RE2 regex the certificate's subject (SAN) must match." },
          },
        },
        description: 'Keyless: a certificate whose issuer and subject match one entry passes (needs trustedRoot).',
      },
      trustedRoot: { type: 'string', minLength: 1, description: 'A Sigstore trusted root JSON file (trusted_root.json): the CAs, transparency and CT logs keyless signatures are checked against.' },
    },
  },
} as const;

const inlinePolicy = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, description: 'The marker names it as <namespace>:<name>.' },
    namespace: { type: 'string', minLength: 1, default: 'flux-system' },
    image: { type: 'string', minLength: 1, description: 'Repository without tag, as Flux ImageRepository spec.image.' },
    imageRepositoryRef: objectRef,
    policy: policyChoiceSchema,
    filterTags: filterTagsSchema,
    exclusionList: exclusionListSchema,
    digestReflectionPolicy,
    interval: { ...goDuration, description: 'How long a cached tag list of this repository may be reused (default 1m).' },
    aliasOf: {
      type: 'object',
      additionalProperties: false,
      required: ['tag'],
      properties: { tag: { type: 'string', minLength: 1, description: 'The rolling tag, e.g. latest.' } },
      description: 'Pin the tag (chosen by policy among the candidates) that points to the same digest as this rolling tag.',
    },
    ...gateProperties,
  },
  oneOf: [{ required: ['image'] }, { required: ['imageRepositoryRef'] }],
} as const;

const imageRule = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'policy'],
  properties: {
    name: { type: 'string', minLength: 1, description: 'Repository whose container image fields are pinned, e.g. ghcr.io/org/app.' },
    policy: { type: 'string', pattern: '^[^:]+:[^:]+$', description: '<namespace>:<name> of the policy to apply.' },
  },
} as const;

const fieldSpec = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    kind: { type: 'string' },
    apiVersion: { type: 'string' },
    path: { type: 'string', minLength: 1, description: 'Dot path to an image field; [] walks every list entry, e.g. spec.components[].image.' },
  },
} as const;

const registrySettings = {
  type: 'object',
  additionalProperties: false,
  required: ['host'],
  properties: {
    host: { type: 'string', minLength: 1 },
    insecure: { type: 'boolean', description: 'Allow plain HTTP and credentials over it.' },
    caFile: { type: 'string' },
    certFile: { type: 'string' },
    keyFile: { type: 'string' },
    concurrency: { type: 'integer', minimum: 1, maximum: 256 },
    mirrors: {
      type: 'array',
      items: { type: 'string', minLength: 1, pattern: '^[^\\s/]+(/[^\\s]+)?$' },
      description:
        'Mirrors or pull-through caches (`host[/path]`) asked first, in order, for tag lists and manifests; the registry itself answers when none can. Pins always name the registry. Each mirror takes its TLS, insecure and credentials from its own entry.',
    },
    timeout: {
      ...goDuration,
      description:
        'How long this registry may stay silent in one attempt (before answering, or between parts of a body) before the attempt is retried; a request, retries included, ends after 4 times this (default 30s).',
    },
  },
} as const;

export const functionConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://apply-image-policies.dev/schema/apply-image-policies.json',
  title: 'ApplyImagePolicies',
  type: 'object',
  required: ['apiVersion', 'kind'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: FUNCTION_CONFIG_API_VERSION },
    kind: { const: FUNCTION_CONFIG_KIND },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        digestReflectionPolicy,
        policies: { type: 'array', items: inlinePolicy },
        images: { type: 'array', items: imageRule },
        fieldSpecs: { type: 'array', items: fieldSpec },
        registries: { type: 'array', items: registrySettings },
        requestBudget: { type: 'integer', minimum: 1, description: 'Most registry requests one run may make.' },
        ...gateProperties,
        timeout: {
          ...goDuration,
          description:
            "The whole run's time limit, from the function's start (default 60s, Flux's timeout for a scan): registry work still unfinished then ends with an error for its fields, and the output is still written in full. --timeout overrides it.",
        },
        explain: { type: 'boolean', description: "Add each field's funnel (tags listed, what each stage left) to its result message." },
        cache: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dir: { type: 'string' },
            offline: { type: 'boolean' },
            disabled: { type: 'boolean' },
          },
        },
      },
    },
  },
} as const;
