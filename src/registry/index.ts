/** The registry layer's public surface, so callers need not know the file layout. */
export type { Credential, DigestHints, DigestSource, FetchedManifest, RepositoryUsage, DigestLookup, VerificationRecord, ImageRepository, JsonGetOptions, JsonResponse, Keychain, RegistryClient, RegistryNotice, TagListHints } from './types.js';
export { createRegistryClient, MANIFEST_MEDIA_TYPES, MAX_BYTES, type RegistryClientOptions } from './client.js';
export { OfflineCacheMissError, withCache, type CachingOptions } from './cache/caching-client.js';
export { defaultCacheDir, fileCacheStore, type CacheStore } from './cache/store.js';
export { CredentialHelperError } from './credential-helper.js';
export { proxyFromEnv, type ProxySettings, type TlsProfile } from './dispatcher.js';
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
