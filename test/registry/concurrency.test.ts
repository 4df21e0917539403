import { beforeAll, describe, expect, it } from 'vitest';
import { loadFunctionConfig } from '../../src/config/function-config.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { createRunRegistry } from '../../src/setup/registry.js';
import { parseRepository } from '../../src/registry/name.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { registryAvailable, seedRepository } from '../harness/registry.js';

describe.skipIf(!registryAvailable())('per-registry concurrency cap', () => {
  let inFlight = 0;
  let peak = 0;
  // Answers are held until this many requests are in flight (or 250 ms pass), so the cap is
  // reached however slowly a loaded machine sends them; a client over its cap would pass it.
  let holdUntil = 0;
  let released: Array<() => void> = [];
  let digests: Map<string, string>;
  const tags = Array.from({ length: 60 }, (_, i) => `t${i}`);
  const fx = useRegistryFixture({
    proxy: {
      intercept: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        if (inFlight >= holdUntil) for (const release of released.splice(0)) release();
        else await new Promise<void>((resolve) => {
          released.push(resolve);
          setTimeout(resolve, 250);
        });
        inFlight--;
        return undefined;
      },
    },
  });

  beforeAll(async () => {
    digests = await seedRepository(fx.registry, 'cap/app', tags);
  });

  it.each([
    [4, 4],
    [16, 16],
  ])('never has more than %i requests in flight to one registry', async (cap, expected) => {
    peak = 0;
    holdUntil = cap;
    const c = createRegistryClient({ concurrency: cap });
    try {
      const repo = parseRepository(`${fx.proxy.host}/cap/app`);
      const got = await Promise.all(tags.map((t) => c.resolveDigest(repo, t)));
      expect(got).toEqual(tags.map((t) => digests.get(t)));
      expect(peak).toBe(expected);
    } finally {
      await c.close();
    }
  });

  it('spec.registries[].concurrency caps that registry in a run', async () => {
    peak = 0;
    holdUntil = 3;
    const config = loadFunctionConfig({
      apiVersion: 'fn.apply-image-policies.dev/v1alpha1',
      kind: 'ApplyImagePolicies',
      spec: { registries: [{ host: fx.proxy.host, concurrency: 3 }], cache: { disabled: true } },
    });
    const run = createRunRegistry(config, [], new Map(), { offline: false, env: { HOME: '/nonexistent', DOCKER_CONFIG: '/nonexistent' }, warn: () => {} });
    try {
      const repo = parseRepository(`${fx.proxy.host}/cap/app`);
      await Promise.all(tags.slice(0, 20).map((t) => run.resolveDigest(repo, t, { mutable: true })));
      expect(peak).toBe(3);
    } finally {
      await run.close();
    }
  });
});
