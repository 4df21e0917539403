// Types only: a run never loads ajv, it imports the validators the build generated from the schemas.
import type { ErrorObject } from 'ajv';
import { precompiled, type PrecompiledValidator } from './precompiled.js';

/**
 * ajv reports JSON pointers and terse keywords; users edit YAML, so every message
 * names the field the way they write it (`spec.policies[0].policy.semver.range`),
 * with the offending key in the path for unknown and missing fields.
 */

/** A validator as ajv's `compile` and its standalone code make them (see ajv-options.ts). */
export type SchemaValidator = PrecompiledValidator;

const found = new WeakMap<object, SchemaValidator>();

/**
 * The name of a list entry, so a message says which entry it means and not only its index
 * (`spec.policies[0] (web): policy.semver.range: is required`). Given the JSON pointer of a
 * list (`/spec/policies`) and one of its entries; undefined keeps the index alone.
 */
export type EntryNamer = (listPointer: string, entry: unknown) => string | undefined;

export function validateAgainst(schema: object, value: unknown, root = '', nameEntry?: EntryNamer): string[] {
  return validateWith(precompiledValidator(schema), value, root, nameEntry);
}

/** The messages for `value` from one validator: validateAgainst's, and the drift test's runtime-compiled ones. */
export function validateWith(validate: SchemaValidator, value: unknown, root = '', nameEntry?: EntryNamer): string[] {
  if (validate(value)) return [];
  return describeErrors(validate.errors ?? [], root, value, nameEntry);
}

/**
 * The validator `npm run build` generated for this schema (scripts/gen-validators.mjs), found by
 * the schema's JSON text. None means the schema is not in the generator's list or changed since
 * the last build: that throws rather than load ajv and compile, so a test catches it.
 */
export function precompiledValidator(schema: object): SchemaValidator {
  let validate = found.get(schema);
  if (validate === undefined) {
    validate = precompiled.get(JSON.stringify(schema));
    if (validate === undefined) {
      const title = (schema as { title?: unknown }).title;
      throw new Error(
        `no precompiled validator for the schema${typeof title === 'string' ? ` ${title}` : ''}: run \`npm run build\`, and list a new schema in scripts/gen-validators.mjs`,
      );
    }
    found.set(schema, validate);
  }
  return validate;
}

function describeErrors(errors: readonly ErrorObject[], root: string, value: unknown, nameEntry: EntryNamer | undefined): string[] {
  // A oneOf of `required` branches means "exactly one of these keys": say that once
  // instead of listing each branch's missing key.
  const exclusiveChoices = errors.filter((e) => e.keyword === 'oneOf' && requiredKeysOfBranches(e) !== undefined);
  const insideChoice = (e: ErrorObject): boolean =>
    exclusiveChoices.some((choice) => e !== choice && e.schemaPath.startsWith(`${choice.schemaPath}/`));
  const messages = errors
    .filter((e) => !insideChoice(e))
    .filter((e) => (e.keyword !== 'oneOf' && e.keyword !== 'anyOf') || exclusiveChoices.includes(e))
    .map((error) => {
      const { child, text } = describe(error);
      const segments = pointerSegments(error.instancePath);
      if (child !== undefined) segments.push(child);
      return `${locate(root, segments, value, nameEntry)}: ${text}`;
    });
  return [...new Set(messages)];
}

/** What is wrong, and the key under the error's instance it is about (a missing or unknown field). */
function describe(error: ErrorObject): { child?: string; text: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { child: String(params.missingProperty), text: 'is required' };
    case 'additionalProperties':
      return { child: String(params.additionalProperty), text: 'unknown field' };
    case 'enum':
      return { text: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { text: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'oneOf':
      return { text: `must set exactly one of ${(requiredKeysOfBranches(error) ?? []).join(', ')}` };
    case 'minProperties':
    case 'maxProperties':
      if (/(^|\/)policy$/.test(error.instancePath)) return { text: 'must set exactly one of semver, alphabetical, numerical' };
      return { text: error.message ?? 'is invalid' };
    default:
      return { text: error.message ?? 'is invalid' };
  }
}

/**
 * The field as the user writes it. Inside a list entry `nameEntry` names, the entry and its
 * name come first and the rest of the path after them: `spec.policies[0] (web): policy.semver.range`.
 */
function locate(root: string, segments: readonly string[], value: unknown, nameEntry: EntryNamer | undefined): string {
  if (nameEntry !== undefined) {
    let node = value;
    for (let depth = 0; depth < segments.length; depth++) {
      const segment = segments[depth] as string;
      const isEntry = Array.isArray(node) && /^\d+$/.test(segment);
      node = isEntry ? (node as unknown[])[Number(segment)] : asObject(node)?.[segment];
      if (!isEntry) continue;
      const name = nameEntry(toPointer(segments.slice(0, depth)), node);
      if (name === undefined) continue;
      const entry = `${fieldPath(root, segments.slice(0, depth + 1))} (${name})`;
      const rest = segments.slice(depth + 1);
      return rest.length === 0 ? entry : `${entry}: ${fieldPath('', rest)}`;
    }
  }
  return fieldPath(root, segments);
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

function requiredKeysOfBranches(error: ErrorObject): string[] | undefined {
  const branches = error.schema as unknown;
  if (!Array.isArray(branches)) return undefined;
  const keys = branches.map((b: { required?: unknown }) =>
    Array.isArray(b.required) && b.required.length === 1 && Object.keys(b).length === 1 ? String(b.required[0]) : undefined,
  );
  return keys.every((k) => k !== undefined) ? (keys as string[]) : undefined;
}

/** `/spec/policies/0/policy` → `['spec', 'policies', '0', 'policy']`. */
function pointerSegments(instancePath: string): string[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function toPointer(segments: readonly string[]): string {
  return segments.map((segment) => `/${segment.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** `policy`, `semver`, `range` under `spec` → `spec.policy.semver.range`; indices become `[n]`. */
function fieldPath(root: string, segments: readonly string[]): string {
  const path = segments.reduce(
    (text, segment) => (/^\d+$/.test(segment) ? `${text}[${segment}]` : text === '' ? segment : `${text}.${segment}`),
    root,
  );
  return path === '' ? '(top level)' : path;
}
