/**
 * What a manifest says about the image it names: the platforms an index lists (or a single
 * image's config names) and the creation times written in it. Everything fetched is fetched by
 * digest and checked against that digest, so the answer is content-addressed and may be kept for
 * good. Interpreting the times (a zero `created`, a date in the future) is the caller's job.
 *
 * Requests: one manifest GET; a single image adds its config blob; an index adds its first
 * platform image (manifest and config) only when asked for `created` and it has no annotation.
 */
import type { ImageFacts, ImageRepository, Platform } from '../types.js';
import { MAX_BYTES } from './body.js';
import { contentDigest } from './content-digest.js';
import { MANIFEST_MEDIA_TYPES } from './media-types.js';
import type { RegistryRequests } from './requests.js';

const DIGEST = /^(sha256|sha512):([a-f0-9]+)$/;
const HEX_LENGTH = { sha256: 64, sha512: 128 } as const;

/** The annotation OCI images carry their build time in. */
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
/** BuildKit marks provenance and SBOM entries of an index with this annotation. */
const REFERENCE_TYPE_ANNOTATION = 'vnd.docker.reference.type';

/** Whether `digest` is one we can ask for and check (`sha256:` or `sha512:` and the right hex length). */
export function isCheckableDigest(digest: string): boolean {
  const m = DIGEST.exec(digest);
  return m !== null && m[2]!.length === HEX_LENGTH[m[1] as keyof typeof HEX_LENGTH];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringField = (o: Json | undefined, name: string): string | undefined => (o && typeof o[name] === 'string' ? (o[name] as string) : undefined);

function parseJson(requests: RegistryRequests, repo: ImageRepository, url: URL, body: Buffer, what: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw requests.fail(repo, 'GET', url, `the ${what} is not JSON`, 200);
  }
  if (!isObject(parsed)) throw requests.fail(repo, 'GET', url, `the ${what} is not a JSON object`, 200);
  return parsed;
}

/** GETs `url` and checks its bytes hash to `digest`: anything else is a broken or lying registry. */
async function fetchVerified(
  requests: RegistryRequests,
  repo: ImageRepository,
  url: URL,
  digest: string,
  what: 'manifest' | 'config blob',
  accept: string,
  maxBytes: number,
): Promise<Buffer> {
  const res = await requests.send(repo, 'GET', url, { accept, maxBytes });
  if (res.status !== 200) throw requests.httpError(repo, 'GET', url, res);
  const computed = contentDigest(res.body, digest.split(':')[0]!);
  if (computed !== digest) {
    throw requests.fail(repo, 'GET', url, `${repo.registry} says the ${what} is ${digest}, but its bytes hash to ${computed}; refusing to pin either`, res.status);
  }
  return res.body;
}

