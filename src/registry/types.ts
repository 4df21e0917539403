/**
 * What the resolver needs from a registry. Everything about transports, auth,
 * retries and caching lives behind this so the resolver stays testable.
 */
export interface ImageRepository {
  /** The repository exactly as the user wrote it (what `:name` markers write). */
  written: string;
  /** Canonical registry host, e.g. `index.docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Host the HTTP API is served from (`registry-1.docker.io` for Docker Hub). */
  apiHost: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  repository: string;
}

export interface RegistryClient {
  /** Every tag of the repository, following `Link` pagination. */
  listTags(repo: ImageRepository): Promise<string[]>;
  /** The top-level manifest digest (`sha256:…`) the tag points to right now. */
  resolveDigest(repo: ImageRepository, tag: string): Promise<string>;
}
