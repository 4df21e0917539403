// The listings of GHCR (GitHub's packages API), GitLab (the registry's /gitlab/v1/ API) and ECR
// (DescribeImages through the AWS SDK), against FAKES of their documented answers:
// - GitHub REST API, "List package versions for a package owned by an organization / a user"
//   (docs.github.com/rest/packages/packages): an array of versions, `name` the digest,
//   `metadata.container.tags`, `created_at` / `updated_at`, `Link` pagination, a token required.
// - GitLab container registry, "GitLab Container Registry HTTP API V1", List Repository Tags
//   (gitlab-org/container-registry docs-gitlab/api.md): an array of `{name, digest, media_type,
//   size_bytes, created_at, updated_at, published_at}`, `Link` with a `last` marker.
// - Amazon ECR API Reference, DescribeImages / ImageDetail (docs.aws.amazon.com/AmazonECR/latest/
//   APIReference/API_DescribeImages.html): `imageDetails[]` with `imageDigest`, `imageTags`,
//   `imagePushedAt`, `nextToken`; JSON 1.1 errors such as `ImageNotFoundException`.
// Manifests and HEADs always come from the real registry.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { preparePolicy } from '../../src/policy/select.js';
import {
  BulkApiError,
  BulkUnavailableError,
  bulkTagSourceFor,
  ecrTagSource,
  ghcrTagSource,
  gitlabTagSource,
  isGitLabRegistry,
  PushTimes,
  vendorOfRegistry,
  type BulkSelectionOptions,
  type JsonGetter,
} from '../../src/registry/bulk/index.js';
import { createRegistryClient, type ImageRepository, type Keychain, type RegistryClient } from '../../src/registry/index.js';
import { searchAlias } from '../../src/resolve/alias.js';
import { useRegistryFixture } from '../harness/fixture.js';
import { pushImage, registryAvailable } from '../harness/registry.js';
import { aliasDefinition } from './definition.js';
import { startFakeEcr, type FakeEcrServer } from './fakes/ecr-api.js';
import { DEFAULT_PUSHED_AT, startFakeVendorApis, type FakeVendorServer } from './fakes/vendor-apis.js';

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
const AT_D2 = ['1.0.0', 'sha-ccccccc', 'zz-old'];
// D1 is the newer digest: GitHub lists it first.
const PUSHED = new Map([...TAGS].map(([tag, digest]) => [tag, digest === D1 ? Date.UTC(2024, 5, 6, 13, 33, 0) : DEFAULT_PUSHED_AT]));
const ACCOUNT = '123456789012';
const ECR_HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;

const repoAt = (registry: string, apiHost: string, repository: string): ImageRepository => ({ written: `${registry}/${repository}`, registry, apiHost, repository });
const fakeAws = () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAFAKEFAKEFAKEFAKE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'fake/secret/for/the/fake/endpoint');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_SESSION_TOKEN', '');
};

describe('which hosts the new listings serve', () => {
  it.each([
    ['ghcr.io', 'ghcr'],
    ['registry.gitlab.com', 'gitlab'],
    [ECR_HOST, 'ecr'],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', 'ecr'],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', 'ecr'],
    ['public.ecr.aws', undefined],
    ['12345.dkr.ecr.eu-west-1.amazonaws.com', undefined],
    ['gitlab.example.com', undefined],
  ])('%s → %s', (host, vendor) => {
    expect(vendorOfRegistry(host)).toBe(vendor);
  });
});

