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

export interface TagListHints {
  /** A cached list younger than this may be reused; 0 forces a fresh listing. */
  maxAgeMs?: number;
}

export interface DigestHints {
  /** The tag may move (`latest`, `Always` policies): ask the registry again even if cached. */
  mutable?: boolean;
}

export interface JsonGetOptions {
  /** Largest body accepted; larger answers fail rather than fill memory. Default 32 MiB. */
  maxBytes?: number;
  /** Default `application/json`. */
  accept?: string;
  /**
   * For a vendor API on another host that takes a token of its own (GitHub's REST API beside
   * ghcr.io): send `Authorization: Bearer` with `token`, or with the password the keychain holds
   * for registry `passwordOf` (a ghcr.io login's password is a GitHub token), instead of answering
   * the host's challenges with the keychain's credentials for it. The value goes to this one
   * request only and is redacted like every secret; with no password to send the request is not
   * made ({@link NoTokenError}).
   */
  bearer?: { token: string } | { passwordOf: string };
}

export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed body; undefined when a non-2xx answer is not JSON (a 2xx that is not JSON throws). */
  body: unknown;
}

/** Something a person should know about the run that is not an error (rate limits running low). */
export interface RegistryNotice {
  severity: 'warning' | 'info';
  message: string;
}

/** An image's platform, as an index lists it or an image config names it. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** What a manifest says about the image it names: platforms and creation times, read as written. */
export interface ImageFacts {
  digest: string;
  /** `index` (OCI index or Docker manifest list) or `image` (a single manifest). */
  kind: 'index' | 'image';
  /**
   * An index: the platforms it lists, leaving out attestation entries (`unknown/unknown`, or with
   * annotation `vnd.docker.reference.type`). A single image: the one platform its config names.
   */
  platforms: Platform[];
  /** The `org.opencontainers.image.created` annotation of the manifest or index, as written, if any. */
  createdAnnotation?: string;
  /**
   * The image config's `created`, as written: for an index, that of its first listed
   * (non-attestation) platform image, fetched only when `needs.created` is set and the index has
   * no created annotation.
   */
  configCreated?: string;
  /**
   * An index: the digest of its first listed (non-attestation) platform image, the one
   * `configCreated` is read from, so a cache holding facts without it can fetch just that image.
   */
  firstPlatformImage?: string;
}

/** What a caller of {@link RegistryClient.imageFacts} needs beyond the manifest itself. */
export interface ImageFactNeeds {
  /** Fetch an index's first platform config for `configCreated` when the index has no created annotation. */
  created?: boolean;
}

/**
 * What `aliasOf` searches for one rolling tag learned, kept across runs: the tag each recent
 * digest of the rolling tag stood for, and the tag list the last search saw, so the run after
 * `latest` moves asks the new tags first.
 */
export interface AliasMemory {
  /** Digest of the rolling tag → the alias found for it, most recent last. */
  answers: Array<{ digest: string; tag: string }>;
  /** Every tag listed when the last search ran. */
  listed: string[];
}

/** A manifest read as bytes: by digest (checked against it) or by tag (checked against the registry's word). */
export interface FetchedManifest {
  digest: string;
  /** The Content-Type the registry answered with, if any. */
  mediaType?: string;
  bytes: Buffer;
}

/**
 * A signature that verified for a digest, kept by the persistent cache under (digest, key or
 * identity fingerprint): a digest's bytes and a verified signature over them do not change.
 */
export interface VerificationRecord {
  /** What verified it, for reports: `key cosign.pub`, `identity https://… / user@example.com`. */
  by: string;
  /** Where the signature was found: `cosign tag sha256-….sig`, `referrer sha256:…`. */
  source: string;
}

/** A digest lookup's answer; `notModified` only when the caller sent the ETag it has. */
export type DigestLookup = { digest: string; etag?: string; notModified?: undefined } | { notModified: true };

/**
 * A run's registry access, the one interface every layer of the registry stack implements (the
 * client, the cache across runs, the per-host guard), so each wraps the next as a decorator.
 */
