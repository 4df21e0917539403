/**
 * The functionConfig's `spec.registries[]` turned into what the transport needs, keyed by the
 * API host requests go to (`docker.io` is served from `registry-1.docker.io`). A file that cannot
 * be read becomes a problem for that host only: the run still reports every marker it can.
 */
import { readFileSync } from 'node:fs';
import { parseGoDuration } from '../config/duration.js';
import type { RegistrySettings } from '../config/function-config.js';
import { canonicalLocation, normalizeAuthKey, registryApiHost, type MirrorRoute, type TlsProfile } from '../registry/index.js';

export interface TransportSettings {
  tls: Map<string, TlsProfile>;
  concurrency: Map<string, number>;
  /** Milliseconds a registry may stay silent in one attempt. */
  timeouts: Map<string, number>;
  /** Registry hosts as written and as API hosts: both are what the client compares. */
  insecure: Set<string>;
  /** API host → why requests to it cannot be made. */
  problems: Map<string, string>;
  /** Mirrors asked before their registry; the functionConfig's come before registries.conf's. */
  mirrors: MirrorRoute[];
}

export function emptyTransportSettings(): TransportSettings {
  return { tls: new Map(), concurrency: new Map(), timeouts: new Map(), insecure: new Set(), problems: new Map(), mirrors: [] };
}

/** Adds a TLS profile for a host, merging CAs with what an earlier source gave. */
export function addTls(settings: TransportSettings, host: string, profile: TlsProfile): void {
  const known = settings.tls.get(host) ?? {};
  settings.tls.set(host, {
    ca: [...(known.ca ?? []), ...(profile.ca ?? [])],
    ...((profile.cert ?? known.cert) ? { cert: profile.cert ?? known.cert } : {}),
    ...((profile.key ?? known.key) ? { key: profile.key ?? known.key } : {}),
  });
}

export function registrySettings(entries: readonly RegistrySettings[], into = emptyTransportSettings()): TransportSettings {
  entries.forEach((entry, index) => {
    // `docker.io` and its aliases mean Docker Hub, whose API is served from another host.
    const host = registryApiHost(normalizeAuthKey(entry.host));
    const where = `functionConfig spec.registries[${index}] (${entry.host})`;
    if (entry.insecure) {
      into.insecure.add(entry.host.toLowerCase());
      into.insecure.add(host);
    }
    if (entry.concurrency !== undefined) into.concurrency.set(host, entry.concurrency);
    for (const mirror of entry.mirrors ?? []) into.mirrors.push({ source: canonicalLocation(entry.host), target: canonicalLocation(mirror), origin: where });
    if (entry.timeout !== undefined) into.timeouts.set(host, Math.max(1, Math.round(parseGoDuration(entry.timeout))));
    if ((entry.certFile === undefined) !== (entry.keyFile === undefined)) {
      into.problems.set(host, `${where}: certFile and keyFile go together (a client certificate needs its key)`);
      return;
    }
    const read = (field: 'caFile' | 'certFile' | 'keyFile'): string | undefined => {
      const path = entry[field];
      if (path === undefined) return undefined;
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        into.problems.set(host, `${where}: ${field} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
        return undefined;
      }
    };
    const ca = read('caFile');
    const cert = read('certFile');
    const key = read('keyFile');
    if (into.problems.has(host)) return;
    if (ca !== undefined || cert !== undefined) addTls(into, host, { ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) });
  });
  return into;
}