describe('FAKE GitLab registry tags API', () => {
  let fake: FakeVendorServer;
  let client: RegistryClient;
  beforeAll(async () => {
    fake = await startFakeVendorApis({ repository: 'group/sub/app', tags: TAGS, pushedAt: PUSHED }, { harbor: false });
    client = createRegistryClient({ insecureRegistries: [fake.host] });
  });
  afterAll(async () => {
    await client?.close();
    await fake?.stop();
  });

  it('names every tag at the digest over all pages (marker in Link) and records published_at', async () => {
    const before = fake.requests().length;
    const times = new PushTimes();
    const repo = repoAt('registry.gitlab.com', fake.host, 'group/sub/app');
    expect((await gitlabTagSource(client, { pushTimes: times }).tagsAt(repo, D1)).sort()).toEqual(AT_D1);
    const asked = fake.requests().slice(before);
    expect(asked).toHaveLength(4);
    expect(asked[0]).toBe('/gitlab/v1/repositories/group/sub/app/tags/list/?n=1000');
    expect(asked[1]).toMatch(/\/tags\/list\/\?n=2&last=/);
    expect(times.pushedAt(repo, 'latest', D1)).toBe(PUSHED.get('latest'));
    expect(times.pushedAt(repo, 'zz-old', D2)).toBe(DEFAULT_PUSHED_AT);
  });

  it('a self-managed GitLab registry is recognised by one probe, after Harbor says no', async () => {
    const repo = repoAt('gitlab.example.com', fake.host, 'group/sub/app');
    expect(await isGitLabRegistry(client, repo)).toBe(true);
    const before = fake.requests().length;
    const http: JsonGetter = { getJson: (r, p, o) => client.getJson(r, p, o) };
    const source = await bulkTagSourceFor(repo, http, { probe: true });
    expect(source?.api).toBe('GitLab registry tags API');
    expect(await bulkTagSourceFor(repo, http, { probe: true })).toBeDefined();
    expect(fake.requests().slice(before)).toEqual(['/api/v2.0/systeminfo', '/gitlab/v1/']);
    // Configured: no probe at all.
    const configured = await bulkTagSourceFor(repoAt('gitlab.internal', fake.host, 'group/sub/app'), { getJson: http.getJson }, { gitlabHosts: ['gitlab.internal'] });
    expect(configured?.api).toBe('GitLab registry tags API');
  });

  it('a failing listing throws (the search then falls back)', async () => {
    fake.failWith(503);
    try {
      await expect(gitlabTagSource(createRegistryClient({ retry: { maxAttempts: 1 } })).tagsAt(repoAt('registry.gitlab.com', fake.host, 'group/sub/app'), D1)).rejects.toThrow(
        /GitLab registry tags API: GET .* answered 503/,
      );
    } finally {
      fake.failWith(undefined);
    }
  });
});

