// fn-config/ holds the functionConfig files the examples, the docs and the tests use verbatim; its
// JSON schema is generated from the one the function validates with, so an editor and the
// function never disagree about what is valid.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadFunctionConfig } from '../../src/config/function-config.js';
import { functionConfigSchema } from '../../src/config/schema.js';
import { REPO_ROOT } from '../container/podman.js';
import { requireBuiltCli } from '../e2e/run-fn.js';

const FN_CONFIG = join(REPO_ROOT, 'fn-config');
const SCHEMA_FILE = join(FN_CONFIG, 'schema', 'apply-image-policies.schema.json');
const MODELINE = '# yaml-language-server: $schema=./schema/apply-image-policies.schema.json';
const configFiles = readdirSync(FN_CONFIG).filter((name) => name.endsWith('.yaml')).sort();

describe('fn-config/', () => {
  it('commits the schema exactly as the build generates it from src/config/schema.ts', () => {
    expect(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(functionConfigSchema);
    requireBuiltCli();
    const check = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/gen-schema.mjs'), '--check'], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });

  it('has example configs', () => {
    expect(configFiles).toEqual(expect.arrayContaining(['inline-policies.yaml', 'registries.yaml', 'tags-only.yaml']));
  });

  const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  for (const name of configFiles) {
    it(`${name} names the schema for editors, validates against it and loads`, () => {
      const text = readFileSync(join(FN_CONFIG, name), 'utf8');
      expect(text.split('\n')[0]).toBe(MODELINE);
      const object = parse(text) as unknown;
      expect(validate(object), JSON.stringify(validate.errors)).toBe(true);
      expect(() => loadFunctionConfig(object, name)).not.toThrow();
    });
  }

  it('rejects what the schema rejects, naming the field', () => {
    const object = parse(readFileSync(join(FN_CONFIG, 'inline-policies.yaml'), 'utf8')) as { spec: { policies: Array<Record<string, unknown>> } };
    object.spec.policies[0]!.polcy = object.spec.policies[0]!.policy;
    expect(validate(object)).toBe(false);
    expect(() => loadFunctionConfig(object, 'inline-policies.yaml')).toThrow(/spec\.policies\[0\].*polcy/);
  });

  it('examples/inline-policies uses fn-config/inline-policies.yaml, with the modeline pointing back here', () => {
    const original = readFileSync(join(FN_CONFIG, 'inline-policies.yaml'), 'utf8');
    const copy = readFileSync(join(REPO_ROOT, 'examples/inline-policies/apply-image-policies.yaml'), 'utf8');
    expect(copy).toBe(original.replace('$schema=./schema/', '$schema=../../fn-config/schema/'));
  });
});