function platformOf(value: unknown): Platform | undefined {
  if (!isObject(value)) return undefined;
  const os = stringField(value, 'os');
  const architecture = stringField(value, 'architecture');
  if (os === undefined || architecture === undefined) return undefined;
  const variant = stringField(value, 'variant');
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** A platform entry of an index, or undefined for attestations and entries naming no platform. */
function listedPlatform(entry: Json): Platform | undefined {
  const annotations = isObject(entry.annotations) ? entry.annotations : undefined;
  if (annotations && annotations[REFERENCE_TYPE_ANNOTATION] !== undefined) return undefined;
  const platform = platformOf(entry.platform);
  if (!platform || (platform.os === 'unknown' && platform.architecture === 'unknown')) return undefined;
  return platform;
}

function createdAnnotationOf(manifest: Json): string | undefined {
  return isObject(manifest.annotations) ? stringField(manifest.annotations, CREATED_ANNOTATION) : undefined;
}

/**
 * The facts one manifest holds, without the extra fetch an index needs for `configCreated`
 * (see {@link withConfigCreated}). A single image's config is always read: its platform is there.
 */
export async function fetchImageFacts(requests: RegistryRequests, repo: ImageRepository, digest: string): Promise<ImageFacts> {
  if (!isCheckableDigest(digest)) throw new TypeError(`imageFacts: ${JSON.stringify(digest)} is not a sha256: or sha512: digest`);
  const base = await requests.baseUrl(repo);
  const url = new URL(`${base}/v2/${repo.repository}/manifests/${digest}`);
  const manifest = parseJson(requests, repo, url, await fetchVerified(requests, repo, url, digest, 'manifest', MANIFEST_MEDIA_TYPES.join(', '), MAX_BYTES.manifest), 'manifest');
  const createdAnnotation = createdAnnotationOf(manifest);
  const annotated = createdAnnotation === undefined ? {} : { createdAnnotation };

  if (Array.isArray(manifest.manifests)) {
    const platforms: Platform[] = [];
    let firstPlatformImage: string | undefined;
    for (const entry of manifest.manifests) {
      if (!isObject(entry)) throw requests.fail(repo, 'GET', url, 'an entry of the index\'s "manifests" is not an object', 200);
      const platform = listedPlatform(entry);
      if (!platform) continue;
      platforms.push(platform);
      const child = stringField(entry, 'digest');
      if (firstPlatformImage === undefined && child !== undefined && isCheckableDigest(child)) firstPlatformImage = child;
    }
    return { digest, kind: 'index', platforms, ...annotated, ...(firstPlatformImage ? { firstPlatformImage } : {}) };
  }

  const config = isObject(manifest.config) ? manifest.config : undefined;
  const configDigest = stringField(config, 'digest');
  if (configDigest === undefined) throw requests.fail(repo, 'GET', url, 'the manifest is neither an index (no "manifests") nor an image (no "config" digest)', 200);
  const blobUrl = new URL(`${base}/v2/${repo.repository}/blobs/${configDigest}`);
  if (!isCheckableDigest(configDigest)) throw requests.fail(repo, 'GET', url, `the config digest ${JSON.stringify(configDigest)} is not a sha256: or sha512: digest`, 200);
  const accept = [stringField(config, 'mediaType'), 'application/json', '*/*'].filter(Boolean).join(', ');
  // Registries answer blob GETs with a redirect to storage: the redirect interceptor follows it
  // and drops the registry's credentials on the way out; the digest check makes the storage's
  // answer as good as the registry's.
  const configJson = parseJson(requests, repo, blobUrl, await fetchVerified(requests, repo, blobUrl, configDigest, 'config blob', accept, MAX_BYTES.config), 'image config');
  const platform = platformOf(configJson);
  const configCreated = stringField(configJson, 'created');
  return { digest, kind: 'image', platforms: platform ? [platform] : [], ...annotated, ...(configCreated === undefined ? {} : { configCreated }) };
}

/**
 * Whether `facts` already hold every creation time there is to fetch: an image's config is always
 * read, an annotated index needs nothing more, an index without platform images has nothing to read.
 */
export function createdSettled(facts: ImageFacts): boolean {
  return facts.kind === 'image' || facts.createdAnnotation !== undefined || facts.configCreated !== undefined || facts.firstPlatformImage === undefined;
}

/**
 * An index's facts with `configCreated` from its first platform image, when it has no created
 * annotation. `platformFacts` answers for that image (through a memo or a cache, so it is asked
 * once); a nested index there has no config of its own, and nothing more is read.
 */
export async function withConfigCreated(facts: ImageFacts, platformFacts: (digest: string) => Promise<ImageFacts>): Promise<ImageFacts> {
  if (createdSettled(facts)) return facts;
  const image = await platformFacts(facts.firstPlatformImage!);
  return image.configCreated === undefined ? facts : { ...facts, configCreated: image.configCreated };
}

/** A copy a caller may change without changing a memo's or a cache's answer. */
export function copyFacts(facts: ImageFacts): ImageFacts {
  return { ...facts, platforms: facts.platforms.map((p) => ({ ...p })) };
}

/** Whether a value read back from the cache has the shape of facts about `digest`. */
export function isImageFacts(value: unknown, digest: string): value is ImageFacts {
  if (!isObject(value) || value.digest !== digest || (value.kind !== 'index' && value.kind !== 'image')) return false;
  if (!Array.isArray(value.platforms) || !value.platforms.every((p) => platformOf(p) !== undefined)) return false;
  return ['createdAnnotation', 'configCreated', 'firstPlatformImage'].every((k) => value[k] === undefined || typeof value[k] === 'string');
}