describe('FAKE GitHub packages API for ghcr.io', () => {
  let org: FakeVendorServer;
  let user: FakeVendorServer;
  let client: RegistryClient;
  const env = { GITHUB_TOKEN: 'ghp_fake' };
  beforeAll(async () => {
    org = await startFakeVendorApis({ repository: 'octo-org/team/app', tags: TAGS, pushedAt: PUSHED }, { pageSize: 1 });
    user = await startFakeVendorApis({ repository: 'octocat/app', tags: TAGS, pushedAt: PUSHED }, { pageSize: 1, githubOwner: 'users', githubToken: 'ghp_from_keychain' });
    client = createRegistryClient();
  });
  afterAll(async () => {
    await client?.close();
    await org?.stop();
    await user?.stop();
  });

  it('finds the newest digest on the first page and stops there; the nested name is one %2F segment', async () => {
    const before = org.requests().length;
    const times = new PushTimes();
    const repo = repoAt('ghcr.io', org.host, 'octo-org/team/app');
    expect((await ghcrTagSource(client, { apiHost: org.host, env, pushTimes: times }).tagsAt(repo, D1)).sort()).toEqual(AT_D1);
    expect(org.requests().slice(before)).toEqual(['/orgs/octo-org/packages/container/team%2Fapp/versions?per_page=100']);
    expect(org.authorizations().at(-1)).toBe('Bearer ghp_fake');
    // updated_at: the latest tag that arrived on the version.
    expect(times.pushedAt(repo, 'latest', D1)).toBe(PUSHED.get('latest'));
  });

  it('follows Link pages until the digest is seen', async () => {
    const before = org.requests().length;
    const repo = repoAt('ghcr.io', org.host, 'octo-org/team/app');
    expect((await ghcrTagSource(client, { apiHost: org.host, env }).tagsAt(repo, D2)).sort()).toEqual(AT_D2);
    expect(org.requests().slice(before)).toHaveLength(2);
  });

  it("a user's package: the organization path answers 404, the user path is asked, and remembered; the keychain's ghcr.io password is the token", async () => {
    const keychain: Keychain = { resolve: async (registry) => (registry === 'ghcr.io' ? { username: 'octocat', password: 'ghp_from_keychain' } : undefined) };
    const own = createRegistryClient({ keychain });
    try {
      const source = ghcrTagSource(own, { apiHost: user.host, env: {} });
      const repo = repoAt('ghcr.io', user.host, 'octocat/app');
      const before = user.requests().length;
      expect((await source.tagsAt(repo, D1)).sort()).toEqual(AT_D1);
      expect((await source.tagsAt(repo, D1)).sort()).toEqual(AT_D1);
      expect(user.requests().slice(before).map((p) => p.split('/')[1])).toEqual(['orgs', 'users', 'users']);
      expect(new Set(user.authorizations().slice(before))).toEqual(new Set(['Bearer ghp_from_keychain']));
    } finally {
      await own.close();
    }
  });

  it("a private package of the token's own user is listed under /user/, after orgs/ and users/ answer 404", async () => {
    const mine = await startFakeVendorApis({ repository: 'octocat/secret', tags: TAGS, pushedAt: PUSHED }, { githubOwner: 'user' });
    try {
      const source = ghcrTagSource(client, { apiHost: mine.host, env });
      const repo = repoAt('ghcr.io', mine.host, 'octocat/secret');
      expect((await source.tagsAt(repo, D2)).sort()).toEqual(AT_D2);
      expect(mine.requests()).toEqual([
        '/orgs/octocat/packages/container/secret/versions?per_page=100',
        '/users/octocat/packages/container/secret/versions?per_page=100',
        '/user/packages/container/secret/versions?per_page=100',
      ]);
      // A package found nowhere is a failure the search reports: the last 404.
      await expect(ghcrTagSource(client, { apiHost: mine.host, env }).tagsAt(repoAt('ghcr.io', mine.host, 'octocat/gone'), D1)).rejects.toThrow(/GET \/user\/.* answered 404/);
    } finally {
      await mine.stop();
    }
  });

  it('without any token: unavailable, and nothing is sent', async () => {
    const before = org.requests().length;
    await expect(ghcrTagSource(client, { apiHost: org.host, env: {} }).tagsAt(repoAt('ghcr.io', org.host, 'octo-org/team/app'), D1)).rejects.toBeInstanceOf(BulkUnavailableError);
    expect(org.requests().length).toBe(before);
  });

  it('a refused token is a failure (the search says so and falls back)', async () => {
    await expect(ghcrTagSource(client, { apiHost: org.host, env: { GH_TOKEN: 'ghp_wrong' } }).tagsAt(repoAt('ghcr.io', org.host, 'octo-org/team/app'), D1)).rejects.toThrow(
      /GitHub packages API: GET .* answered 401/,
    );
  });
});

