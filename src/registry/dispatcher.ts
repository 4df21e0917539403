/**
 * The socket layer under the interceptor stack: per-registry TLS (a private CA, a client
 * certificate for mTLS) and the proxy environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
 * undici takes TLS options per agent, not per host, so each distinct TLS profile gets its own
 * proxy-aware agent and requests are routed to it by host.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import type { buildConnector, Dispatcher as UndiciDispatcher, EnvHttpProxyAgent as UndiciEnvHttpProxyAgent } from 'undici';
import requestApi from 'undici/lib/api/index.js';
import connectModule from 'undici/lib/core/connect.js';
import DispatcherModule from 'undici/lib/dispatcher/dispatcher.js';
import EnvHttpProxyAgentModule from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import { proxyFromEnv, type ProxySettings } from './proxy-env.js';
import { connectionHostOf, type OnBehalfOfOptions } from './transport/tls-host.js';

/*
 * undici's own modules, not its index: the index loads fetch, WebSocket, EventSource, cookies,
 * caches and mocks (~75 files), and its cookies module reads `globalThis.Headers`, which makes
 * Node load its bundled copy of undici as well. Together that is ~100 ms of a one-marker run.
 * The paths are undici 7's layout (the package has no `exports` map); the types still come from
 * the index (src/types/undici-internals.d.ts declares the paths as untyped). Static imports, so
 * the build's bundler follows them. The end-to-end tests fail if an upgrade moves them.
 */

/*
 * undici parses HTTP with llhttp compiled to WebAssembly. Once a few responses have made its parse
 * loop hot, V8 recompiles that (large) function with TurboFan on a worker thread, and Node joins
 * its worker threads at exit: a finished one-marker run then sat 150-350 ms after its last write
 * until the compile it would never use was done. V8's baseline compiler (Liftoff) alone parses the
 * few kilobytes a registry sends fast enough. Wasm flags are read when a module is compiled, which
 * undici does on its first connection, so setting the flag here, before any, takes effect.
 */
setFlagsFromString('--liftoff-only');
const Dispatcher = DispatcherModule as typeof UndiciDispatcher;
const EnvHttpProxyAgent = EnvHttpProxyAgentModule as typeof UndiciEnvHttpProxyAgent;
const connectorFor = connectModule as typeof buildConnector;
// What undici's index does: `request()` and friends live on every dispatcher's prototype.
Object.assign(Dispatcher.prototype, requestApi);

export interface TlsProfile {
  /** Extra CA certificates (PEM), trusted in addition to the system roots. */
  ca?: string[];
  /** Client certificate and key (PEM) for registries that require mTLS. */
  cert?: string;
  key?: string;
}

/**
 * The address to open a socket to for a host name or IP literal (no brackets, no port). Lets a
 * test give a registry a remote-looking name (`registry.example.test`, a private-range literal)
 * while every packet stays on loopback. Applies to direct connections, not to those via a proxy.
 */
export type AddressOf = (hostname: string) => string;

/** Longest wait for a connection (the TLS handshake included), whatever the timeout. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface BaseDispatcherOptions {
  /** TLS for every host (e.g. CAs given for the whole run). */
  common?: TlsProfile;
  /** TLS for one host (`host` or `host:port`, lower case), merged over {@link common}. */
  perHost?: ReadonlyMap<string, TlsProfile>;
  /** How long the headers or a pause in a body may take; connecting, this or {@link CONNECT_TIMEOUT_MS}. */
  timeoutMs: number;
  /** {@link timeoutMs} for one host (`host` or `host:port`, lower case). */
  timeoutByHost?: ReadonlyMap<string, number>;
  /** Default: the process environment, as curl and docker read it. */
  proxy?: ProxySettings;
  /** Default: the host name itself, resolved by DNS. */
  addressOf?: AddressOf;
}

let extraCaFromEnv: string[] | undefined;

/**
 * NODE_EXTRA_CA_CERTS is part of Node's default store but not of `tls.rootCertificates`, so an
 * explicit `ca` list must add it back, or a corporate CA would stop working for that host.
 */
