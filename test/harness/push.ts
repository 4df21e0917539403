/**
 * Seeding a registry through the distribution push API, without Docker: blob uploads
 * (`POST …/blobs/uploads/` → `PUT <Location>&digest=…`) and manifest `PUT`s.
 *
 * Content is synthetic: the registry checks that referenced blobs exist and that digests match, not
 * that a layer is a real tarball, so a few dozen bytes per blob keep seeding fast.
 */
import { createHash, randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { RegistryTarget } from './target.js';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Every manifest type: what a client must Accept to get the registry's top-level digest. */
export const ALL_MANIFEST_TYPES = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.dockerManifest,
].join(', ');

/** `oci`/`docker`: a single-platform image. `oci-index`/`docker-list`: linux/amd64 + linux/arm64 unless told. */
export type ManifestKind = 'oci' | 'docker' | 'oci-index' | 'docker-list';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: HarnessPlatform;
}

export interface HarnessPlatform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface PushedImage {
  /** `sha256:…` of {@link PushedImage.manifest}: what HEAD on any of its tags must return. */
  digest: string;
  /** The exact bytes PUT to the registry. */
  manifest: Buffer;
  mediaType: string;
  /** Tags it was PUT under (possibly none: then it exists by digest only). */
  tags: string[];
  /** For indexes and lists: the platform manifests, pushed by digest before the index. */
  children?: PushedImage[];
}

export interface PushImageOptions {
  tags?: string[];
  kind?: ManifestKind;
  /** Same seed (and kind) ⇒ same bytes ⇒ same digest. Random when omitted. */
  seed?: string;
  /** Extra annotations: a cheap way to get distinct manifests that share blobs. */
  annotations?: Record<string, string>;
  /**
   * The platforms an index lists (default linux/amd64, linux/arm64), or the one a single image's
   * config names (default linux/amd64).
   */
  platforms?: HarnessPlatform[];
  /** The config's `created` (every platform's, for an index); null leaves it out. Default 2024-01-01. */
  created?: string | null;
}

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function encodeRepo(repo: string): string {
  return repo.split('/').map(encodeURIComponent).join('/');
}

async function authHeaders(target: RegistryTarget, repo: string): Promise<Record<string, string>> {
  const value = await target.authorize?.(`repository:${repo}:pull,push`);
  return value ? { authorization: value } : {};
}

