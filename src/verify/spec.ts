/**
 * A policy's `verify` setting, read and ready: the public keys (from files and a Secret), the
 * keyless identities with their regexes compiled, the trusted root's JSON. Its fingerprint names
 * exactly what a signature was verified against, so a cached verification is only reused for
 * the same keys and identities.
 */
import type { KeyObject } from 'node:crypto';
import { compileGoRegexp, type GoRegexp } from '../policy/go-regexp.js';
import { lazyBuiltin } from '../registry/lazy-builtin.js';

export interface VerifyKey {
  /** Where it came from, for messages: `cosign.pub`, `Secret flux-system/keys cosign.pub`. */
  name: string;
  key: KeyObject;
  /** `sha256:<hex>` of the key's SubjectPublicKeyInfo: the same key has it wherever it came from. */
  fingerprint: string;
}

export interface VerifyIdentity {
  issuer: GoRegexp;
  subject: GoRegexp;
}

export interface VerifySpec {
  keys: VerifyKey[];
  identities: VerifyIdentity[];
  /** A Sigstore trusted root (`trusted_root.json`) as parsed JSON, with where it came from. */
  trustedRoot?: { name: string; json: unknown };
}

/*
 * node:crypto on first use: the functionConfig's schema reaches this module, and loading crypto's
 * fifteen modules at start would cost every run that verifies nothing.
 */
const crypto = lazyBuiltin<typeof import('node:crypto')>('node:crypto');

export class VerifyConfigError extends Error {
  override name = 'VerifyConfigError';
}

/** A PEM public key (cosign.pub): ECDSA, RSA or Ed25519. */
export function readPublicKey(name: string, pem: string): VerifyKey {
  let key: KeyObject;
  try {
    key = crypto().createPublicKey(pem);
  } catch (error) {
    throw new VerifyConfigError(`${name} is not a PEM public key (${(error as Error).message})`);
  }
  const der = key.export({ type: 'spki', format: 'der' });
  return { name, key, fingerprint: `sha256:${crypto().createHash('sha256').update(der).digest('hex')}` };
}

export function readIdentity(issuer: string, subject: string, where: string): VerifyIdentity {
  try {
    return { issuer: compileGoRegexp(issuer), subject: compileGoRegexp(subject) };
  } catch (error) {
    throw new VerifyConfigError(`${where}: ${(error as Error).message}`);
  }
}

/** What verifications of this spec are kept under: its keys, identities and trusted root. */
export function specFingerprint(spec: VerifySpec): string {
  const parts = [
    ...spec.keys.map((k) => `key ${k.fingerprint}`).sort(),
    ...spec.identities.map((i) => `identity ${JSON.stringify([i.issuer.source, i.subject.source])}`).sort(),
    ...(spec.trustedRoot ? [`root ${crypto().createHash('sha256').update(JSON.stringify(spec.trustedRoot.json)).digest('hex')}`] : []),
  ];
  return crypto().createHash('sha256').update(parts.join('\n')).digest('hex');
}

/** The keys or identities, for an error: `keys cosign.pub, release.pub` or `identity issuer ~ …, subject ~ …`. */
export function describeSpec(spec: VerifySpec): string {
  const words: string[] = [];
  if (spec.keys.length > 0) words.push(`key${spec.keys.length === 1 ? '' : 's'} ${spec.keys.map((k) => k.name).join(', ')}`);
  for (const identity of spec.identities) words.push(`identity issuer ~ ${identity.issuer.source}, subject ~ ${identity.subject.source}`);
  return words.join('; ') || 'no keys or identities';
}