describe('FAKE ECR DescribeImages through the AWS SDK', () => {
  let fake: FakeEcrServer;
  beforeAll(async () => {
    fake = await startFakeEcr({ repository: 'team/app', account: ACCOUNT, tags: TAGS, pushedAt: PUSHED });
  });
  beforeEach(fakeAws);
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(async () => {
    await fake?.stop();
  });
  const repo = repoAt(ECR_HOST, '127.0.0.1:1', 'team/app');

  it('one signed call filtered by the digest names its tags and records imagePushedAt; the SDK says nothing on stderr', async () => {
    const before = fake.requests().length;
    const times = new PushTimes();
    // The first test of this file loads the SDK: its Node-version notice would come now.
    const warnings = vi.spyOn(process, 'emitWarning');
    expect((await ecrTagSource({ endpoint: fake.endpoint, pushTimes: times }).tagsAt(repo, D1)).sort()).toEqual(AT_D1);
    expect(warnings.mock.calls.map(([warning]) => String(warning)).filter((w) => w.includes('NodeVersionSupportWarning'))).toEqual([]);
    warnings.mockRestore();
    const calls = fake.requests().slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual({
      target: 'AmazonEC2ContainerRegistry_V20150921.DescribeImages',
      signed: true,
      body: { registryId: ACCOUNT, repositoryName: 'team/app', imageIds: [{ imageDigest: D1 }] },
    });
    expect(times.pushedAt(repo, 'sha-aaaaaaa', D1)).toBe(PUSHED.get('sha-aaaaaaa'));
  });

  it('AWS_ENDPOINT_URL_ECR points the SDK at the endpoint (how a run is tested against a fake)', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_ECR', fake.endpoint);
    const before = fake.requests().length;
    expect((await ecrTagSource().tagsAt(repo, D2)).sort()).toEqual(AT_D2);
    expect(fake.requests().length - before).toBe(1);
  });

  it('a digest ECR does not know names no tag; an access error is a failure', async () => {
    expect(await ecrTagSource({ endpoint: fake.endpoint }).tagsAt(repo, `sha256:${'9'.repeat(64)}`)).toEqual([]);
    fake.failWith('AccessDeniedException');
    try {
      await expect(ecrTagSource({ endpoint: fake.endpoint }).tagsAt(repo, D1)).rejects.toThrow(/ECR DescribeImages API: AccessDeniedException/);
    } finally {
      fake.failWith(undefined);
    }
  });

  it('without AWS credentials: unavailable, and nothing is sent', async () => {
    vi.unstubAllEnvs();
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
      vi.stubEnv(name, undefined);
    }
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/credentials');
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/config');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    const before = fake.requests().length;
    await expect(ecrTagSource({ endpoint: fake.endpoint }).tagsAt(repo, D1)).rejects.toBeInstanceOf(BulkUnavailableError);
    expect(fake.requests().length).toBe(before);
  });

  it('the SDK is imported in one place, dynamically: runs that meet no ECR repository never load it', () => {
    const src = join(import.meta.dirname, '../../src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const users = files.filter((f) => readFileSync(join(src, f), 'utf8').includes('@aws-sdk/'));
    expect(users).toEqual([join('registry', 'bulk', 'ecr.ts')]);
    const ecr = readFileSync(join(src, 'registry/bulk/ecr.ts'), 'utf8');
    // Type imports are erased; the one value import is `await import(...)`.
    expect(ecr.match(/^import (?!type ).*@aws-sdk/gm)).toBeNull();
    expect(ecr).toContain("await import('@aws-sdk/client-ecr')");
  });

  it('is a BulkApiError for a host that is not ECR', async () => {
    await expect(ecrTagSource({ endpoint: fake.endpoint }).tagsAt(repoAt('quay.io', 'quay.io', 'team/app'), D1)).rejects.toBeInstanceOf(BulkApiError);
  });
});