async function call(
  target: RegistryTarget,
  method: 'GET' | 'HEAD' | 'POST' | 'PUT',
  url: string,
  headers: Record<string, string>,
  body?: Buffer,
  expect: number[] = [200, 201, 202],
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const res = await request(url, {
    method,
    headers,
    ...(body ? { body } : {}),
    ...(target.dispatcher ? { dispatcher: target.dispatcher } : {}),
  });
  const buf = Buffer.from(await res.body.arrayBuffer());
  if (!expect.includes(res.statusCode)) {
    throw new Error(`harness: ${method} ${url} → ${res.statusCode}: ${buf.toString('utf8').slice(0, 500)}`);
  }
  return { status: res.statusCode, headers: res.headers, body: buf };
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Uploads one blob (skipped when the registry already has it) and returns its digest. */
export async function pushBlob(target: RegistryTarget, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const auth = await authHeaders(target, repo);
  const base = `${target.url}/v2/${encodeRepo(repo)}/blobs`;
  const head = await call(target, 'HEAD', `${base}/${digest}`, auth, undefined, [200, 404]);
  if (head.status === 200) return digest;
  const started = await call(target, 'POST', `${base}/uploads/`, auth, undefined, [202]);
  const location = header(started.headers, 'location');
  if (!location) throw new Error(`harness: upload for ${repo} returned no Location`);
  // Location may be absolute (2.8 builds it from the Host header) or relative.
  const put = new URL(location, target.url);
  put.searchParams.set('digest', digest);
  await call(target, 'PUT', put.toString(), { ...auth, 'content-type': 'application/octet-stream' }, bytes, [201]);
  return digest;
}

/** PUTs manifest bytes under a tag or digest and checks the registry agrees on the digest. */
export async function putManifest(
  target: RegistryTarget,
  repo: string,
  reference: string,
  manifest: Buffer,
  mediaType: string,
): Promise<string> {
  const auth = await authHeaders(target, repo);
  const res = await call(
    target,
    'PUT',
    `${target.url}/v2/${encodeRepo(repo)}/manifests/${encodeURIComponent(reference)}`,
    { ...auth, 'content-type': mediaType },
    manifest,
    [201],
  );
  const digest = sha256(manifest);
  const reported = header(res.headers, 'docker-content-digest');
  if (reported && reported !== digest) {
    throw new Error(`harness: registry stored ${reported} for a manifest whose bytes hash to ${digest}`);
  }
  return digest;
}

function pseudoRandom(seed: string, label: string, length: number): Buffer {
  const out: Buffer[] = [];
  let block = Buffer.from(`${seed}\0${label}`);
  let total = 0;
  while (total < length) {
    block = createHash('sha256').update(block).digest();
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

interface Blobs {
  config: Descriptor;
  layer: Descriptor;
}

/** Uploads a config + layer pair for one platform; the seed makes them deterministic. */
async function pushPlatformBlobs(
  target: RegistryTarget,
  repo: string,
  docker: boolean,
  seed: string,
  platform: HarnessPlatform,
  created: string | null = '2024-01-01T00:00:00Z',
): Promise<Blobs> {
  const layerBytes = pseudoRandom(seed, `layer/${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`, 64);
  const layerDigest = await pushBlob(target, repo, layerBytes);
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      ...(created === null ? {} : { created }),
      config: { Labels: { 'harness.seed': seed } },
      rootfs: { type: 'layers', diff_ids: [sha256(layerBytes)] },
    }),
  );
  const configDigest = await pushBlob(target, repo, config);
  return {
    config: { mediaType: docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.ociConfig, digest: configDigest, size: config.length },
    layer: { mediaType: docker ? MEDIA_TYPES.dockerLayer : MEDIA_TYPES.ociLayer, digest: layerDigest, size: layerBytes.length },
  };
}

function imageManifest(docker: boolean, blobs: Blobs, annotations?: Record<string, string>): { bytes: Buffer; mediaType: string } {
  const mediaType = docker ? MEDIA_TYPES.dockerManifest : MEDIA_TYPES.ociManifest;
  const body: Record<string, unknown> = { schemaVersion: 2, mediaType, config: blobs.config, layers: [blobs.layer] };
  // 2.8 ignores unknown fields in Docker schema2 too, so annotations work for both formats.
  if (annotations && Object.keys(annotations).length > 0) body.annotations = annotations;
  return { bytes: Buffer.from(JSON.stringify(body)), mediaType };
}

function indexManifest(docker: boolean, children: PushedImage[], platforms: Descriptor['platform'][], annotations?: Record<string, string>) {
  const mediaType = docker ? MEDIA_TYPES.dockerList : MEDIA_TYPES.ociIndex;
  const body: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((c, i) => ({ mediaType: c.mediaType, digest: c.digest, size: c.manifest.length, platform: platforms[i] })),
  };
  if (annotations && Object.keys(annotations).length > 0) body.annotations = annotations;
  return { bytes: Buffer.from(JSON.stringify(body)), mediaType };
}

const PLATFORMS: HarnessPlatform[] = [
  { architecture: 'amd64', os: 'linux' },
  { architecture: 'arm64', os: 'linux' },
];

/**
 * Pushes one image of the given kind and PUTs it under each tag. Indexes and lists reference two
 * platform manifests (linux/amd64, linux/arm64), pushed by digest first.
 */
