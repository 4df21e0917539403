/**
 * cosign's tag format: a simple-signing payload (`critical.image.docker-manifest-digest` names
 * the signed image) and a signature over its exact bytes, checked with node:crypto against each
 * given public key. ECDSA and RSA signatures are over SHA-256 (cosign's default); Ed25519 over
 * the payload itself.
 */
import { verify } from 'node:crypto';
import type { SimpleSigningLayer } from '../registry/signatures.js';
import type { Attempt } from './attempt.js';
import type { VerifyKey } from './spec.js';

/** The digest a simple-signing payload says it signs; undefined when it is not one. */
export function signedDigest(payload: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { critical?: { image?: { 'docker-manifest-digest'?: unknown } } };
    const digest = parsed.critical?.image?.['docker-manifest-digest'];
    return typeof digest === 'string' ? digest : undefined;
  } catch {
    return undefined;
  }
}

export function signatureVerifies(key: VerifyKey, payload: Buffer, signature: Buffer): boolean {
  const type = key.key.asymmetricKeyType;
  try {
    return verify(type === 'ed25519' || type === 'ed448' ? null : 'sha256', payload, key.key, signature);
  } catch {
    return false;
  }
}

export function checkSimpleSigning(layer: SimpleSigningLayer, keys: readonly VerifyKey[], digest: string, source: string): Attempt {
  if (layer.signature === undefined) return { kind: 'unverified', source, why: 'the layer has no signature annotation' };
  const signature = Buffer.from(layer.signature, 'base64');
  const key = keys.find((k) => signatureVerifies(k, layer.payload, signature));
  if (!key) {
    return { kind: 'unverified', source, why: 'no given key verifies it' };
  }
  // Only a verified payload is believed about what it signs.
  const signed = signedDigest(layer.payload);
  if (signed !== digest) return { kind: 'other-digest', source, signed: signed ?? 'nothing' };
  return { kind: 'verified', by: `key ${key.name}`, source };
}
