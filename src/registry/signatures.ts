/**
 * Finds what claims to sign a manifest digest, in both places cosign puts signatures:
 *
 * - the cosign tag `sha256-<hex>.sig` in the same repository: an image whose layers of type
 *   `application/vnd.dev.cosign.simplesigning.v1+json` are payload blobs, each with its signature
 *   (and, keyless, its certificate, chain and Rekor bundle) in the layer's annotations;
 * - Sigstore bundles (cosign 3's default) attached as OCI referrers with artifactType
 *   `application/vnd.dev.sigstore.bundle.v0.3+json`: listed by the referrers API, or by the
 *   fallback tag `sha256-<hex>` (an index) where the registry has no referrers API (404).
 *
 * Only finding: whether any of it verifies, and for this digest, is `verify/`'s job.
 */
import type { FetchedManifest, ImageRepository, RegistryClient } from './types.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const REKOR_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';

/** One layer of a cosign `.sig` image: the exact payload bytes and what its annotations say. */
export interface SimpleSigningLayer {
  payload: Buffer;
  /** Base64, as cosign writes it; absent when the layer carries none. */
  signature?: string;
  certificate?: string;
  chain?: string;
  rekorBundle?: string;
}

export interface FoundSignatures {
  /** Where the `.sig` layers came from (`tag sha256-….sig`), when there is such a tag. */
  tag?: string;
  layers: SimpleSigningLayer[];
  /** Sigstore bundles (JSON bytes), each with the referrer manifest digest it came from. */
  bundles: { referrer: string; bytes: Buffer }[];
  /** How referrers were listed: `referrers API`, `fallback tag sha256-…`, or absent when neither had any. */
  referrersFrom?: string;
}

export type SignaturePort = Pick<RegistryClient, 'fetchManifest' | 'fetchBlob'> & Partial<Pick<RegistryClient, 'getJson'>>;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (o: Json | undefined, name: string) => (o && typeof o[name] === 'string' ? (o[name] as string) : undefined);

function parse(manifest: FetchedManifest, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(manifest.bytes.toString('utf8'));
  } catch {
    throw new Error(`the ${what} ${manifest.digest} is not JSON`);
  }
  if (!isObject(value)) throw new Error(`the ${what} ${manifest.digest} is not a JSON object`);
  return value;
}

const descriptors = (manifest: Json, field: 'layers' | 'manifests'): Json[] => (Array.isArray(manifest[field]) ? manifest[field].filter(isObject) : []);

/** `sha256:abc…` → `sha256-abc…`, cosign's tag for things about that digest. */
export function digestTag(digest: string): string {
  return digest.replace(':', '-');
}

async function simpleSigningLayers(registry: SignaturePort, repo: ImageRepository, digest: string): Promise<{ tag: string; layers: SimpleSigningLayer[] } | undefined> {
  const tag = `${digestTag(digest)}.sig`;
  const manifest = await registry.fetchManifest(repo, tag);
  if (!manifest) return undefined;
  const layers: SimpleSigningLayer[] = [];
  for (const layer of descriptors(parse(manifest, 'signature manifest'), 'layers')) {
    const blob = text(layer, 'digest');
    if (text(layer, 'mediaType') !== SIMPLE_SIGNING_MEDIA_TYPE || blob === undefined) continue;
    const annotations = isObject(layer.annotations) ? layer.annotations : undefined;
    const pick = (name: string, key: keyof SimpleSigningLayer) => (text(annotations, name) !== undefined ? { [key]: text(annotations, name) } : {});
    layers.push({
      payload: await registry.fetchBlob(repo, blob),
      ...pick(SIGNATURE_ANNOTATION, 'signature'),
      ...pick(CERTIFICATE_ANNOTATION, 'certificate'),
      ...pick(CHAIN_ANNOTATION, 'chain'),
      ...pick(REKOR_BUNDLE_ANNOTATION, 'rekorBundle'),
    });
  }
  return { tag, layers };
}

/** The referrers of `digest`: from the API when the registry has one, else from the fallback tag. */
async function referrers(registry: SignaturePort, repo: ImageRepository, digest: string): Promise<{ from: string; entries: Json[] } | undefined> {
  if (registry.getJson) {
    const path = `/v2/${repo.repository}/referrers/${digest}?artifactType=${encodeURIComponent(BUNDLE_MEDIA_TYPE)}`;
    const answer = await registry.getJson(repo, path, { accept: 'application/vnd.oci.image.index.v1+json' });
    if (answer.status === 200 && isObject(answer.body) && Array.isArray(answer.body.manifests)) {
      return { from: 'referrers API', entries: descriptors(answer.body, 'manifests') };
    }
    // 404 (distribution 2.8) or anything else that is not an index: try the fallback tag.
  }
  const tag = digestTag(digest);
  const index = await registry.fetchManifest(repo, tag);
  return index ? { from: `fallback tag ${tag}`, entries: descriptors(parse(index, 'referrers index'), 'manifests') } : undefined;
}

async function bundles(registry: SignaturePort, repo: ImageRepository, digest: string): Promise<{ from?: string; found: FoundSignatures['bundles'] }> {
  const listed = await referrers(registry, repo, digest);
  const found: FoundSignatures['bundles'] = [];
  for (const entry of listed?.entries ?? []) {
    const referrer = text(entry, 'digest');
    if (text(entry, 'artifactType') !== BUNDLE_MEDIA_TYPE || referrer === undefined) continue;
    const manifest = await registry.fetchManifest(repo, referrer);
    if (!manifest) continue;
    const parsed = parse(manifest, 'bundle manifest');
    // A referrer must say it is about this digest; one listed under another subject is ignored.
    const subject = isObject(parsed.subject) ? text(parsed.subject, 'digest') : undefined;
    if (subject !== undefined && subject !== digest) continue;
    for (const layer of descriptors(parsed, 'layers')) {
      const blob = text(layer, 'digest');
      if (text(layer, 'mediaType') === BUNDLE_MEDIA_TYPE && blob !== undefined) found.push({ referrer, bytes: await registry.fetchBlob(repo, blob) });
    }
  }
  return { ...(listed ? { from: listed.from } : {}), found };
}

/** Everything that claims to sign `digest` in `repo`: both formats, read lazily per candidate. */
export async function findSignatures(registry: SignaturePort, repo: ImageRepository, digest: string): Promise<FoundSignatures> {
  const [tagged, bundled] = await Promise.all([simpleSigningLayers(registry, repo, digest), bundles(registry, repo, digest)]);
  return {
    ...(tagged ? { tag: tagged.tag } : {}),
    layers: tagged?.layers ?? [],
    bundles: bundled.found,
    ...(bundled.from ? { referrersFrom: bundled.from } : {}),
  };
}
