// minReleaseAge with aliasOf, where the vendor listing the alias search fetched gives the rolling
// tag's push time: that time decides, over what the image's config says. The vendor APIs are
// FAKES (test/alias/fakes/vendor-apis.ts, in each vendor's documented shape); tags, digests,
// manifests and configs come from the real registry, as in test/alias/bulk.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDefinition } from '../../src/config/policy-definitions.js';
import { createRegistryClient, type ImageRepository, type RegistryClient } from '../../src/registry/index.js';
import type { RegistryPort } from '../../src/resolve/registry-port.js';
import { resolveSites } from '../../src/resolve/resolve.js';
import type { PolicySite } from '../../src/resolve/sites.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable, type PushedImage } from '../harness/registry.js';
import { aliasDefinition } from './definition.js';
import { startFakeVendorApis, type FakeVendorServer } from './fakes/vendor-apis.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const ROLLING = 'latest';
const ALIAS = 'sha-1234567';
// Harbor is recognised by a probe, asked only when the search has this many candidates or more.
const DECOYS = Array.from({ length: 24 }, (_, i) => `sha-dec${i.toString(16).padStart(4, '0')}`);

// Image names whose registry host picks the vendor; the repository part is the fake's.
const VENDORS: Array<[string, (repository: string) => string, string]> = [
  ['Docker Hub', (r) => `docker.io/${r}`, 'Docker Hub tags API'],
  ['Quay', (r) => `quay.io/${r}`, 'Quay tag API'],
  ['Google', (r) => `europe-docker.pkg.dev/${r}`, 'Google tags/list manifest map'],
  ['ACR', (r) => `acme.azurecr.io/${r}`, 'ACR tag API'],
  ['Harbor', (r) => `harbor.example/${r}`, 'Harbor artifact API'],
];

const site = (name: string, current: string): PolicySite => ({
  policy: { namespace: 'flux-system', name },
  current,
  where: { fieldPath: 'spec.containers[0].image', declaredBy: `marker {"$imagepolicy": "flux-system:${name}"}` },
});

const gated = (definition: PolicyDefinition, minReleaseAge: string, ms: number): PolicyDefinition => ({ ...definition, gates: { minReleaseAge: { written: minReleaseAge, ms } } });

