/**
 * Whether a candidate is signed: every signature found for its digest is checked (the cosign
 * tag's layers with the keys, each bundle with the keys or the trusted root and identities), and
 * one that verifies FOR THIS DIGEST passes it. Otherwise the most telling failure is the reason:
 * `unsigned` (nothing found), `signed for another digest` (a replayed signature), `identity does
 * not match`, `no signature verifies with the given keys`.
 */
import type { FoundSignatures } from '../registry/signatures.js';
import type { Attempt } from './attempt.js';
import { checkBundle } from './bundle.js';
import { checkSimpleSigning } from './simple-signing.js';
import { checkKeylessLayer } from './tag-keyless.js';
import type { VerifySpec } from './spec.js';

export interface SignatureVerdict {
  pass: boolean;
  reason: string;
  /** What verified it and where it was found, when it passes. */
  by?: string;
  source?: string;
  attempts: Attempt[];
}

export async function verifySignatures(found: FoundSignatures, spec: VerifySpec, digest: string): Promise<SignatureVerdict> {
  const attempts: Attempt[] = [];
  for (const [index, layer] of found.layers.entries()) {
    const source = `cosign tag ${found.tag} layer ${index}`;
    const keyed = checkSimpleSigning(layer, spec.keys, digest, source);
    // A keyless layer (a certificate annotation) no given key verifies: check it against the identities.
    const keyless = keyed.kind === 'unverified' && layer.certificate !== undefined && spec.identities.length > 0;
    attempts.push(keyless ? await checkKeylessLayer(layer, spec, digest, source) : keyed);
  }
  for (const bundle of found.bundles) attempts.push(await checkBundle(bundle.bytes, spec, digest, `bundle ${bundle.referrer} (${found.referrersFrom})`));
  const ok = attempts.find((a) => a.kind === 'verified');
  if (ok) return { pass: true, reason: `is signed (${ok.by}, ${ok.source})`, by: ok.by, source: ok.source, attempts };
  if (attempts.length === 0) return { pass: false, reason: 'unsigned', attempts };
  const replayed = attempts.find((a) => a.kind === 'other-digest');
  if (replayed) return { pass: false, reason: `signed for another digest (${replayed.signed}, ${replayed.source})`, attempts };
  const stranger = attempts.find((a) => a.kind === 'identity');
  if (stranger) return { pass: false, reason: `identity does not match (${stranger.identity})`, attempts };
  return { pass: false, reason: 'no signature verifies with the given keys', attempts };
}
