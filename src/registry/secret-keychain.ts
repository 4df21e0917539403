/**
 * Credentials from Kubernetes `dockerconfigjson` Secrets that ImageRepositories name in
 * `spec.secretRef`. A Secret speaks for its ImageRepository only: its entries are used for that
 * repository on that registry and nowhere else, whatever other hosts the Secret lists, so a
 * Secret in a package cannot leak credentials to a registry another policy points at.
 */
import { lookupAuths, normalizeAuthKey, type AuthConfig } from './keychain.js';
import type { Keychain } from './types.js';

export interface SecretBinding {
  /** Canonical registry host of the ImageRepository's image. */
  registry: string;
  repository: string;
  /** The parsed Secret, or why it could not be used (reported when the repository is reached). */
  config: AuthConfig | Error;
  /** The Secret, as reports name where a credential came from: `Secret flux-system/regcred`. */
  source?: string;
}

export function secretKeychain(bindings: readonly SecretBinding[]): Keychain {
  return {
    async resolve(registry, repository) {
      if (repository === undefined) return undefined;
      const host = normalizeAuthKey(registry);
      const binding = bindings.find((b) => normalizeAuthKey(b.registry) === host && b.repository === repository);
      if (!binding) return undefined;
      if (binding.config instanceof Error) throw binding.config;
      const cred = lookupAuths(binding.config.auths, registry, repository);
      return cred && { ...cred, ...(binding.source ? { source: binding.source } : {}) };
    },
  };
}
