// docs/registry.md shows a functionConfig with every per-registry setting; a reader copies it, so
// it must load as written (and its timeout mean what the text says).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadFunctionConfig } from '../../src/config/function-config.js';
import { registrySettings } from '../../src/setup/registry-settings.js';

const markdown = readFileSync(new URL('../../docs/registry.md', import.meta.url), 'utf8');

describe('docs/registry.md', () => {
  it('the spec.registries[] example is a valid functionConfig', () => {
    const blocks = [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as { kind?: string; spec?: { registries?: unknown } });
    const example = blocks.find((b) => b?.kind === 'ApplyImagePolicies' && b.spec?.registries);
    expect(example).toBeDefined();
    const config = loadFunctionConfig(example);
    expect(config.registries.map((r) => r.host)).toEqual(['registry.corp.example:5000', '10.0.0.5:5000']);
    expect(registrySettings(config.registries).timeouts).toEqual(new Map([['registry.corp.example:5000', 10_000]]));
  });
});
