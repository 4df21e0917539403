/**
 * Sigstore bundles (cosign 3's default for images): a DSSE envelope holding an in-toto statement
 * whose subject is the signed image's digest, verified with the Sigstore JS libraries, which are
 * loaded only when a policy verifies.
 *
 * What is checked:
 * - Key-signed: the envelope's signature with each given key. Without a trusted root no
 *   transparency log entry is required or checked (as `cosign verify --insecure-ignore-tlog`);
 *   with one, as many log entries and timestamps as its logs and authorities allow (one each).
 * - Keyless: the certificate chains to a certificate authority of the trusted root; its SCT is
 *   checked when the root has CT logs; a transparency log entry (inclusion promise or proof) is
 *   required when the root has logs, and the chain is checked at its integrated time. A root with
 *   neither logs nor timestamp authorities (a private CA) has the chain checked at the current
 *   time. The certificate's issuer and subject must match one `matchOIDCIdentity` entry (RE2,
 *   unanchored, as Flux).
 * - Either way, the statement's subject must name the candidate's digest.
 */
import type { SerializedBundle } from '@sigstore/bundle';
import type { SignedEntity, VerifierOptions } from '@sigstore/verify';
import type { Attempt } from './attempt.js';
import { sigstore, trustedRootOf, verifyKeyless } from './sigstore.js';
import type { VerifySpec } from './spec.js';

const IN_TOTO = 'application/vnd.in-toto+json';

/** The digests an in-toto statement's subjects name (`sha256:<hex>`). */
function subjectDigests(payload: Buffer): string[] {
  try {
    const statement = JSON.parse(payload.toString('utf8')) as { subject?: { digest?: Record<string, unknown> }[] };
    return (statement.subject ?? []).flatMap((s) => Object.entries(s.digest ?? {}).map(([algorithm, hex]) => `${algorithm}:${String(hex)}`));
  } catch {
    return [];
  }
}

export async function checkBundle(bytes: Buffer, spec: VerifySpec, digest: string, source: string): Promise<Attempt> {
  const lib = await sigstore();
  let parsed: ReturnType<typeof lib.bundle.bundleFromJSON>;
  try {
    parsed = lib.bundle.bundleFromJSON(JSON.parse(bytes.toString('utf8')) as SerializedBundle);
  } catch (error) {
    return { kind: 'unverified', source, why: `not a Sigstore bundle (${(error as Error).message})` };
  }
  if (parsed.content.$case !== 'dsseEnvelope' || parsed.content.dsseEnvelope.payloadType !== IN_TOTO) {
    return { kind: 'unverified', source, why: 'the bundle holds no in-toto statement about an image' };
  }
  const payload = parsed.content.dsseEnvelope.payload;
  const entity = lib.verify.toSignedEntity(parsed);
  // Only a verified statement is believed about what it signs.
  const verified = (by: string): Attempt => {
    const signed = subjectDigests(payload);
    return signed.includes(digest) ? { kind: 'verified', by, source } : { kind: 'other-digest', source, signed: signed.join(', ') || 'nothing' };
  };

  if (entity.key.$case === 'public-key') {
    const { root, hasLogs, hasTimestamps } = trustedRootOf(lib, spec);
    const options: VerifierOptions = spec.trustedRoot ? { tlogThreshold: hasLogs ? 1 : 0, ctlogThreshold: 0, timestampThreshold: hasTimestamps ? 1 : 0 } : { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 };
    const target: SignedEntity = spec.trustedRoot ? entity : { ...entity, tlogEntries: [], timestamps: [] };
    for (const key of spec.keys) {
      const material = lib.verify.toTrustMaterial(root, () => ({ publicKey: key.key, validFor: () => true }));
      try {
        new lib.verify.Verifier(material, options).verify(target);
        return verified(`key ${key.name}`);
      } catch {
        // The next key, perhaps.
      }
    }
    return { kind: 'unverified', source, why: 'no given key verifies it' };
  }

  const outcome = verifyKeyless(lib, entity, spec);
  if (!outcome.ok) return outcome.identity ? { kind: 'identity', source, identity: outcome.identity } : { kind: 'unverified', source, why: outcome.why };
  return verified(`identity ${outcome.issuer} ${outcome.subject}`);
}
