/**
 * The `verify` gate for one candidate digest: a verification kept from an earlier run answers
 * without a request; otherwise its signatures are found (cosign tag, bundle referrers) and
 * checked, and a pass is kept under (digest, fingerprint of the keys and identities).
 * Within a run, each (repository, digest, spec) is verified once however many policies ask.
 */
import { findSignatures } from '../registry/signatures.js';
import type { ImageRepository } from '../registry/types.js';
import { specFingerprint, type VerifySpec } from '../verify/spec.js';
import type { RegistryPort } from './registry-port.js';

export type VerifyPort = Pick<RegistryPort, 'fetchManifest' | 'fetchBlob' | 'getJson' | 'recallVerification' | 'keepVerification'>;

const fingerprints = new WeakMap<VerifySpec, string>();
const inRun = new WeakMap<object, Map<string, Promise<{ pass: boolean; reason: string }>>>();

export function verifyGate(repo: ImageRepository, digest: string, spec: VerifySpec, registry: VerifyPort): Promise<{ pass: boolean; reason: string }> {
  let fingerprint = fingerprints.get(spec);
  if (fingerprint === undefined) fingerprints.set(spec, (fingerprint = specFingerprint(spec)));
  const key = `${repo.registry}/${repo.repository}@${digest} ${fingerprint}`;
  let memo = inRun.get(registry);
  if (!memo) inRun.set(registry, (memo = new Map()));
  let pending = memo.get(key);
  if (!pending) memo.set(key, (pending = verifyOnce(repo, digest, spec, registry, key)));
  return pending;
}

async function verifyOnce(repo: ImageRepository, digest: string, spec: VerifySpec, registry: VerifyPort, key: string): Promise<{ pass: boolean; reason: string }> {
  const kept = await registry.recallVerification?.(key);
  if (kept) return { pass: true, reason: `is signed (${kept.by}, ${kept.source}; verified earlier)` };
  const { fetchManifest, fetchBlob, getJson } = registry;
  if (!fetchManifest || !fetchBlob) throw new Error('this registry client cannot read manifests and blobs, so signatures cannot be verified');
  const found = await findSignatures(
    {
      fetchManifest: (r, reference) => fetchManifest.call(registry, r, reference),
      fetchBlob: (r, blob) => fetchBlob.call(registry, r, blob),
      ...(getJson ? { getJson: (r: ImageRepository, path: string, options?: Parameters<typeof getJson>[2]) => getJson.call(registry, r, path, options) } : {}),
    },
    repo,
    digest,
  );
  // Loaded here, not at start: the checks (and node:crypto with them) serve only policies that verify.
  const { verifySignatures } = await import('../verify/verdict.js');
  const verdict = await verifySignatures(found, spec, digest);
  if (verdict.pass) await registry.keepVerification?.(key, { by: verdict.by!, source: verdict.source! });
  return { pass: verdict.pass, reason: verdict.reason };
}
