import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePolicy } from '../../src/policy/select.js';
import {
  acrTagSource,
  dockerHubTagSource,
  googleTagSource,
  harborTagSource,
  isHarbor,
  quayTagSource,
  vendorOfRegistry,
  type BulkTagSource,
  type JsonGetter,
} from '../../src/registry/bulk/index.js';
import { createRegistryClient, type ImageRepository, type RegistryClient } from '../../src/registry/index.js';
import { searchAlias } from '../../src/resolve/alias.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable } from '../harness/registry.js';
import { aliasDefinition } from './definition.js';
import { startFakeVendorApis, type FakeVendorServer } from './fakes/vendor-apis.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const TAGS = new Map([
  ['latest', D1],
  ['sha-aaaaaaa', D1],
  ['sha-bbbbbbb', D1],
  ['sha-ccccccc', D2],
  ['1.0.0', D2],
  ['1.1.0', D1],
  ['zz-old', D2],
]);
const AT_D1 = ['1.1.0', 'latest', 'sha-aaaaaaa', 'sha-bbbbbbb'];

const repoAt = (registry: string, apiHost: string, repository: string): ImageRepository => ({
  written: `${registry}/${repository}`,
  registry,
  apiHost,
  repository,
});

describe('bulk tag sources: which vendor API a registry host offers', () => {
  it.each([
    ['gcr.io', 'google'],
    ['eu.gcr.io', 'google'],
    ['europe-west1-docker.pkg.dev', 'google'],
    ['index.docker.io', 'docker-hub'],
    ['quay.io', 'quay'],
    ['myteam.azurecr.io', 'acr'],
    ['ghcr.io', 'ghcr'],
    ['registry.example.com:5000', undefined],
    ['notgcr.io', undefined],
  ])('%s → %s', (host, vendor) => {
    expect(vendorOfRegistry(host)).toBe(vendor);
  });
});

// The vendor APIs are FAKES (test/alias/fakes/vendor-apis.ts): hosted services cannot be reached
// here. The JSON GETs go through the real registry client's getJson, as in production.
describe('bulk tag sources against FAKE vendor APIs (recorded shapes, paginated two per page)', () => {
  let flat: FakeVendorServer;
  let nested: FakeVendorServer;
  let client: RegistryClient;

  beforeAll(async () => {
    flat = await startFakeVendorApis({ repository: 'proj/app', tags: TAGS });
    nested = await startFakeVendorApis({ repository: 'proj/team/app', tags: TAGS });
    client = createRegistryClient({ insecureRegistries: [flat.host, nested.host] });
  });
  afterAll(async () => {
    await client?.close();
    await flat?.stop();
    await nested?.stop();
  });

  const cases: Array<[string, (http: JsonGetter) => BulkTagSource, () => FakeVendorServer, string, number]> = [
    ['FAKE Google tags/list manifest map', (http) => googleTagSource(http), () => flat, 'proj/app', 4],
    ['FAKE Docker Hub tags API', (http) => dockerHubTagSource(http, { apiHost: flat.host }), () => flat, 'proj/app', 4],
    ['FAKE Quay tag API', (http) => quayTagSource(http), () => flat, 'proj/app', 4],
    ['FAKE ACR _tags filtered by digest', (http) => acrTagSource(http), () => flat, 'proj/app', 2],
    ['FAKE Harbor artifact API, nested repository double-encoded', (http) => harborTagSource(http), () => nested, 'proj/team/app', 1],
  ];

  it.each(cases)('%s: every tag at the digest, over all pages', async (_name, make, server, repository, pages) => {
    const fake = server();
    const before = fake.requests().length;
    const tags = await make(client).tagsAt(repoAt('vendor.example', fake.host, repository), D1);
    expect([...tags].sort()).toEqual(AT_D1);
    expect(fake.requests().length - before).toBe(pages);
  });

  it('FAKE vendor outage: the adapter throws (the alias search then falls back)', async () => {
    flat.failWith(403);
    try {
      await expect(quayTagSource(client).tagsAt(repoAt('quay.io', flat.host, 'proj/app'), D1)).rejects.toThrow(/Quay tag API: GET .* answered 403/);
    } finally {
      flat.failWith(undefined);
    }
  });

  it('FAKE Harbor is recognised by its systeminfo answer', async () => {
    expect(await isHarbor(client, repoAt('harbor.example', nested.host, 'proj/team/app'))).toBe(true);
  });
});

