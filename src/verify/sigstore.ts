/**
 * The Sigstore JS libraries, loaded on first use (only when a policy verifies a bundle or a
 * keyless signature), and the one keyless check both signature formats share: the certificate
 * chains to the trusted root (at the transparency log's time, or now for a root without logs or
 * timestamp authorities), an SCT when the root has CT logs, a log entry when it has logs, and
 * the certificate's issuer and subject match one `matchOIDCIdentity` entry.
 */
import type { SignedEntity, VerifierOptions } from '@sigstore/verify';
import type { VerifySpec } from './spec.js';

async function load() {
  const [verify, bundle, specs, core] = await Promise.all([import('@sigstore/verify'), import('@sigstore/bundle'), import('@sigstore/protobuf-specs'), import('@sigstore/core')]);
  return { verify, bundle, specs, core };
}
export type Sigstore = Awaited<ReturnType<typeof load>>;
let loaded: Promise<Sigstore> | undefined;

export function sigstore(): Promise<Sigstore> {
  return (loaded ??= load());
}

const EMPTY_ROOT = { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };

/** The spec's trusted root (or none), and what it can vouch for. */
export function trustedRootOf(lib: Sigstore, spec: VerifySpec) {
  const root = lib.specs.TrustedRoot.fromJSON(spec.trustedRoot?.json ?? EMPTY_ROOT);
  const hasLogs = root.tlogs.length > 0;
  return { root, hasLogs, hasTimestamps: hasLogs || root.timestampAuthorities.length > 0 };
}

export type KeylessOutcome = { ok: true; issuer: string; subject: string } | { ok: false; identity?: string; why: string };

export function verifyKeyless(lib: Sigstore, entity: SignedEntity, spec: VerifySpec): KeylessOutcome {
  if (!spec.trustedRoot || spec.identities.length === 0) return { ok: false, why: 'a keyless signature, and no trustedRoot and matchOIDCIdentity to check it with' };
  const { root, hasLogs, hasTimestamps } = trustedRootOf(lib, spec);
  const options: VerifierOptions = { tlogThreshold: hasLogs ? 1 : 0, ctlogThreshold: root.ctlogs.length > 0 ? 1 : 0, timestampThreshold: 1 };
  // A private CA without logs or timestamp authorities: the chain is checked as of now, through
  // a time the verifier reads as a log's integrated time (no log entry is then required).
  const now = { $case: 'transparency-log' as const, tlogEntry: { integratedTime: String(Math.floor(Date.now() / 1000)), inclusionPromise: { signedEntryTimestamp: Buffer.alloc(0) }, logId: { keyId: Buffer.from('now') } } };
  const target = hasTimestamps ? entity : ({ ...entity, tlogEntries: [], timestamps: [now] } as unknown as SignedEntity);
  let signer: ReturnType<InstanceType<typeof lib.verify.Verifier>['verify']>;
  try {
    signer = new lib.verify.Verifier(lib.verify.toTrustMaterial(root), options).verify(target);
  } catch (error) {
    return { ok: false, why: (error as Error).message };
  }
  const issuer = signer.identity?.extensions?.issuer ?? '';
  const subject = signer.identity?.subjectAlternativeName ?? '';
  if (!spec.identities.some((i) => i.issuer.test(issuer) && i.subject.test(subject))) return { ok: false, identity: `issuer ${issuer}, subject ${subject}`, why: 'identity does not match' };
  return { ok: true, issuer, subject };
}
