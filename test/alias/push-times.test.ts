// Push times from vendor listings: each adapter's parser as a table (the documented format, the
// neighbouring formats a vendor might send, garbage), the memo, and what each adapter records
// while answering against the FAKE vendor APIs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acrPushTime,
  acrTagSource,
  dockerHubPushTime,
  dockerHubTagSource,
  ecrPushTime,
  epochMsTime,
  epochSecondsTime,
  googlePushTime,
  ghcrPushTime,
  gitlabPushTime,
  googleTagSource,
  harborPushTime,
  harborTagSource,
  PushTimes,
  quayPushTime,
  quayTagSource,
  rfc3339Time,
  type BulkTagSource,
  type JsonGetter,
  type PushTimeSink,
} from '../../src/registry/bulk/index.js';
import { createRegistryClient, type ImageRepository, type RegistryClient } from '../../src/registry/index.js';
import { startFakeVendorApis, type FakeVendorServer } from './fakes/vendor-apis.js';

const T = Date.UTC(2024, 5, 6, 13, 33, 0);

describe('time formats', () => {
  it.each<[unknown, number | undefined]>([
    ['2024-06-06T13:33:00Z', T],
    ['2024-06-06T13:33:00.123Z', T + 123],
    ['2024-06-06T13:33:00.123456Z', T + 123],
    ['2024-06-06T13:33:00.1234567Z', T + 123],
    ['2024-06-06T15:33:00+02:00', T],
    ['2024-06-06t13:33:00z', T],
    // Parsed as written; releaseTime is what calls a time before 1980 unknown.
    ['0001-01-01T00:00:00Z', -62_135_596_800_000],
    ['2024-06-06', undefined],
    ['2024-06-06 13:33:00', undefined],
    ['Thu, 06 Jun 2024 13:33:00 -0000', undefined],
    ['2024-13-45T99:99:99Z', undefined],
    ['1717680780', undefined],
    ['', undefined],
    [1717680780000, undefined],
    [null, undefined],
    [undefined, undefined],
  ])('RFC 3339 %j → %s', (value, expected) => {
    expect(rfc3339Time(value)).toBe(expected);
  });

  it.each<[unknown, number | undefined]>([
    [1717680780, T],
    [1717680780.5, T + 500],
    [0, 0],
    ['1717680780', undefined],
    [-1, undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [null, undefined],
    [{}, undefined],
  ])('epoch seconds %j → %s', (value, expected) => {
    expect(epochSecondsTime(value)).toBe(expected);
  });

  it.each<[unknown, number | undefined]>([
    ['1717680780000', T],
    [1717680780000, T],
    ['0', 0],
    ['1717680780000.5', undefined],
    ['-1717680780000', undefined],
    ['1.7e12', undefined],
    ['', undefined],
    ['99999999999999999', undefined],
    [1717680780000.5, undefined],
    [-1, undefined],
    [null, undefined],
  ])('epoch ms %j → %s', (value, expected) => {
    expect(epochMsTime(value)).toBe(expected);
  });
});

describe("each adapter reads its vendor's push-time field, and only that", () => {
  it.each<[string, Record<string, unknown>, number | undefined]>([
    ['documented', { name: 'v1', tag_last_pushed: '2024-06-06T13:33:00.123456Z', last_updated: '2030-01-01T00:00:00Z' }, T + 123],
    ['without it, last_updated is no push time', { name: 'v1', last_updated: '2024-06-06T13:33:00Z' }, undefined],
    ['null (never pushed since Hub kept times)', { name: 'v1', tag_last_pushed: null }, undefined],
    ['seconds are not its format', { name: 'v1', tag_last_pushed: 1717680780 }, undefined],
    ['garbage', { name: 'v1', tag_last_pushed: 'yesterday' }, undefined],
  ])('Docker Hub tag_last_pushed: %s', (_case, result, expected) => {
    expect(dockerHubPushTime(result)).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, number | undefined]>([
    ['documented (seconds)', { name: 'v1', start_ts: 1717680780, last_modified: 'Thu, 06 Jun 2024 13:33:00 -0000' }, T],
    ['without it, last_modified alone is not read', { name: 'v1', last_modified: 'Thu, 06 Jun 2024 13:33:00 -0000' }, undefined],
    ['a string is not its format', { name: 'v1', start_ts: '1717680780' }, undefined],
    ['garbage', { name: 'v1', start_ts: 'soon' }, undefined],
  ])('Quay start_ts: %s', (_case, tag, expected) => {
    expect(quayPushTime(tag)).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, number | undefined]>([
    ['documented (ms as a string)', { tag: ['v1'], timeCreatedMs: '0', timeUploadedMs: '1717680780000' }, T],
    ['ms as a number', { tag: ['v1'], timeUploadedMs: 1717680780000 }, T],
    ['timeCreatedMs is the config time, not a push', { tag: ['v1'], timeCreatedMs: '1717680780000' }, undefined],
    ['an ISO string is not its format', { tag: ['v1'], timeUploadedMs: '2024-06-06T13:33:00Z' }, undefined],
    ['garbage', { tag: ['v1'], timeUploadedMs: 'n/a' }, undefined],
  ])('Google timeUploadedMs: %s', (_case, info, expected) => {
    expect(googlePushTime(info)).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, number | undefined]>([
    ['documented: lastUpdateTime before createdTime', { createdTime: '2020-01-01T00:00:00.0000000Z', lastUpdateTime: '2024-06-06T13:33:00.1234567Z' }, T + 123],
    ['createdTime when lastUpdateTime is missing', { createdTime: '2024-06-06T13:33:00.0000000Z' }, T],
    ['createdTime when lastUpdateTime is garbage', { createdTime: '2024-06-06T13:33:00Z', lastUpdateTime: 'never' }, T],
    ['neither', { name: 'v1' }, undefined],
    ['ms are not its format', { lastUpdateTime: 1717680780000 }, undefined],
  ])('ACR lastUpdateTime / createdTime: %s', (_case, tag, expected) => {
    expect(acrPushTime(tag)).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, number | undefined]>([
    ['the artifact push_time first', { push_time: '2024-06-06T13:33:00.000Z' }, { push_time: '2025-01-01T00:00:00.000Z' }, T],
    ["the tag's push_time when the artifact has none", {}, { push_time: '2024-06-06T13:33:00.000Z' }, T],
    ["the tag's when the artifact's is garbage", { push_time: 'x' }, { push_time: '2024-06-06T13:33:00Z' }, T],
    ['neither', {}, {}, undefined],
    ['seconds are not its format', { push_time: 1717680780 }, {}, undefined],
  ])('Harbor push_time: %s', (_case, artifact, tag, expected) => {
    expect(harborPushTime(artifact, tag)).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, number | undefined]>([
    ['documented: updated_at (the last tag that arrived) before created_at', { created_at: '2020-01-01T00:00:00Z', updated_at: '2024-06-06T13:33:00Z' }, T],
    ['created_at when updated_at is missing', { created_at: '2024-06-06T13:33:00Z' }, T],
    ['created_at when updated_at is garbage', { created_at: '2024-06-06T13:33:00Z', updated_at: 'now' }, T],
    ['neither', { name: 'sha256:abc' }, undefined],
    ['seconds are not its format', { updated_at: 1717680780 }, undefined],
  ])('GitHub package version updated_at / created_at: %s', (_case, version, expected) => {
    expect(ghcrPushTime(version)).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, number | undefined]>([
    ['documented (milliseconds)', { name: 'v1', created_at: '2020-01-01T00:00:00.000Z', published_at: '2024-06-06T13:33:00.000Z' }, T],
    ['an offset', { published_at: '2024-06-06T15:33:00.000+02:00' }, T],
    ['without it, created_at is not read', { created_at: '2024-06-06T13:33:00.000Z', updated_at: '2024-06-06T13:33:00.000Z' }, undefined],
    ['garbage', { published_at: 'recently' }, undefined],
  ])('GitLab published_at: %s', (_case, tag, expected) => {
    expect(gitlabPushTime(tag)).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, number | undefined]>([
    ['as the SDK hands it over (a Date)', { imagePushedAt: new Date(T) }, T],
    ['as the wire carries it (epoch seconds, a fraction)', { imagePushedAt: 1717680780.5 }, T + 500],
    ['an invalid Date', { imagePushedAt: new Date(Number.NaN) }, undefined],
    ['a string is not its format', { imagePushedAt: '2024-06-06T13:33:00Z' }, undefined],
    ['missing', {}, undefined],
  ])('ECR imagePushedAt: %s', (_case, detail, expected) => {
    expect(ecrPushTime(detail)).toBe(expected);
  });
});

const repoAt = (registry: string, apiHost: string, repository: string): ImageRepository => ({ written: `${registry}/${repository}`, registry, apiHost, repository });

describe('PushTimes', () => {
  const repo = repoAt('quay.io', 'quay.io', 'proj/app');
  const D1 = `sha256:${'1'.repeat(64)}`;
  const D2 = `sha256:${'2'.repeat(64)}`;

  it('answers for the tag at the digest it was listed with, per repository, and keeps no absent time', () => {
    const times = new PushTimes();
    times.record(repo, 'latest', D1, T);
    times.record(repo, 'sha-aaaaaaa', D1, undefined);
    expect(times.pushedAt(repo, 'latest', D1)).toBe(T);
    // The tag has moved since the listing: its time says nothing about this digest.
    expect(times.pushedAt(repo, 'latest', D2)).toBeUndefined();
    expect(times.pushedAt(repo, 'sha-aaaaaaa', D1)).toBeUndefined();
    expect(times.pushedAt({ ...repo, repository: 'proj/other' }, 'latest', D1)).toBeUndefined();
    // Keyed by registry, not API host: Docker Hub lists on hub.docker.com what index.docker.io serves.
    expect(times.pushedAt({ ...repo, apiHost: '127.0.0.1:1' }, 'latest', D1)).toBe(T);
  });
});

describe('adapters record the push times their FAKE listing gives, for every tag listed', () => {
  const D1 = `sha256:${'1'.repeat(64)}`;
  const D2 = `sha256:${'2'.repeat(64)}`;
  const HOUR = 3_600_000;
  const tags = new Map([
    ['latest', D1],
    ['sha-aaaaaaa', D1],
    ['sha-bbbbbbb', D2],
  ]);
  const pushedAt = new Map([
    ['latest', T + HOUR],
    ['sha-aaaaaaa', T],
    ['sha-bbbbbbb', T - HOUR],
  ]);
  let fake: FakeVendorServer;
  let client: RegistryClient;
  beforeAll(async () => {
    fake = await startFakeVendorApis({ repository: 'proj/app', tags, pushedAt });
    client = createRegistryClient({ insecureRegistries: [fake.host] });
  });
  afterAll(async () => {
    await client?.close();
    await fake?.stop();
  });

  // Per tag where the vendor keeps a time per tag; per digest (its first push) where it keeps one per image.
  const cases: Array<[string, (http: JsonGetter, pushTimes: PushTimeSink) => BulkTagSource, Record<string, number | undefined>]> = [
    ['FAKE Docker Hub', (http, pushTimes) => dockerHubTagSource(http, { apiHost: fake.host, pushTimes }), { latest: T + HOUR, 'sha-aaaaaaa': T, 'sha-bbbbbbb': T - HOUR }],
    ['FAKE Quay', (http, pushTimes) => quayTagSource(http, { pushTimes }), { latest: T + HOUR, 'sha-aaaaaaa': T, 'sha-bbbbbbb': T - HOUR }],
    ['FAKE Google', (http, pushTimes) => googleTagSource(http, { pushTimes }), { latest: T, 'sha-aaaaaaa': T, 'sha-bbbbbbb': T - HOUR }],
    // Filtered by digest on the server: only the tags at D1 are listed.
    ['FAKE ACR', (http, pushTimes) => acrTagSource(http, { pushTimes }), { latest: T + HOUR, 'sha-aaaaaaa': T, 'sha-bbbbbbb': undefined }],
    // One artifact asked for: its tags, at the artifact's time.
    ['FAKE Harbor', (http, pushTimes) => harborTagSource(http, { pushTimes }), { latest: T, 'sha-aaaaaaa': T, 'sha-bbbbbbb': undefined }],
  ];

  it.each(cases)('%s', async (_name, make, expected) => {
    const times = new PushTimes();
    const repo = repoAt('vendor.example', fake.host, 'proj/app');
    expect([...(await make(client, times).tagsAt(repo, D1))].sort()).toEqual(['latest', 'sha-aaaaaaa']);
    const seen = Object.fromEntries([...tags].map(([tag, digest]) => [tag, times.pushedAt(repo, tag, digest)]));
    expect(seen).toEqual(expected);
  });

  it('without a memo an adapter answers as before', async () => {
    const repo = repoAt('vendor.example', fake.host, 'proj/app');
    expect([...(await quayTagSource(client).tagsAt(repo, D1))].sort()).toEqual(['latest', 'sha-aaaaaaa']);
  });
});
