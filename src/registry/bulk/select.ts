import type { ImageRepository } from '../types.js';
import { acrTagSource } from './acr.js';
import { dockerHubTagSource } from './docker-hub.js';
import { ecrRegistryOf, ecrTagSource } from './ecr.js';
import { ghcrTagSource } from './ghcr.js';
import { gitlabTagSource, isGitLabRegistry } from './gitlab.js';
import { googleTagSource } from './google.js';
import { harborTagSource, isHarbor } from './harbor.js';
import { quayTagSource } from './quay.js';
import type { PushTimeSink } from './push-times.js';
import type { BulkTagSource, JsonGetter } from './types.js';

export type BulkVendor = 'google' | 'docker-hub' | 'quay' | 'acr' | 'harbor' | 'ghcr' | 'gitlab' | 'ecr';

/** The vendor whose bulk API a registry host is known to serve, from the host name alone. */
export function vendorOfRegistry(registry: string): BulkVendor | undefined {
  const host = registry.toLowerCase().replace(/:\d+$/, '');
  if (host === 'gcr.io' || host.endsWith('.gcr.io') || host.endsWith('-docker.pkg.dev')) return 'google';
  if (host === 'index.docker.io') return 'docker-hub';
  if (host === 'quay.io') return 'quay';
  if (host.endsWith('.azurecr.io')) return 'acr';
  if (host === 'ghcr.io') return 'ghcr';
  if (host === 'registry.gitlab.com') return 'gitlab';
  if (ecrRegistryOf(host)) return 'ecr';
  return undefined;
}

function bulkTagSource(vendor: BulkVendor, http: JsonGetter, options: BulkSelectionOptions): BulkTagSource {
  const sink = options.pushTimes ? { pushTimes: options.pushTimes } : {};
  switch (vendor) {
    case 'google':
      return googleTagSource(http, sink);
    case 'docker-hub':
      return dockerHubTagSource(http, sink);
    case 'quay':
      return quayTagSource(http, sink);
    case 'acr':
      return acrTagSource(http, sink);
    case 'harbor':
      return harborTagSource(http, sink);
    case 'ghcr':
      return ghcrTagSource(http, { ...sink, ...(options.githubApiHost ? { apiHost: options.githubApiHost } : {}), ...(options.env ? { env: options.env } : {}) });
    case 'gitlab':
      return gitlabTagSource(http, sink);
    case 'ecr':
      return ecrTagSource({ ...sink, ...(options.ecrEndpoint ? { endpoint: options.ecrEndpoint } : {}) });
  }
}

export interface BulkSelectionOptions {
  /** Registry hosts known to be Harbor (no probe needed). */
  harborHosts?: readonly string[];
  /** Registry hosts known to be GitLab container registries with the `/gitlab/v1/` API (no probe needed). */
  gitlabHosts?: readonly string[];
  /** Whether an unknown host may be asked if it is Harbor, then GitLab (one request each, once per host). */
  probe?: boolean;
  /** Where the source records the push times its listing gives (tag → digest and time). */
  pushTimes?: PushTimeSink;
  /** GitHub's REST API host for ghcr.io listings. Default api.github.com; tests point it at a fake. */
  githubApiHost?: string;
  /** Where the GitHub token (`GITHUB_TOKEN`, `GH_TOKEN`) is read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The ECR API endpoint. Default: the AWS SDK's (`AWS_ENDPOINT_URL_ECR`, else the region's). */
  ecrEndpoint?: string;
}

/** Per client (one run), so a probe's answer never outlives the credentials it was asked with. */
const probes = new WeakMap<JsonGetter, Map<string, Promise<BulkVendor | undefined>>>();

/** Harbor's anonymous systeminfo first; GitLab's compliance check only where Harbor said no. */
async function probeVendor(http: JsonGetter, repo: ImageRepository): Promise<BulkVendor | undefined> {
  if (await isHarbor(http, repo)) return 'harbor';
  if (await isGitLabRegistry(http, repo)) return 'gitlab';
  return undefined;
}

/**
 * The bulk source for a repository, or undefined when only the HEAD-per-tag path applies. Hosts
 * are recognised by name; any other host is probed for Harbor and GitLab at most once per client.
 */
export async function bulkTagSourceFor(
  repo: ImageRepository,
  http: JsonGetter,
  options: BulkSelectionOptions = {},
): Promise<BulkTagSource | undefined> {
  const vendor = vendorOfRegistry(repo.registry);
  if (vendor) return bulkTagSource(vendor, http, options);
  if (options.harborHosts?.includes(repo.registry)) return bulkTagSource('harbor', http, options);
  if (options.gitlabHosts?.includes(repo.registry)) return bulkTagSource('gitlab', http, options);
  if (!options.probe) return undefined;
  let known = probes.get(http);
  if (!known) probes.set(http, (known = new Map()));
  let probe = known.get(repo.registry);
  if (!probe) known.set(repo.registry, (probe = probeVendor(http, repo)));
  const probed = await probe;
  return probed ? bulkTagSource(probed, http, options) : undefined;
}
