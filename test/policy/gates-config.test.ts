// docs/gates.md shows the settings as a reader copies them: they must load as written, the
// inline value must win over spec's, and a malformed value must be refused by name.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadFunctionConfig } from '../../src/config/function-config.js';
import { collectPolicies } from '../../src/config/policy-definitions.js';

const markdown = readFileSync(new URL('../../docs/gates.md', import.meta.url), 'utf8');
const example = [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Record<string, unknown>).find((b) => b?.kind === 'ApplyImagePolicies');

describe('gate settings', () => {
  it('the docs/gates.md example loads, and an inline value wins over spec’s', () => {
    expect(example).toBeDefined();
    const config = loadFunctionConfig(example);
    const { policies } = collectPolicies([], config);
    const gates = policies.get('flux-system/web')?.gates;
    expect(gates?.platforms?.map((p) => `${p.os}/${p.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(gates?.minReleaseAge).toEqual({ written: '72h', ms: 72 * 3_600_000 });
    expect(gates?.unknownReleaseAge).toBe('allow');
  });

  it.each([
    [{ platforms: ['linux'] }, /platforms/],
    [{ platforms: ['Linux/AMD64/v8/x'] }, /platforms/],
    [{ minReleaseAge: '3 days' }, /minReleaseAge/],
    [{ unknownReleaseAge: 'sometimes' }, /unknownReleaseAge/],
  ])('%j is refused, naming the setting', (spec, named) => {
    expect(() => loadFunctionConfig({ apiVersion: 'fn.apply-image-policies.dev/v1alpha1', kind: 'ApplyImagePolicies', spec })).toThrow(named);
  });
});
