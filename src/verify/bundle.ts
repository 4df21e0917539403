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
import type { SignedEntity, TrustMaterial, VerifierOptions } from '@sigstore/verify';
import type { Attempt } from './attempt.js';
import type { VerifyIdentity, VerifySpec } from './spec.js';

const IN_TOTO = 'application/vnd.in-toto+json';
const EMPTY_ROOT = { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };

async function libraries() {
  const [verify, bundle, specs] = await Promise.all([import('@sigstore/verify'), import('@sigstore/bundle'), import('@sigstore/protobuf-specs')]);
  return { verify, bundle, specs };
}
type Libraries = Awaited<ReturnType<typeof libraries>>;
let loaded: Promise<Libraries> | undefined;

/** The digests an in-toto statement's subjects name (`sha256:<hex>`). */
function subjectDigests(payload: Buffer): string[] {
  try {
    const statement = JSON.parse(payload.toString('utf8')) as { subject?: { digest?: Record<string, unknown> }[] };
    return (statement.subject ?? []).flatMap((s) => Object.entries(s.digest ?? {}).map(([algorithm, hex]) => `${algorithm}:${String(hex)}`));
  } catch {
    return [];
  }
}

function identityText(identity: { subjectAlternativeName?: string; extensions?: { issuer?: string } } | undefined): { issuer: string; subject: string } {
  return { issuer: identity?.extensions?.issuer ?? '', subject: identity?.subjectAlternativeName ?? '' };
}

const matches = (identities: readonly VerifyIdentity[], who: { issuer: string; subject: string }) =>
  identities.some((i) => i.issuer.test(who.issuer) && i.subject.test(who.subject));

export async function checkBundle(bytes: Buffer, spec: VerifySpec, digest: string, source: string): Promise<Attempt> {
  const { verify, bundle: bundles, specs } = await (loaded ??= libraries());
  let parsed: ReturnType<typeof bundles.bundleFromJSON>;
  try {
    parsed = bundles.bundleFromJSON(JSON.parse(bytes.toString('utf8')) as SerializedBundle);
  } catch (error) {
    return { kind: 'unverified', source, why: `not a Sigstore bundle (${(error as Error).message})` };
  }
  if (parsed.content.$case !== 'dsseEnvelope' || parsed.content.dsseEnvelope.payloadType !== IN_TOTO) {
    return { kind: 'unverified', source, why: 'the bundle holds no in-toto statement about an image' };
  }
  const payload = parsed.content.dsseEnvelope.payload;
  const entity = verify.toSignedEntity(parsed);
  const root = specs.TrustedRoot.fromJSON(spec.trustedRoot?.json ?? EMPTY_ROOT);
  const hasLogs = root.tlogs.length > 0;
  const hasTimestamps = hasLogs || root.timestampAuthorities.length > 0;

  const verified = (signer: { identity?: unknown }, by: string): Attempt => {
    const signed = subjectDigests(payload);
    return signed.includes(digest) ? { kind: 'verified', by, source } : { kind: 'other-digest', source, signed: signed.join(', ') || 'nothing' };
  };
  const attempt = (material: TrustMaterial, options: VerifierOptions, target: SignedEntity) => new verify.Verifier(material, options).verify(target);

  if (entity.key.$case === 'public-key') {
    const options: VerifierOptions = spec.trustedRoot ? { tlogThreshold: hasLogs ? 1 : 0, ctlogThreshold: 0, timestampThreshold: hasTimestamps ? 1 : 0 } : { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 };
    const target: SignedEntity = spec.trustedRoot ? entity : { ...entity, tlogEntries: [], timestamps: [] };
    for (const key of spec.keys) {
      const material = verify.toTrustMaterial(root, () => ({ publicKey: key.key, validFor: () => true }));
      try {
        return verified(attempt(material, options, target), `key ${key.name}`);
      } catch {
        // The next key, perhaps.
      }
    }
    return { kind: 'unverified', source, why: 'no given key verifies it' };
  }

  if (!spec.trustedRoot || spec.identities.length === 0) return { kind: 'unverified', source, why: 'a keyless signature, and no trustedRoot and matchOIDCIdentity to check it with' };
  const options: VerifierOptions = { tlogThreshold: hasLogs ? 1 : 0, ctlogThreshold: root.ctlogs.length > 0 ? 1 : 0, timestampThreshold: 1 };
  // A private CA without logs or timestamp authorities: its chain is checked as of now.
  const now = { $case: 'transparency-log' as const, tlogEntry: { integratedTime: String(Math.floor(Date.now() / 1000)), inclusionPromise: { signedEntryTimestamp: Buffer.alloc(0) }, logId: { keyId: Buffer.from('now') } } };
  const target = hasTimestamps ? entity : ({ ...entity, tlogEntries: [], timestamps: [now] } as unknown as SignedEntity);
  let signer: ReturnType<typeof attempt>;
  try {
    signer = attempt(verify.toTrustMaterial(root), options, target);
  } catch (error) {
    return { kind: 'unverified', source, why: (error as Error).message };
  }
  const who = identityText(signer.identity);
  if (!matches(spec.identities, who)) return { kind: 'identity', source, identity: `issuer ${who.issuer}, subject ${who.subject}` };
  return verified(signer, `identity ${who.issuer} ${who.subject}`);
}

