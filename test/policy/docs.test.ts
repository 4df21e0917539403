import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { selectTag, type SelectionSpec } from '../../src/policy/select.js';

// Every YAML example in docs/policies.md is followed by a "Tags: … → picks …"
// line; checking them keeps the documentation honest.
const markdown = readFileSync(new URL('../../docs/policies.md', import.meta.url), 'utf8');
const examples = [...markdown.matchAll(/```yaml\n([\s\S]*?)```\s*\nTags: (.*?) → picks \*\*`([^`]*)`\*\*/g)].map(
  ([, yaml, tagList, picked]) => {
    const policy = parse(yaml!) as { metadata: { name: string }; spec: SelectionSpec };
    const tags = [...tagList!.matchAll(/`([^`]*)`/g)].map(([, tag]) => tag!);
    return { name: policy.metadata.name, spec: policy.spec, tags, picked: picked! };
  },
);

describe('docs/policies.md examples', () => {
  it('has examples for every policy kind', () => {
    const kinds = new Set(examples.flatMap(({ spec }) => Object.keys(spec.policy)));
    expect([...kinds].sort()).toEqual(['alphabetical', 'numerical', 'semver']);
  });

  it.each(examples.map((example) => [example.name, example] as const))('%s', (_name, { spec, tags, picked }) => {
    expect(selectTag(spec, tags)).toBe(picked);
  });
});
