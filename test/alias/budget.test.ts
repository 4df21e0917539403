import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/registry/index.js';
import { withRequestBudget } from '../../src/resolve/budget.js';
import { resolveSites } from '../../src/resolve/resolve.js';
import type { PolicySite } from '../../src/resolve/sites.js';
import { aliasDefinition } from './definition.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, seedRepository } from '../harness/registry.js';

const SHA_TAGS = Array.from({ length: 60 }, (_, i) => `sha-${(0xa000000 + i).toString(16)}`);

describe.skipIf(!registryAvailable())('spec.requestBudget stops an alias search before it floods the registry (real registry)', () => {
  const fx = useRegistryFixture();
  let latestDigest: string;

  beforeAll(async () => {
    await seedRepository(fx.registry, 'team/huge', SHA_TAGS);
    // The alias ranks last under alphabetical asc: finding it means asking every candidate.
    latestDigest = (await pushImage(fx.registry, 'team/huge', { tags: ['latest', 'sha-0000001'] })).digest;
  });

  const site: PolicySite = {
    policy: { namespace: 'flux-system', name: 'huge' },
    current: 'old',
    where: { fieldPath: 'spec.containers[0].image', declaredBy: 'marker {"$imagepolicy": "flux-system:huge"}' },
  };

  const resolveWithBudget = async (budget: number) => {
    const client = createRegistryClient();
    try {
      const resolution = await resolveSites([site], new Map([['flux-system/huge', aliasDefinition('huge', `${fx.registry.host}/team/huge`, '^sha-[0-9a-f]{7}$')]]), withRequestBudget(client, budget));
      return { resolution, requests: client.requestCount() };
    } finally {
      await client.close();
    }
  };

  it('over budget: one error naming the policy and suggesting a tighter filterTags; no update; the overrun is bounded', async () => {
    const { resolution, requests } = await resolveWithBudget(20);
    expect(resolution.updates).toEqual([]);
    expect(resolution.results).toHaveLength(1);
    const [error] = resolution.results;
    expect(error?.severity).toBe('error');
    expect(error?.message).toContain('functionConfig spec.policies[0] (flux-system/huge)');
    expect(error?.message).toMatch(/stopped after \d+ registry requests, the run's budget \(spec\.requestBudget: 20\)/);
    expect(error?.message).toContain('tighter filterTags');
    // Lookups already in flight when the budget ran out still finish: at most the window (16) more.
    expect(requests).toBeGreaterThanOrEqual(20);
    expect(requests).toBeLessThan(20 + 16);
  });

  it('within budget the same search succeeds: one request per candidate, plus list, latest and three probes', async () => {
    const { resolution, requests } = await resolveWithBudget(100);
    expect(resolution.results.filter((r) => r.severity === 'error')).toEqual([]);
    expect(resolution.updates.map((u) => u.value)).toEqual([`${fx.registry.host}/team/huge:sha-0000001@${latestDigest}`]);
    // https probe, tag list, latest, Harbor and GitLab probes (61 candidates make them worth asking), 61 candidates.
    expect(requests).toBe(1 + 1 + 1 + 2 + SHA_TAGS.length + 1);
  });
});
