import { describe, expect, it } from 'vitest';
import { ConfigError, loadFunctionConfig } from '../../src/config/function-config.js';

const withPolicy = (policy: Record<string, unknown>): unknown => ({
  apiVersion: 'fn.apply-image-policies.dev/v1alpha1',
  kind: 'ApplyImagePolicies',
  spec: { policies: [{ name: 'app', policy: { semver: { range: '1.x' } }, ...policy }] },
});

const problemsOf = (raw: unknown): readonly string[] => {
  try {
    loadFunctionConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('inline policy repository', () => {
  it('rejects both image and imageRepositoryRef: the repository would be ambiguous', () => {
    expect(problemsOf(withPolicy({ image: 'ghcr.io/org/app', imageRepositoryRef: { name: 'app' } }))).toEqual([
      'spec.policies[0]: must set exactly one of image, imageRepositoryRef',
    ]);
  });

  it('names the choice once when neither is set', () => {
    expect(problemsOf(withPolicy({}))).toEqual(['spec.policies[0]: must set exactly one of image, imageRepositoryRef']);
  });

  it('accepts either one', () => {
    expect(problemsOf(withPolicy({ image: 'ghcr.io/org/app' }))).toEqual([]);
    expect(problemsOf(withPolicy({ imageRepositoryRef: { name: 'app' } }))).toEqual([]);
  });
});