describe.skipIf(!registryAvailable())('minReleaseAge with aliasOf: the push time a FAKE vendor listing gives decides (real registry)', () => {
  const fx = useRegistryFixture();
  let client: RegistryClient;
  const images: Record<'oldConfig' | 'freshConfig', PushedImage> = {} as never;
  const fakes: Record<'oldConfig' | 'freshConfig' | 'stale', FakeVendorServer> = {} as never;

  beforeAll(async () => {
    client = createRegistryClient();
    // The config says 2020, the listing says an hour ago: a rebuilt release with a kept config time.
    images.oldConfig = await pushImage(fx.registry, 'push/old-config', { tags: [ROLLING, ALIAS], seed: 'push-old', created: '2020-06-01T00:00:00Z' });
    // The config says an hour ago, the listing says five days: the config time is a rebuild's, the release is old.
    images.freshConfig = await pushImage(fx.registry, 'push/fresh-config', { tags: [ROLLING, ALIAS], seed: 'push-fresh', created: ago(HOUR) });
    const decoys: Record<string, string> = {};
    for (const repository of ['push/old-config', 'push/fresh-config']) {
      decoys[repository] = (await pushImage(fx.registry, repository, { tags: DECOYS, seed: `decoy-${repository}`, annotations: { decoy: 'yes' } })).digest;
    }
    // One page: the routing below moves the API host under the adapters, and Docker Hub's next links are absolute.
    const listing = (image: PushedImage, repository: string, rollingPushed: number, rollingAt = image.digest) =>
      startFakeVendorApis(
        {
          repository,
          tags: new Map([[ROLLING, rollingAt], [ALIAS, image.digest], ...DECOYS.map((tag) => [tag, decoys[repository]!] as [string, string])]),
          pushedAt: new Map([[ROLLING, rollingPushed], [ALIAS, rollingPushed]]),
        },
        { pageSize: 100 },
      );
    fakes.oldConfig = await listing(images.oldConfig, 'push/old-config', Date.now() - HOUR);
    fakes.freshConfig = await listing(images.freshConfig, 'push/fresh-config', Date.now() - 5 * DAY);
    // A listing that lags the registry: it still has latest at a decoy, pushed five days ago.
    fakes.stale = await listing(images.freshConfig, 'push/fresh-config', Date.now() - 5 * DAY, decoys['push/fresh-config']);
  });
  afterAll(async () => {
    await client?.close();
    for (const fake of Object.values(fakes)) await fake?.stop();
  });

  /** The registry calls go to the real registry, the vendor API calls to `fake`. */
  const routed = (fake: FakeVendorServer): RegistryPort => {
    const real = (repo: ImageRepository): ImageRepository => ({ ...repo, apiHost: fx.registry.host });
    return {
      listTags: (repo, hints) => client.listTags(real(repo), hints),
      resolveDigest: (repo, tag, hints) => client.resolveDigest(real(repo), tag, hints),
      imageFacts: (repo, digest, needs) => client.imageFacts(real(repo), digest, needs),
      getJson: (repo, path, options) => client.getJson({ ...repo, apiHost: fake.host }, path, options),
    };
  };

  const resolveAlias = async (image: string, fake: FakeVendorServer, minReleaseAge = '1d', ms = DAY) => {
    const definition = gated(aliasDefinition('web', image, '^sha-[0-9a-f]{7}$'), minReleaseAge, ms);
    const resolution = await resolveSites([site('web', `${image}:sha-0000000`)], new Map([['flux-system/web', definition]]), routed(fake));
    // A vendor API that failed would say so in a warning, and the search would have asked tag by tag.
    expect(resolution.results.filter((r) => r.severity === 'warning')).toEqual([]);
    return { resolution, record: resolution.policies[0]! };
  };

  it.each(VENDORS)('%s: the config says 2020, the listing says pushed 1h ago: refused, and the reason says pushed', async (_vendor, imageOf, api) => {
    const image = imageOf('push/old-config');
    const { resolution, record } = await resolveAlias(image, fakes.oldConfig);
    expect(record.alias?.method).toBe(`vendor:${api}`);
    expect(record.error).toBe(`${ROLLING}'s image (${images.oldConfig.digest.slice(0, 19)}, tag ${ALIAS}) was pushed 1h ago (minReleaseAge 1d) (minReleaseAge)`);
    expect(resolution.sites[0]).toMatchObject({ outcome: 'error', before: `${image}:sha-0000000` });
  });

  it.each(VENDORS)('%s: the config says 1h ago, the listing says pushed 5d ago: pinned', async (_vendor, imageOf, api) => {
    const image = imageOf('push/fresh-config');
    const { resolution, record } = await resolveAlias(image, fakes.freshConfig);
    expect(record.error).toBeUndefined();
    expect(record.alias?.method).toBe(`vendor:${api}`);
    // Judged by the config alone, this image would be refused (created 1h ago).
    expect(record.gateChecks).toEqual([{ tag: ALIAS, digest: images.freshConfig.digest, pass: true }]);
    expect(resolution.sites[0]).toMatchObject({ outcome: 'pinned', after: `${image}:${ALIAS}@${images.freshConfig.digest}` });
  });

  it("a listing that has the rolling tag at another digest gives no time for this image: the config's decides", async () => {
    // Docker Hub lists every tag with its digest, so a lagging index shows latest where it was.
    const image = `docker.io/push/fresh-config`;
    const { record } = await resolveAlias(image, fakes.stale);
    expect(record.alias?.method).toBe('vendor:Docker Hub tags API');
    expect(record.error).toBe(`${ROLLING}'s image (${images.freshConfig.digest.slice(0, 19)}, tag ${ALIAS}) was created 1h ago (minReleaseAge 1d) (minReleaseAge)`);
  });

  it('a policy without aliasOf fetches no listing for a push time: the created time decides, and the vendor API is never asked', async () => {
    const image = `quay.io/push/fresh-config`;
    const base = aliasDefinition('plain', image, `^${ALIAS}$`);
    const definition = gated({ ...base, aliasOf: undefined } as PolicyDefinition, '1d', DAY);
    const before = fakes.freshConfig.requests().length;
    const resolution = await resolveSites([site('plain', `${image}:sha-0000000`)], new Map([['flux-system/plain', definition]]), routed(fakes.freshConfig));
    expect(resolution.policies[0]!.error).toBe(`no candidate passes the gates: ${ALIAS} was created 1h ago (minReleaseAge 1d) (minReleaseAge; 1 candidate checked)`);
    expect(fakes.freshConfig.requests().length).toBe(before);
  });
});
