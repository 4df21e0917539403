/**
 * Keyless signatures in cosign's tag format: the layer's `dev.sigstore.cosign/certificate`
 * (PEM) is the signer, its `dev.sigstore.cosign/bundle` (Rekor's signed entry timestamp and the
 * hashedrekord entry) the log entry. They are handed to the same keyless check as bundles
 * (`sigstore.ts`); the payload must then name the candidate's digest.
 */
import { createHash, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import type { SignedEntity } from '@sigstore/verify';
import type { SimpleSigningLayer } from '../registry/signatures.js';
import type { Attempt } from './attempt.js';
import { signedDigest } from './simple-signing.js';
import { sigstore, verifyKeyless } from './sigstore.js';
import type { VerifySpec } from './spec.js';

const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

interface RekorBundle {
  SignedEntryTimestamp?: string;
  Payload?: { body?: string; integratedTime?: number; logIndex?: number; logID?: string };
}

/** cosign's Rekor bundle annotation as the log entry the verifier reads; undefined when absent or malformed. */
function logEntry(annotation: string | undefined) {
  if (annotation === undefined) return undefined;
  try {
    const rekor = JSON.parse(annotation) as RekorBundle;
    const { body, integratedTime, logIndex, logID } = rekor.Payload ?? {};
    if (!rekor.SignedEntryTimestamp || !body || integratedTime === undefined || logIndex === undefined || !logID) return undefined;
    const canonicalizedBody = Buffer.from(body, 'base64');
    const kind = JSON.parse(canonicalizedBody.toString('utf8')) as { kind?: string; apiVersion?: string };
    return {
      logIndex: String(logIndex),
      logId: { keyId: Buffer.from(logID, 'hex') },
      kindVersion: { kind: kind.kind ?? '', version: kind.apiVersion ?? '' },
      integratedTime: String(integratedTime),
      inclusionPromise: { signedEntryTimestamp: Buffer.from(rekor.SignedEntryTimestamp, 'base64') },
      canonicalizedBody,
    };
  } catch {
    return undefined;
  }
}

export async function checkKeylessLayer(layer: SimpleSigningLayer, spec: VerifySpec, digest: string, source: string): Promise<Attempt> {
  if (layer.signature === undefined || layer.certificate === undefined) return { kind: 'unverified', source, why: 'the layer has no signature or certificate' };
  const lib = await sigstore();
  const signature = Buffer.from(layer.signature, 'base64');
  const payload = layer.payload;
  let certificate: ReturnType<typeof lib.core.X509Certificate.parse>;
  try {
    certificate = lib.core.X509Certificate.parse(layer.certificate);
  } catch (error) {
    return { kind: 'unverified', source, why: `the certificate annotation is not a certificate (${(error as Error).message})` };
  }
  const entry = logEntry(layer.rekorBundle);
  const entity = {
    signature: {
      signature,
      compareSignature: (other: Buffer) => same(other, signature),
      compareDigest: (other: Buffer) => same(other, createHash('sha256').update(payload).digest()),
      verifySignature: (key: Parameters<typeof verifySignature>[2]) => verifySignature('sha256', payload, key, signature),
    },
    key: { $case: 'certificate', certificate },
    tlogEntries: entry ? [entry] : [],
    timestamps: entry ? [{ $case: 'transparency-log', tlogEntry: entry }] : [],
  } as unknown as SignedEntity;
  const outcome = verifyKeyless(lib, entity, spec);
  if (!outcome.ok) return outcome.identity ? { kind: 'identity', source, identity: outcome.identity } : { kind: 'unverified', source, why: outcome.why };
  const signed = signedDigest(payload);
  if (signed !== digest) return { kind: 'other-digest', source, signed: signed ?? 'nothing' };
  return { kind: 'verified', by: `identity ${outcome.issuer} ${outcome.subject}`, source };
}
