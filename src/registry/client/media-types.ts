/**
 * The manifest kinds a registry may answer with, in the Accept header of every manifest request.
 * A module of its own because callers outside the client need the list without loading the
 * client's operations (and node:crypto, which they use to check digests).
 */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;
