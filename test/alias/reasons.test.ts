import { beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDefinition } from '../../src/config/policy-definitions.js';
import { createRegistryClient } from '../../src/registry/index.js';
import { resolveSites } from '../../src/resolve/resolve.js';
import type { PolicySite } from '../../src/resolve/sites.js';
import { aliasDefinition } from './definition.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable } from '../harness/registry.js';

const site = (name: string, current: string): PolicySite => ({
  policy: { namespace: 'flux-system', name },
  current,
  where: { fieldPath: 'spec.containers[0].image', declaredBy: `marker {"$imagepolicy": "flux-system:${name}"}` },
});

function semverDefinition(name: string, image: string): PolicyDefinition {
  return {
    ...aliasDefinition(name, image, ''),
    selection: { policy: { semver: { range: '>=1.0.0 <2.0.0' } }, exclusionList: ['-rc'] },
    aliasOf: undefined,
  } as PolicyDefinition;
}

describe.skipIf(!registryAvailable())('a resolution keeps its reasons (real registry)', () => {
  const fx = useRegistryFixture();
  let build: string;
  let stable: string;

  beforeAll(async () => {
    stable = (await pushImage(fx.registry, 'team/web', { tags: ['1.4.0', '1.2.0', '2.0.0', '1.5.0-rc1', 'main'] })).digest;
    await pushImage(fx.registry, 'team/web', { tags: ['sha-0000001'] });
    build = (await pushImage(fx.registry, 'team/web', { tags: ['latest', 'sha-00000b2'] })).digest;
  });

  it('per policy: the tags listed, what each stage dropped and why, the selection; per field: the outcome', async () => {
    const client = createRegistryClient();
    const image = `${fx.registry.host}/team/web`;
    const sites = [site('web', `${image}:1.2.0`), site('web-build', `${image}:sha-00000b2@${build}`)];
    const policies = new Map([
      ['flux-system/web', semverDefinition('web', image)],
      ['flux-system/web-build', aliasDefinition('web-build', image, '^sha-[0-9a-f]{7}$')],
    ]);
    try {
      const resolution = await resolveSites(sites, policies, client);
      const web = resolution.policies.find((p) => p.key === 'flux-system/web')!;
      expect([...web.listed!].sort()).toEqual(['1.2.0', '1.4.0', '1.5.0-rc1', '2.0.0', 'latest', 'main', 'sha-0000001', 'sha-00000b2']);
      expect(web.funnel!.stages.map((s) => [s.stage, s.remaining])).toEqual([
        ['exclusionList', 7],
        ['filterTags', 7],
        ['policy', 2],
      ]);
      expect(web.funnel!.stages[0]!.dropped).toEqual([{ tag: '1.5.0-rc1', reason: 'exclusion-list' }]);
      expect(web.funnel!.stages[2]!.dropped).toContainEqual({ tag: '2.0.0', reason: 'outside-range' });
      expect(web.funnel!.stages[2]!.dropped).toContainEqual({ tag: 'latest', reason: 'not-a-version' });
      expect(web.selected).toEqual({ tag: '1.4.0', digest: stable });

      const alias = resolution.policies.find((p) => p.key === 'flux-system/web-build')!;
      expect(alias.selected).toEqual({ tag: 'sha-00000b2', digest: build });
      expect(alias.alias).toMatchObject({ rolling: 'latest', digest: build, tag: 'sha-00000b2', method: 'head-search', candidates: 2 });
      // Best first: sha-00000b2 outranks sha-0000001, so the first lookup is the winner.
      expect(alias.alias!.steps[0]).toEqual({ tag: 'sha-00000b2', digest: build, via: 'registry', from: 'registry' });

      expect(resolution.sites.map((s) => [s.policy, s.outcome, s.after])).toEqual([
        ['flux-system/web', 'pinned', `${image}:1.4.0@${stable}`],
        ['flux-system/web-build', 'unchanged', `${image}:sha-00000b2@${build}`],
      ]);
    } finally {
      await client.close();
    }
  });

  it('a policy that fails keeps its error, and every field it marks says so', async () => {
    const client = createRegistryClient();
    const image = `${fx.registry.host}/team/web`;
    const definition = { ...semverDefinition('old', image), selection: { policy: { semver: { range: '>=9.0.0' } } } } as PolicyDefinition;
    try {
      const resolution = await resolveSites([site('old', `${image}:1.2.0`)], new Map([['flux-system/old', definition]]), client);
      expect(resolution.updates).toEqual([]);
      // Flux's words first, then what each stage left and the nearest tags.
      expect(resolution.policies[0]!.error).toBe(
        'unable to determine latest version from provided list: 8 listed → 8 after exclusionList → 8 after filterTags → 0 valid for semver ">=9.0.0"; highest versions outside the range: 2.0.0, 1.5.0-rc1, 1.4.0',
      );
      expect(resolution.sites[0]).toMatchObject({ outcome: 'error', before: `${image}:1.2.0` });
      expect(resolution.sites[0]!.error).toContain('unable to determine latest version from provided list');
    } finally {
      await client.close();
    }
  });
});
