import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { formatFieldPath } from '../krm/field-path.js';

/**
 * ajv reports JSON pointers and terse keywords; users edit YAML, so every message
 * names the field the way they would write it (`spec.policies[0].policy`) and says
 * which unknown key or allowed value is involved.
 */
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
const compiled = new WeakMap<object, ValidateFunction>();

export function validateAgainst(schema: object, value: unknown, rootPath: readonly (string | number)[] = []): string[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return describeErrors(validate.errors ?? [], rootPath);
}

function describeErrors(errors: readonly ErrorObject[], rootPath: readonly (string | number)[]): string[] {
  // oneOf/anyOf wrap the real complaint; the branch errors say more than "must match exactly one schema".
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  const chosen = specific.length > 0 ? specific : errors;
  const messages = chosen.map((error) => {
    const path = formatFieldPath([...rootPath, ...pointerSegments(error.instancePath)]);
    const where = path === '' ? '(top level)' : path;
    return `${where}: ${explain(error)}`;
  });
  return [...new Set(messages)];
}

function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

function explain(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown field '${String(params.additionalProperty)}'`;
    case 'required':
      return `missing required field '${String(params.missingProperty)}'`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'minProperties':
    case 'maxProperties':
      return `${error.message ?? 'invalid'} (exactly one policy kind: semver, alphabetical or numerical)`;
    default:
      return error.message ?? 'invalid';
  }
}
