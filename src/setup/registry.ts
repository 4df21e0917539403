import type { FunctionConfig } from '../config/function-config.js';
import type { SourceObject } from '../config/policy-definitions.js';
import { chainKeychains, createRegistryClient, dockerConfigKeychain, type RegistryClientHandle } from '../registry/index.js';
import type { ResolverRegistry } from '../resolve/resolve.js';

export interface RunRegistryOptions {
  offline: boolean;
  cacheDir?: string;
}

/**
 * A run's registry access: what the resolver needs, plus `getJson` for vendor bulk APIs and the
 * notices (rate limits running low) the entries add to the results.
 */
export type RunRegistry = ResolverRegistry & Pick<RegistryClientHandle, 'getJson' | 'notices' | 'requestCount' | 'close'>;

/**
 * Assembles the registry access one run uses from what the user configured:
 * the keychain, insecure hosts and per-registry limits. Kept apart from the
 * KRM and file-mode entries so both get exactly the same behaviour.
 */
export function createRunRegistry(config: FunctionConfig, _sources: readonly SourceObject[], _options: RunRegistryOptions): RunRegistry {
  const insecure = config.registries.filter((r) => r.insecure).map((r) => r.host);
  const concurrency = Math.min(...config.registries.map((r) => r.concurrency ?? Infinity), 16);
  const client: RegistryClientHandle = createRegistryClient({
    keychain: chainKeychains(dockerConfigKeychain()),
    insecureRegistries: insecure,
    concurrency,
  });
  return client;
}