function nodeExtraCaCerts(): string[] {
  if (extraCaFromEnv) return extraCaFromEnv;
  const file = process.env.NODE_EXTRA_CA_CERTS;
  try {
    extraCaFromEnv = file ? [readFileSync(file, 'utf8')] : [];
  } catch {
    extraCaFromEnv = []; // Node itself only warns about an unreadable file; so do we (by not failing).
  }
  return extraCaFromEnv;
}

function connectOptions(profile: TlsProfile): Record<string, unknown> {
  return {
    // A custom `ca` replaces Node's roots in undici, so the system roots go along with it.
    ...(profile.ca?.length ? { ca: [...rootCertificates, ...nodeExtraCaCerts(), ...profile.ca] } : {}),
    ...(profile.cert ? { cert: profile.cert } : {}),
    ...(profile.key ? { key: profile.key } : {}),
  };
}

/** Opens sockets to `addressOf(hostname)`; TLS still names (SNI) and verifies the original host. */
function redirectedConnector(connector: buildConnector.connector, addressOf: AddressOf): buildConnector.connector {
  return (options, callback) => {
    const servername = options.servername ?? (isIP(options.hostname) ? undefined : options.hostname);
    connector({ ...options, hostname: addressOf(options.hostname), ...(servername ? { servername } : {}) }, callback);
  };
}

class RoutingDispatcher extends Dispatcher {
  readonly #agents = new Map<string, UndiciDispatcher>();
  readonly #options: BaseDispatcherOptions;

  constructor(options: BaseDispatcherOptions) {
    super();
    this.#options = options;
  }

  #agentFor(host: string): UndiciDispatcher {
    const own = this.#options.perHost?.get(host.toLowerCase());
    const ownTimeout = this.#options.timeoutByHost?.get(host.toLowerCase());
    const key = own || ownTimeout !== undefined ? host.toLowerCase() : '';
    let agent = this.#agents.get(key);
    if (!agent) {
      const common = this.#options.common ?? {};
      const profile: TlsProfile = own
        ? { ca: [...(common.ca ?? []), ...(own.ca ?? [])], ...(own.cert ? { cert: own.cert } : {}), ...(own.key ? { key: own.key } : {}) }
        : common;
      const tls = connectOptions(profile);
      const timeout = ownTimeout ?? this.#options.timeoutMs;
      // undici cannot abort a connection attempt: only its own connect timeout ends a registry
      // that accepts TCP and never completes the TLS handshake. A host that has not answered a
      // connection in 10 s (undici's default) is unreachable rather than slow: retry it sooner.
      const connect = { ...tls, timeout: Math.min(CONNECT_TIMEOUT_MS, timeout) };
      const proxy = this.#options.proxy ?? proxyFromEnv();
      const addressOf = this.#options.addressOf;
      agent = new EnvHttpProxyAgent({
        headersTimeout: timeout,
        bodyTimeout: timeout,
        connect: addressOf ? redirectedConnector(connectorFor(connect), addressOf) : connect,
        requestTls: tls,
        // Empty strings stop undici from reading the process environment behind our back.
        httpProxy: proxy.httpProxy ?? '',
        httpsProxy: proxy.httpsProxy ?? '',
        noProxy: proxy.noProxy ?? '',
      });
      this.#agents.set(key, agent);
    }
    return agent;
  }

  override dispatch(opts: OnBehalfOfOptions, handler: UndiciDispatcher.DispatchHandler): boolean {
    const { onBehalfOf: _registry, ...plain } = opts;
    return this.#agentFor(connectionHostOf(opts)).dispatch(plain, handler);
  }

  override async close(): Promise<void> {
    await Promise.all([...this.#agents.values()].map((a) => a.close()));
  }

  override async destroy(): Promise<void> {
    await Promise.all([...this.#agents.values()].map((a) => a.destroy()));
  }
}

export function createBaseDispatcher(options: BaseDispatcherOptions): UndiciDispatcher {
  return new RoutingDispatcher(options);
}