export interface RegistryClient {
  /** Every tag of the repository, following `Link` pagination. */
  listTags(repo: ImageRepository, hints?: TagListHints): Promise<string[]>;
  /** The top-level manifest digest (`sha256:…`) the tag points to right now. */
  resolveDigest(repo: ImageRepository, tag: string, hints?: DigestHints): Promise<string>;
  /**
   * The tag's digest straight from the registry, as a conditional request when `ifNoneMatch`
   * carries the ETag of an earlier answer: what a persistent cache revalidates with.
   */
  lookupDigest(repo: ImageRepository, tag: string, options?: { ifNoneMatch?: string }): Promise<DigestLookup>;
  /**
   * An authenticated GET of `pathAndQuery` (starting with `/`) on the repository's registry API
   * host, through the same auth (pull scope for `repo`), retries, redirects and caps as the
   * distribution API calls. For vendor APIs (GCR's `tags/list` manifest map, Quay, Harbor, ACR).
   */
  getJson(repo: ImageRepository, pathAndQuery: string, options?: JsonGetOptions): Promise<JsonResponse>;
  /**
   * What a manifest says about the image: its platforms and its creation times. One manifest GET
   * by digest, plus the config blob of a single image (or of an index's first platform image
   * when `needs.created` and the index has no created annotation); every body is checked against
   * its digest. Cached by digest for good (content-addressed).
   */
  imageFacts(repo: ImageRepository, digest: string, needs?: ImageFactNeeds): Promise<ImageFacts>;
  /** What earlier runs' alias searches for `rolling` learned; undefined without a cache or before the first. */
  recallAlias(repo: ImageRepository, rolling: string): Promise<AliasMemory | undefined>;
  /** Keeps what this run's search learned, for the next run. A no-op without a cache. */
  rememberAlias(repo: ImageRepository, rolling: string, memory: AliasMemory): Promise<void>;
  /**
   * A manifest by tag or digest, as bytes; undefined when the registry has none (404). By digest
   * the bytes are checked against it and cached for good; by tag (a cosign `.sig` tag, which
   * changes when someone signs again) it is always asked.
   */
  fetchManifest(repo: ImageRepository, reference: string): Promise<FetchedManifest | undefined>;
  /** A blob by digest (a signature payload, a bundle), checked against it and cached for good. */
  fetchBlob(repo: ImageRepository, digest: string): Promise<Buffer>;
  /** A verification kept earlier under `key` (see {@link VerificationRecord}); undefined when none. */
  recallVerification(key: string): Promise<VerificationRecord | undefined>;
  /** Keeps a passing verification; failures are not kept (the image may be signed later). */
  keepVerification(key: string, record: VerificationRecord): Promise<void>;
  /** Requests sent to the network so far (retries, redirects and token fetches included). */
  requestCount(): number;
  /** Warnings worth showing in the run's results: rate limits running low. */
  notices(): RegistryNotice[];
  /** What this run cost for one repository, for a report of how a pin was reached. */
  usage(repo: ImageRepository): RepositoryUsage;
  /** Where this run's answer for a tag's digest came from; undefined when it was not asked. */
  digestSource(repo: ImageRepository, tag: string): DigestSource | undefined;
  /** Closes the connections; the client cannot be used afterwards. */
  close(): Promise<void>;
}

/** `cache`: the persistent cache answered without a request (or with a 304); `registry`: a full answer. */
export type DigestSource = 'cache' | 'registry';

export interface RepositoryUsage {
  /** Requests sent for this repository, token fetches and retries included. */
  requests: number;
  /** Tag lists and digests the cache across runs answered, and those it had to ask the registry for. */
  cache: { hits: number; misses: number };
  /**
   * Where the credentials sent came from (`docker config ~/.docker/config.json`, `Secret ns/name`),
   * `anonymous` when there were none; undefined while the registry never asked. Never a secret.
   */
  credentials?: string;
}

/**
 * Credentials for one registry, in the shapes Docker's config.json stores them. Never log these or
 * put them in error messages.
 */
export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken`): exchanged at the token realm, grant_type=refresh_token. */
  identityToken?: string;
  /** A ready bearer token (`registrytoken`): sent as is, no token exchange. */
  registryToken?: string;
  /** Where it came from, for reports (`docker config ~/.docker/config.json`); not secret. */
  source?: string;
}

/**
 * Where credentials come from (config.json and its helpers, auth.json, Kubernetes Secrets).
 * `registry` is the canonical registry host from {@link ImageRepository.registry}
 * (`index.docker.io` for Docker Hub); `repository`, when known, lets an entry limited to one
 * repository (auth.json `quay.io/team/app`, a Secret bound to one ImageRepository) apply.
 * Undefined = anonymous.
 */
export interface Keychain {
  resolve(registry: string, repository?: string): Promise<Credential | undefined>;
}