describe.skipIf(!registryAvailable())('alias searches with the new listings, HEADs against the real registry', () => {
  const fx = useRegistryFixture({ proxy: true });
  let client: RegistryClient;
  let gitlab: FakeVendorServer;
  let github: FakeVendorServer;
  let ecr: FakeEcrServer;
  let digests: { build: string; decoy: string };

  beforeAll(async () => {
    client = createRegistryClient();
    const build = await pushImage(fx.registry, 'proj/app', { tags: ['latest', 'sha-aaaaaaa', 'sha-bbbbbbb'], seed: 'listings' });
    const decoy = await pushImage(fx.registry, 'proj/app', { tags: ['sha-fffffff'], seed: 'listings', annotations: { decoy: 'yes' } });
    digests = { build: build.digest, decoy: decoy.digest };
    const tags = new Map([
      ['latest', build.digest],
      ['sha-aaaaaaa', build.digest],
      ['sha-bbbbbbb', build.digest],
      ['sha-fffffff', decoy.digest],
    ]);
    // Newer than the decoy, so GitHub lists the build's version first.
    const pushedAt = new Map([...tags].map(([tag, digest]) => [tag, digest === build.digest ? DEFAULT_PUSHED_AT + 60_000 : DEFAULT_PUSHED_AT]));
    gitlab = await startFakeVendorApis({ repository: 'proj/app', tags, pushedAt }, { pageSize: 100, harbor: false });
    github = await startFakeVendorApis({ repository: 'proj/app', tags, pushedAt }, { pageSize: 100 });
    ecr = await startFakeEcr({ repository: 'proj/app', account: ACCOUNT, tags, pushedAt });
  });
  beforeEach(fakeAws);
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(async () => {
    await client?.close();
    await gitlab?.stop();
    await github?.stop();
    await ecr?.stop();
  });

  const search = async (repo: ImageRepository, http: JsonGetter, bulk: BulkSelectionOptions, notices: string[], registry: RegistryClient = client) => {
    const definition = aliasDefinition('app', repo.written, '^sha-[0-9a-f]{7}$');
    const { tag, digest } = await searchAlias({
      definition,
      policy: preparePolicy(definition.selection),
      repo,
      tags: await registry.listTags(repo),
      registry: { listTags: registry.listTags, resolveDigest: registry.resolveDigest, getJson: http.getJson },
      onNotice: (message) => notices.push(message),
      bulk,
    });
    return { tag, digest };
  };
  const heads = () => fx.proxy.requests().filter((r) => r.method === 'HEAD').map((r) => r.path);
  const ONE_CONFIRMING_HEAD = ['/v2/proj/app/manifests/latest', '/v2/proj/app/manifests/sha-bbbbbbb'];
  // The registry client, its vendor GETs sent to a fake API host (the registry's own host for GitLab).
  const routedTo = (host: string, via: RegistryClient = client): JsonGetter => ({ getJson: (repo, path, options) => via.getJson({ ...repo, apiHost: host }, path, options) });

  const cases: Array<[string, string, () => { http: JsonGetter; bulk: BulkSelectionOptions; listed: () => number }]> = [
    ['GitLab', 'registry.gitlab.com', () => ({ http: routedTo(gitlab.host), bulk: {}, listed: () => gitlab.requests().length })],
    ['GHCR', 'ghcr.io', () => ({ http: client, bulk: { githubApiHost: github.host, env: { GITHUB_TOKEN: 'ghp_fake' } }, listed: () => github.requests().length })],
    ['ECR', ECR_HOST, () => ({ http: client, bulk: { ecrEndpoint: ecr.endpoint }, listed: () => ecr.requests().length })],
  ];

  it.each(cases)('FAKE %s names the tags at latest in one listing request; one real HEAD confirms the winner', async (_name, registry, setup) => {
    const { http, bulk, listed } = setup();
    const notices: string[] = [];
    const before = listed();
    fx.proxy.clear();
    const repo = repoAt(registry, fx.proxy.host, 'proj/app');
    expect(await search(repo, http, bulk, notices)).toEqual({ tag: 'sha-bbbbbbb', digest: digests.build });
    expect(notices).toEqual([]);
    expect(listed() - before).toBe(1);
    expect(heads()).toEqual(ONE_CONFIRMING_HEAD);
  });

  it.each<[string, string, (own: RegistryClient) => { http: JsonGetter; bulk: BulkSelectionOptions; undo: () => void }, RegExp]>([
    ['GitLab', 'registry.gitlab.com', (own) => (gitlab.failWith(403), { http: routedTo(gitlab.host, own), bulk: {}, undo: () => gitlab.failWith(undefined) }), /the GitLab registry tags API failed \(.*403.*\)/],
    ['GHCR', 'ghcr.io', (own) => ({ http: own, bulk: { githubApiHost: github.host, env: { GITHUB_TOKEN: 'ghp_revoked' } }, undo: () => undefined }), /the GitHub packages API failed \(.*401.*\)/],
    ['ECR', ECR_HOST, (own) => (ecr.failWith('AccessDeniedException'), { http: own, bulk: { ecrEndpoint: ecr.endpoint }, undo: () => ecr.failWith(undefined) }), /the ECR DescribeImages API failed \(.*AccessDeniedException/],
  ])('FAKE %s failing: one notice, and HEAD per tag answers', async (_name, registry, setup, said) => {
    // A client of its own: the digests the other searches confirmed are not remembered here.
    const own = createRegistryClient();
    const { http, bulk, undo } = setup(own);
    const notices: string[] = [];
    try {
      fx.proxy.clear();
      expect(await search(repoAt(registry, fx.proxy.host, 'proj/app'), http, bulk, notices, own)).toEqual({ tag: 'sha-bbbbbbb', digest: digests.build });
    } finally {
      undo();
      await own.close();
    }
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(said);
    expect(notices[0]).toMatch(/asking tag by tag instead/);
    expect(notices[0]).not.toMatch(/ghp_/);
    // The decoy, which ranks first, is asked: the search went tag by tag.
    expect(heads()).toContain('/v2/proj/app/manifests/sha-fffffff');
  });

  it('GHCR without any token: no listing, no notice, HEAD per tag answers', async () => {
    const notices: string[] = [];
    const before = github.requests().length;
    const repo = repoAt('ghcr.io', fx.proxy.host, 'proj/app');
    expect(await search(repo, client, { githubApiHost: github.host, env: {} }, notices)).toEqual({ tag: 'sha-bbbbbbb', digest: digests.build });
    expect(notices).toEqual([]);
    expect(github.requests().length).toBe(before);
  });
});
