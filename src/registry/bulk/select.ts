import type { ImageRepository } from '../types.js';
import { acrTagSource } from './acr.js';
import { dockerHubTagSource } from './docker-hub.js';
import { googleTagSource } from './google.js';
import { harborTagSource, isHarbor } from './harbor.js';
import { quayTagSource } from './quay.js';
import type { PushTimeSink } from './push-times.js';
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

function bulkTagSource(vendor: BulkVendor, http: JsonGetter, pushTimes: PushTimeSink | undefined): BulkTagSource {
  const options = pushTimes ? { pushTimes } : {};
  switch (vendor) {
    case 'google':
      return googleTagSource(http, options);
    case 'docker-hub':
      return dockerHubTagSource(http, options);
    case 'quay':
      return quayTagSource(http, options);
    case 'acr':
      return acrTagSource(http, options);
    case 'harbor':
      return harborTagSource(http, options);
  }
}

export interface BulkSelectionOptions {
  /** Registry hosts known to be Harbor (no probe needed). */
  harborHosts?: readonly string[];
  /** Whether an unknown host may be asked if it is Harbor (one request). */
  probe?: boolean;
  /** Where the source records the push times its listing gives (tag → digest and time). */
  pushTimes?: PushTimeSink;
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
  if (vendor) return bulkTagSource(vendor, http, options.pushTimes);
  if (options.harborHosts?.includes(repo.registry)) return bulkTagSource('harbor', http, options.pushTimes);
  if (!options.probe) return undefined;
  let probes = harborProbes.get(http);
  if (!probes) harborProbes.set(http, (probes = new Map()));
  let probe = probes.get(repo.registry);
  if (!probe) probes.set(repo.registry, (probe = isHarbor(http, repo)));
  return (await probe) ? bulkTagSource('harbor', http, options.pushTimes) : undefined;
}
