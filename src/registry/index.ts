/** The registry layer's public surface, so callers need not know the file layout. */
export type { Credential, DigestHints, DigestSource, FetchedManifest, RepositoryUsage, DigestLookup, VerificationRecord, ImageRepository, JsonGetOptions, JsonResponse, Keychain, RegistryClient, RegistryNotice, TagListHints } from './types.js';
// The client through a lazy door: its transport (undici, node:http, node:tls) loads on the first
// registry call, so a run the cache answers never loads it (lazy-client.ts).
export { createLazyRegistryClient as createRegistryClient } from './lazy-client.js';
export type { RegistryClientOptions } from './client.js';
export { MAX_BYTES } from './client/body.js';
export { MANIFEST_MEDIA_TYPES } from './client/media-types.js';
export { OfflineCacheMissError, withCache, type CachingOptions } from './cache/caching-client.js';
export { defaultCacheDir, fileCacheStore, type CacheStore } from './cache/store.js';
export { CredentialHelperError } from './credential-helper.js';
export type { TlsProfile } from './dispatcher.js';
export { proxyFromEnv, type ProxySettings } from './proxy-env.js';
export { secretKeychain, type SecretBinding } from './secret-keychain.js';
export { AuthError, NoTokenError, RegistryError } from './errors.js';
export {
  anonymousKeychain,
  chainKeychains,
  containersAuthKeychain,
  defaultKeychain,
  dockerConfigKeychain,
  dockerConfigPath,
  KeychainError,
  normalizeAuthKey,
  parseAuthConfig,
  type AuthConfig,
} from './keychain.js';
export { InvalidReferenceError, parseReference, parseRepository, registryApiHost, type ImageReference } from './name.js';
export { isLocalRegistry } from './scheme.js';
export { canonicalLocation, mirrorsFor, withMirrors, type MirrorRoute } from './mirrors.js';
