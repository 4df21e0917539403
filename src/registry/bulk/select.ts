import type { ImageRepository } from '../types.js';
import { acrTagSource } from './acr.js';
import { dockerHubTagSource } from './docker-hub.js';
import { googleTagSource } from './google.js';
import { harborTagSource, isHarbor } from './harbor.js';
import { quayTagSource } from './quay.js';
import type { BulkTagSource, JsonGetter } from './types.js';

export type BulkVendor = 'google' | 'docker-hub' | 'quay' | 'acr' | 'harbor';

/** The vendor whose bulk API a registry host is known to serve, from the host name alone. */
export function vendorOfRegistry(registry: string): BulkVendor | undefined {
  const host = registry.toLowerCase().replace(/:\d+$/, '');
  if (host === 'gcr.io' || host.endsWith('.gcr.io') || host.endsWith('-docker.pkg.dev')) return 'google';
  if (host === 'index.docker.io') return 'docker-hub';
  if (host === 'quay.io') return 'quay';
  if (host.endsWith('.azurecr.io')) return 'acr';
  return undefined;
}

function bulkTagSource(vendor: BulkVendor, http: JsonGetter): BulkTagSource {
  switch (vendor) {
    case 'google':
      return googleTagSource(http);
    case 'docker-hub':
      return dockerHubTagSource(http);
    case 'quay':
      return quayTagSource(http);
    case 'acr':
      return acrTagSource(http);
    case 'harbor':
      return harborTagSource(http);
  }
}

export interface BulkSelectionOptions {
  /** Registry hosts known to be Harbor (no probe needed). */
  harborHosts?: readonly string[];
  /** Whether an unknown host may be asked if it is Harbor (one request). */
  probe?: boolean;
}

/** Per client (one run), so a probe's answer never outlives the credentials it was asked with. */
const harborProbes = new WeakMap<JsonGetter, Map<string, Promise<boolean>>>();

/**
 * The bulk source for a repository, or undefined when only the HEAD-per-tag path applies. Hosts
 * are recognised by name; any other host is probed for Harbor at most once per client.
 */
export async function bulkTagSourceFor(
  repo: ImageRepository,
  http: JsonGetter,
  options: BulkSelectionOptions = {},
): Promise<BulkTagSource | undefined> {
  const vendor = vendorOfRegistry(repo.registry);
  if (vendor) return bulkTagSource(vendor, http);
  if (options.harborHosts?.includes(repo.registry)) return harborTagSource(http);
  if (!options.probe) return undefined;
  let probes = harborProbes.get(http);
  if (!probes) harborProbes.set(http, (probes = new Map()));
  let probe = probes.get(repo.registry);
  if (!probe) probes.set(repo.registry, (probe = isHarbor(http, repo)));
  return (await probe) ? harborTagSource(http) : undefined;
}