describe.skipIf(!registryAvailable())('the alias search with a bulk source, HEADs against the real registry', () => {
  const fx = useRegistryFixture({ proxy: true });
  let client: RegistryClient;
  let fake: FakeVendorServer;
  let digests: { build: string; decoy: string };

  beforeAll(async () => {
    client = createRegistryClient();
    const build = await pushImage(fx.registry, 'proj/app', { tags: ['latest', 'sha-aaaaaaa', 'sha-bbbbbbb'], seed: 'bulk' });
    const decoy = await pushImage(fx.registry, 'proj/app', { tags: ['sha-fffffff'], seed: 'bulk', annotations: { decoy: 'yes' } });
    digests = { build: build.digest, decoy: decoy.digest };
    fake = await startFakeVendorApis({
      repository: 'proj/app',
      tags: new Map([
        ['latest', build.digest],
        ['sha-aaaaaaa', build.digest],
        ['sha-bbbbbbb', build.digest],
        ['sha-fffffff', decoy.digest],
      ]),
    });
  });
  afterAll(async () => {
    await client?.close();
    await fake?.stop();
  });

  const search = async (client: RegistryClient, repo: ImageRepository, http: JsonGetter, notices: string[]) => {
    const definition = aliasDefinition('app', repo.written, '^sha-[0-9a-f]{7}$');
    const policy = preparePolicy(definition.selection);
    const tags = await client.listTags(repo);
    const { tag: alias, digest } = await searchAlias({
      definition,
      policy,
      repo,
      tags,
      registry: { listTags: client.listTags, resolveDigest: client.resolveDigest, getJson: http.getJson },
      onNotice: (message) => notices.push(message),
    });
    return { tag: alias, digest };
  };

  it('FAKE Quay names the tags at latest\'s digest; the policy ranks them, one real HEAD confirms the winner, no HEAD per tag', async () => {
    const notices: string[] = [];
    const routedToFake: JsonGetter = { getJson: (repo, path) => client.getJson({ ...repo, apiHost: fake.host }, path) };
    const before = fake.requests().length;
    fx.proxy.clear();
    const repo = repoAt('quay.io', fx.proxy.host, 'proj/app');
    expect(await search(client, repo, routedToFake, notices)).toEqual({ tag: 'sha-bbbbbbb', digest: digests.build });
    expect(notices).toEqual([]);
    expect(fake.requests().length - before).toBe(2);
    // latest (mutable) and the winner; sha-fffffff, which ranks first, is never asked.
    expect(fx.proxy.requests().filter((r) => r.method === 'HEAD').map((r) => r.path)).toEqual([
      '/v2/proj/app/manifests/latest',
      '/v2/proj/app/manifests/sha-bbbbbbb',
    ]);
  });

  it('a vendor API that fails falls back to HEAD per tag, with a notice naming the API', async () => {
    const notices: string[] = [];
    // quay.io by name, but the API host is the real distribution registry: /api/v1/… answers 404.
    const repo = repoAt('quay.io', fx.registry.host, 'proj/app');
    const own = createRegistryClient();
    try {
      expect(await search(own, repo, own, notices)).toEqual({ tag: 'sha-bbbbbbb', digest: digests.build });
    } finally {
      await own.close();
    }
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/flux-system\/app\): the Quay tag API failed \(.*404.*\); asking tag by tag instead/);
  });
});