export async function pushImage(target: RegistryTarget, repo: string, opts: PushImageOptions = {}): Promise<PushedImage> {
  const kind = opts.kind ?? 'oci';
  const seed = opts.seed ?? randomUUID();
  const tags = opts.tags ?? [];
  const docker = kind === 'docker' || kind === 'docker-list';
  let built: { bytes: Buffer; mediaType: string };
  let children: PushedImage[] | undefined;
  const platforms = opts.platforms ?? PLATFORMS;
  if (kind === 'oci' || kind === 'docker') {
    built = imageManifest(docker, await pushPlatformBlobs(target, repo, docker, seed, platforms[0]!, opts.created), opts.annotations);
  } else {
    children = await Promise.all(
      platforms.map(async (platform) => {
        const m = imageManifest(docker, await pushPlatformBlobs(target, repo, docker, seed, platform, opts.created));
        const digest = await putManifest(target, repo, sha256(m.bytes), m.bytes, m.mediaType);
        return { digest, manifest: m.bytes, mediaType: m.mediaType, tags: [] };
      }),
    );
    built = indexManifest(docker, children, platforms, opts.annotations);
  }
  const digest = sha256(built.bytes);
  if (tags.length === 0) {
    await putManifest(target, repo, digest, built.bytes, built.mediaType);
  } else {
    for (const tag of tags) await putManifest(target, repo, tag, built.bytes, built.mediaType);
  }
  return { digest, manifest: built.bytes, mediaType: built.mediaType, tags, ...(children ? { children } : {}) };
}

/**
 * Points `tag` at an existing manifest — the "someone moved `latest`" move. Give the digest (the
 * manifest is fetched with every media type accepted, so its bytes and type are kept) or the
 * {@link PushedImage}. Returns the digest.
 */
export async function tagExisting(
  target: RegistryTarget,
  repo: string,
  digestOrManifest: string | Pick<PushedImage, 'manifest' | 'mediaType'>,
  tag: string,
): Promise<string> {
  let manifest: Buffer;
  let mediaType: string;
  if (typeof digestOrManifest === 'string') {
    const auth = await authHeaders(target, repo);
    const res = await call(
      target,
      'GET',
      `${target.url}/v2/${encodeRepo(repo)}/manifests/${digestOrManifest}`,
      { ...auth, accept: ALL_MANIFEST_TYPES },
      undefined,
      [200],
    );
    manifest = res.body;
    mediaType = header(res.headers, 'content-type') ?? MEDIA_TYPES.ociManifest;
  } else {
    ({ manifest, mediaType } = digestOrManifest);
  }
  return putManifest(target, repo, tag, manifest, mediaType);
}

export interface SeedOptions {
  kind?: ManifestKind;
  seed?: string;
  /** Parallel manifest PUTs. Default 16 (the registry is fastest around there on two cores). */
  concurrency?: number;
  /**
   * true (default): each tag gets its own manifest (and digest) via an annotation, all sharing the
   * same blobs. false: every tag points at one manifest.
   */
  distinct?: boolean;
}

/**
 * Creates many tags quickly (≈1–2 ms per tag here): blobs and platform manifests are uploaded once,
 * then one manifest PUT per tag, in parallel. Returns tag → digest.
 */
export async function seedRepository(
  target: RegistryTarget,
  repo: string,
  tags: string[],
  opts: SeedOptions = {},
): Promise<Map<string, string>> {
  const kind = opts.kind ?? 'oci';
  const seed = opts.seed ?? randomUUID();
  const distinct = opts.distinct ?? true;
  const base = await pushImage(target, repo, { kind, seed });
  const result = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < tags.length) {
      const tag = tags[next++]!;
      let bytes = base.manifest;
      if (distinct) {
        const parsed = JSON.parse(base.manifest.toString('utf8')) as Record<string, unknown>;
        parsed.annotations = { 'harness.tag': tag };
        bytes = Buffer.from(JSON.stringify(parsed));
      }
      result.set(tag, await putManifest(target, repo, tag, bytes, base.mediaType));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 16) }, worker));
  return result;
}
