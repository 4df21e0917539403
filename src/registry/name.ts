/**
 * Image reference parsing with the same defaulting as go-containerregistry's `name` package (which
 * Flux uses): a leading path segment is a registry only if it looks like a host, Docker Hub names
 * are normalised, and everything is validated against the distribution grammar so a typo fails
 * here with the reference in the message rather than as a confusing 404 later.
 */
import type { ImageRepository } from './types.js';

export const DOCKER_HUB_REGISTRY = 'index.docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The key `docker login` writes Docker Hub credentials under in config.json. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** The host a canonical registry's API is served from: Docker Hub's is not `index.docker.io`. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_API_HOST : registry;
}

export class InvalidReferenceError extends Error {
  override name = 'InvalidReferenceError';
  constructor(
    readonly reference: string,
    reason: string,
  ) {
    super(`invalid image reference ${JSON.stringify(reference)}: ${reason}`);
  }
}

export interface ImageReference {
  repository: ImageRepository;
  tag?: string;
  digest?: string;
}

// Distribution reference grammar (distribution/reference/regexp.go, OCI distribution spec).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const MAX_NAME = 255;

function looksLikeRegistry(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost';
}

function checkRegistry(written: string, registry: string): void {
  let host = registry;
  let port: string | undefined;
  if (registry.startsWith('[')) {
    const end = registry.indexOf(']');
    if (end < 0) throw new InvalidReferenceError(written, `registry ${JSON.stringify(registry)} has an unclosed IPv6 bracket`);
    host = registry.slice(0, end + 1);
    const rest = registry.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new InvalidReferenceError(written, `registry ${JSON.stringify(registry)} is not host[:port]`);
      port = rest.slice(1);
    }
    if (!/^\[[0-9A-Fa-f:.]+\]$/.test(host)) {
      throw new InvalidReferenceError(written, `registry ${JSON.stringify(registry)} has an invalid IPv6 address`);
    }
  } else {
    const colon = registry.indexOf(':');
    if (colon >= 0) {
      host = registry.slice(0, colon);
      port = registry.slice(colon + 1);
    }
    if (host === '' || !host.split('.').every((l) => DOMAIN_LABEL.test(l))) {
      throw new InvalidReferenceError(written, `registry ${JSON.stringify(registry)} is not a valid host name`);
    }
  }
  if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) > 65535)) {
    throw new InvalidReferenceError(written, `registry ${JSON.stringify(registry)} has an invalid port`);
  }
}

function checkPath(written: string, path: string): void {
  if (path === '') throw new InvalidReferenceError(written, 'the repository path is empty');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      const hint = /[A-Z]/.test(component) ? ' (repository names must be lowercase)' : '';
      throw new InvalidReferenceError(
        written,
        `repository path component ${JSON.stringify(component)} is invalid${hint}: use lowercase letters, digits and single separators . _ __ -`,
      );
    }
  }
}

function splitName(written: string, name: string): ImageRepository {
  if (name === '') throw new InvalidReferenceError(written, 'a repository name must be specified');
  const slash = name.indexOf('/');
  let registry = '';
  let path = name;
  if (slash > 0 && looksLikeRegistry(name.slice(0, slash))) {
    registry = name.slice(0, slash);
    path = name.slice(slash + 1);
    checkRegistry(written, registry);
    // Host names are case-insensitive; one spelling keeps credential lookup and caches simple.
    registry = registry.toLowerCase();
  }
  checkPath(written, path);
  if (registry === '' || registry === 'docker.io' || registry === DOCKER_HUB_REGISTRY) {
    if (!path.includes('/')) path = `library/${path}`;
    registry = DOCKER_HUB_REGISTRY;
  }
  if (registry.length + 1 + path.length > MAX_NAME) {
    throw new InvalidReferenceError(written, `the name is longer than ${MAX_NAME} characters`);
  }
  return {
    written: name,
    registry,
    apiHost: registryApiHost(registry),
    repository: path,
  };
}

function checkDigest(written: string, digest: string): void {
  if (!DIGEST.test(digest)) {
    throw new InvalidReferenceError(written, `digest ${JSON.stringify(digest)} is not algorithm:hex`);
  }
  const [algorithm, hex] = digest.split(':') as [string, string];
  const lengths: Record<string, number> = { sha256: 64, sha512: 128 };
  const expected = lengths[algorithm];
  if (expected !== undefined && !new RegExp(`^[a-f0-9]{${expected}}$`).test(hex)) {
    throw new InvalidReferenceError(written, `${algorithm} digest must be ${expected} lowercase hex characters`);
  }
}

/**
 * Parses `[registry/]path[:tag][@digest]`. Leading/trailing whitespace is an error rather than
 * silently trimmed: it usually means a YAML quoting mistake the user should see.
 */
export function parseReference(written: string): ImageReference {
  if (written.trim() !== written) throw new InvalidReferenceError(written, 'it has leading or trailing whitespace');
  let rest = written;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (rest.indexOf('@', at + 1) >= 0) throw new InvalidReferenceError(written, "it has more than one '@'");
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(written, digest);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  // A colon before the last slash belongs to a registry port, not a tag.
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw new InvalidReferenceError(
        written,
        `tag ${JSON.stringify(tag)} is invalid: up to 128 of [A-Za-z0-9_.-], not starting with . or -`,
      );
    }
  }
  const repository = splitName(written, rest);
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/**
 * Parses an ImageRepository `spec.image`: a name without tag or digest (Flux rejects those too,
 * since the tag is what the policy chooses).
 */
export function parseRepository(written: string): ImageRepository {
  const ref = parseReference(written);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    const what = ref.digest !== undefined ? `digest @${ref.digest}` : `tag :${ref.tag}`;
    throw new InvalidReferenceError(
      written,
      `an image repository must not include a tag or digest (found ${what}); write ${JSON.stringify(ref.repository.written)}`,
    );
  }
  return ref.repository;
}

/** The `repository:<path>:pull` scope a token must grant to read tags and manifests. */
export function pullScope(repo: ImageRepository): string {
  return `repository:${repo.repository}:pull`;
}
