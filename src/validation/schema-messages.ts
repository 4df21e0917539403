import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * ajv reports JSON pointers and terse keywords; users edit YAML, so every message
 * names the field the way they write it (`spec.policies[0].policy.semver.range`),
 * with the offending key in the path for unknown and missing fields.
 */
// verbose: the oneOf message reads the branch schemas from each error.
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false, verbose: true });
const compiled = new WeakMap<object, ValidateFunction>();

export function validateAgainst(schema: object, value: unknown, root = ''): string[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return describeErrors(validate.errors ?? [], root);
}

function describeErrors(errors: readonly ErrorObject[], root: string): string[] {
  // A oneOf of `required` branches means "exactly one of these keys": say that once
  // instead of listing each branch's missing key.
  const exclusiveChoices = errors.filter((e) => e.keyword === 'oneOf' && requiredKeysOfBranches(e) !== undefined);
  const insideChoice = (e: ErrorObject): boolean =>
    exclusiveChoices.some((choice) => e !== choice && e.schemaPath.startsWith(`${choice.schemaPath}/`));
  const messages = errors
    .filter((e) => !insideChoice(e))
    .filter((e) => (e.keyword !== 'oneOf' && e.keyword !== 'anyOf') || exclusiveChoices.includes(e))
    .map((error) => describe(error, root));
  return [...new Set(messages)];
}

function describe(error: ErrorObject, root: string): string {
  const params = error.params as Record<string, unknown>;
  const at = (child?: string): string => fieldPath(root, error.instancePath, child);
  switch (error.keyword) {
    case 'required':
      return `${at(String(params.missingProperty))}: is required`;
    case 'additionalProperties':
      return `${at(String(params.additionalProperty))}: unknown field`;
    case 'enum':
      return `${at()}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${at()}: must be ${JSON.stringify(params.allowedValue)}`;
    case 'oneOf':
      return `${at()}: must set exactly one of ${(requiredKeysOfBranches(error) ?? []).join(', ')}`;
    case 'minProperties':
    case 'maxProperties':
      if (/(^|\/)policy$/.test(error.instancePath)) return `${at()}: must set exactly one of semver, alphabetical, numerical`;
      return `${at()}: ${error.message ?? 'is invalid'}`;
    default:
      return `${at()}: ${error.message ?? 'is invalid'}`;
  }
}

function requiredKeysOfBranches(error: ErrorObject): string[] | undefined {
  const branches = error.schema as unknown;
  if (!Array.isArray(branches)) return undefined;
  const keys = branches.map((b: { required?: unknown }) =>
    Array.isArray(b.required) && b.required.length === 1 && Object.keys(b).length === 1 ? String(b.required[0]) : undefined,
  );
  return keys.every((k) => k !== undefined) ? (keys as string[]) : undefined;
}

/** `/policy/semver/range` under `spec` → `spec.policy.semver.range`; indices become `[n]`. */
function fieldPath(root: string, instancePath: string, child?: string): string {
  const segments = instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (child !== undefined) segments.push(child);
  const path = segments.reduce(
    (text, segment) => (/^\d+$/.test(segment) ? `${text}[${segment}]` : text === '' ? segment : `${text}.${segment}`),
    root,
  );
  return path === '' ? '(top level)' : path;
}
