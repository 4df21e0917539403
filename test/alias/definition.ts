import type { PolicyDefinition } from '../../src/config/policy-definitions.js';

/** An inline `aliasOf: {tag: latest}` policy as the functionConfig loader produces it. */
export function aliasDefinition(name: string, image: string, pattern: string): PolicyDefinition {
  return {
    namespace: 'flux-system',
    name,
    image,
    selection: { policy: { alphabetical: { order: 'asc' } }, filterTags: { pattern } },
    digestReflectionPolicy: 'Always',
    tagListMaxAgeMs: 60_000,
    aliasOf: { tag: 'latest' },
    access: {},
    origin: { description: `functionConfig spec.policies[0] (flux-system/${name})` },
  };
}
