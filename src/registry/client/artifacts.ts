/**
 * Manifests by tag or digest and blobs by digest, as bytes: what signature lookups read (a
 * cosign `.sig` tag, a referrers index, a bundle). A manifest asked for by digest and every blob
 * is checked against its digest; a manifest asked for by tag is hashed and checked against what
 * the registry says it is. A 404 is an answer (`undefined`: no such signature), not an error.
 */
import { headerValue } from '../http-headers.js';
import type { FetchedManifest, ImageRepository } from '../types.js';
import { MAX_BYTES } from './body.js';
import { contentDigest } from './content-digest.js';
import { isCheckableDigest } from './image-facts.js';
import { MANIFEST_MEDIA_TYPES } from './media-types.js';
import type { RegistryRequests } from './requests.js';

/** Signature payloads and bundles are a few KiB; a certificate chain inside adds a few more. */
export const SIGNATURE_BLOB_MAX_BYTES = 1024 * 1024;

export async function fetchManifest(requests: RegistryRequests, repo: ImageRepository, reference: string): Promise<FetchedManifest | undefined> {
  const byDigest = reference.includes(':');
  if (byDigest && !isCheckableDigest(reference)) throw new TypeError(`fetchManifest: ${JSON.stringify(reference)} is not a sha256: or sha512: digest`);
  const url = new URL(`${await requests.baseUrl(repo)}/v2/${repo.repository}/manifests/${encodeURIComponent(reference)}`);
  const res = await requests.send(repo, 'GET', url, { accept: MANIFEST_MEDIA_TYPES.join(', '), maxBytes: MAX_BYTES.manifest });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw requests.httpError(repo, 'GET', url, res);
  const claimed = byDigest ? reference : headerValue(res.headers, 'docker-content-digest');
  const algorithm = claimed && isCheckableDigest(claimed) ? claimed.split(':')[0]! : 'sha256';
  const digest = contentDigest(res.body, algorithm);
  if (claimed !== undefined && claimed !== digest) {
    throw requests.fail(repo, 'GET', url, `${repo.registry} says the manifest is ${claimed}, but its bytes hash to ${digest}`, res.status);
  }
  const mediaType = headerValue(res.headers, 'content-type');
  return { digest, ...(mediaType ? { mediaType } : {}), bytes: res.body };
}

export async function fetchBlob(requests: RegistryRequests, repo: ImageRepository, digest: string, maxBytes = SIGNATURE_BLOB_MAX_BYTES): Promise<Buffer> {
  if (!isCheckableDigest(digest)) throw new TypeError(`fetchBlob: ${JSON.stringify(digest)} is not a sha256: or sha512: digest`);
  const url = new URL(`${await requests.baseUrl(repo)}/v2/${repo.repository}/blobs/${digest}`);
  const res = await requests.send(repo, 'GET', url, { accept: '*/*', maxBytes });
  if (res.status !== 200) throw requests.httpError(repo, 'GET', url, res);
  const computed = contentDigest(res.body, digest.split(':')[0]!);
  if (computed !== digest) throw requests.fail(repo, 'GET', url, `${repo.registry} says the blob is ${digest}, but its bytes hash to ${computed}`, res.status);
  return res.body;
}
