/**
 * https or http for a registry host, as go-containerregistry and Flux decide it: https always,
 * except that local and private-network registries (and ones the user marked insecure) may be
 * plain http. For those we still try https first — a TLS registry on 127.0.0.1 must work — and
 * fall back to http when https does not answer at all. The answer is remembered per host for
 * the run.
 */
import { lazyBuiltin } from './lazy-builtin.js';

/*
 * node:net on first use: importing it loads Node's socket and stream modules, which a run the
 * cache answers (no connection at all) never needs.
 */
const net = lazyBuiltin<typeof import('node:net')>('node:net');
const isIP = (input: string): number => net().isIP(input);

export type Scheme = 'https' | 'http';

/** The name or address part of `host[:port]` (brackets of an IPv6 literal removed). */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

function inPrivateV4(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** This machine only: localhost, *.localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const name = hostnameOf(host).toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost') || name === '::1') return true;
  const v4 = isIP(name) === 4 ? name : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name)?.[1];
  return v4 !== undefined && v4.startsWith('127.');
}

/** localhost, *.localhost, loopback and RFC 1918 / unique-local addresses. */
export function isLocalRegistry(host: string): boolean {
  const name = hostnameOf(host).toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const family = isIP(name);
  if (family === 4) return inPrivateV4(name);
  if (family === 6) {
    if (name === '::1') return true;
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name);
    if (v4) return inPrivateV4(v4[1]!);
    return /^f[cd][0-9a-f]{0,2}:/.test(name);
  }
  return false;
}

export interface SchemeResolverOptions {
  /** Hosts (`host` or `host:port`) that may be served over plain http. */
  insecureRegistries?: string[];
  /**
   * Whether anything answers HTTPS at `https://host` (any HTTP status counts; a TLS or connection
   * failure does not).
   */
  probeHttps: (host: string) => Promise<boolean>;
}

export class SchemeResolver {
  readonly #insecure: Set<string>;
  readonly #probe: SchemeResolverOptions['probeHttps'];
  readonly #decided = new Map<string, Promise<Scheme>>();

  constructor(options: SchemeResolverOptions) {
    this.#insecure = new Set((options.insecureRegistries ?? []).map((h) => h.toLowerCase()));
    this.#probe = options.probeHttps;
  }

  /** Whether `host` may fall back to plain http at all. */
  mayUseHttp(host: string): boolean {
    const h = host.toLowerCase();
    return this.#insecure.has(h) || this.#insecure.has(hostnameOf(h)) || isLocalRegistry(h);
  }

  resolve(host: string): Promise<Scheme> {
    if (!this.mayUseHttp(host)) return Promise.resolve('https');
    let decided = this.#decided.get(host);
    if (!decided) {
      decided = this.#probe(host).then(
        (answers): Scheme => (answers ? 'https' : 'http'),
        (): Scheme => 'http',
      );
      this.#decided.set(host, decided);
    }
    return decided;
  }
}
