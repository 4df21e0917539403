/**
 * Runs a policy's gates over its candidates lazily, in the policy's rank order: the first that
 * passes every gate is pinned, and only the candidates checked cost requests (a digest, one
 * manifest, and a config blob for a single image, each cached for good by digest; with `verify`,
 * the candidate's signatures, checked only once the other gates pass).
 */
import type { PolicyDefinition } from '../config/policy-definitions.js';
import { platformVerdict, releaseAgeVerdict, releaseTime, type CandidateImage, type GateSpec, type GateVerdict } from '../policy/gates.js';
import { describeSpec } from '../verify/spec.js';
import type { ImageRepository } from '../registry/types.js';
import type { VerifySpec } from '../verify/spec.js';
import type { RegistryPort } from './registry-port.js';
import type { GateCheck } from './resolution.js';
import { verifyGate } from './verify-gate.js';

/** The part of a registry gates need: digests, what a manifest says about its image, signatures. */
export type GatePort = Pick<RegistryPort, 'resolveDigest' | 'imageFacts' | 'fetchManifest' | 'fetchBlob' | 'getJson' | 'recallVerification' | 'keepVerification'>;

/** What gates a definition has: the image gates and the signature gate. */
export type Gated = PolicyDefinition & { gates?: GateSpec; verify?: VerifySpec };

export class GateError extends Error {
  override name = 'GateError';
  constructor(
    message: string,
    readonly checks: GateCheck[],
  ) {
    super(message);
  }
}

/**
 * Every configured gate's verdict on one image; the first failing one decides. `pushedAt` is the
 * registry's push time when a vendor listing fetched in this run gave it, else undefined and the
 * created times decide.
 */
export function verdictsFor(gates: GateSpec, image: CandidateImage, now: number, pushedAt?: number): GateVerdict[] {
  const verdicts: GateVerdict[] = [];
  if (gates.platforms) verdicts.push(platformVerdict(gates.platforms, image));
  if (gates.minReleaseAge) verdicts.push(releaseAgeVerdict(gates.minReleaseAge, gates.unknownReleaseAge, releaseTime(image, pushedAt, now), now));
  return verdicts;
}

async function check(repo: ImageRepository, tag: string, digest: string, definition: Gated, registry: GatePort, now: number, pushedAt?: number): Promise<GateCheck> {
  const gates = definition.gates;
  if (gates && (gates.platforms || gates.minReleaseAge)) {
    if (!registry.imageFacts) throw new Error('this registry client cannot read manifests, so gates cannot be checked');
    const image = await registry.imageFacts(repo, digest, { created: gates.minReleaseAge !== undefined });
    const failed = verdictsFor(gates, image, now, pushedAt).find((v) => !v.pass);
    if (failed) return { tag, digest, pass: false, gate: failed.gate, reason: failed.reason };
  }
  if (definition.verify) {
    const verdict = await verifyGate(repo, digest, definition.verify, registry);
    if (!verdict.pass) return { tag, digest, pass: false, gate: 'verify', reason: verdict.reason };
  }
  return { tag, digest, pass: true };
}

/** What a gate error names besides the candidate: the keys or identity a signature must be made with. */
function against(definition: Gated, gate: GateCheck['gate']): string {
  return gate === 'verify' && definition.verify ? `; needs a signature by ${describeSpec(definition.verify)}` : '';
}

/** The first of `ranked` that passes every gate, with what each checked candidate showed. */
export async function firstPassing(
  definition: Gated,
  repo: ImageRepository,
  ranked: readonly string[],
  registry: GatePort,
  options: { mutable?: boolean; now?: number } = {},
): Promise<{ tag: string; digest: string; checks: GateCheck[] }> {
  const now = options.now ?? Date.now();
  const checks: GateCheck[] = [];
  for (const tag of ranked) {
    // The same digest the pin will carry: under `Always` the tag may have moved since the cache saw it.
    const digest = await registry.resolveDigest(repo, tag, { mutable: options.mutable ?? false });
    const result = await check(repo, tag, digest, definition, registry, now);
    checks.push(result);
    if (result.pass) return { tag, digest, checks };
  }
  const best = checks[0];
  const message = best
    ? `no candidate passes the gates: ${best.tag} ${best.reason} (${best.gate}; ${checks.length} candidate${checks.length === 1 ? '' : 's'} checked${against(definition, best.gate)})`
    : 'no candidate to check against the gates';
  throw new GateError(message, checks);
}

/**
 * With `aliasOf` the gates judge the rolling tag's image: what the pinned alias will run. Its
 * release time is the rolling tag's push time when the search's vendor listing gave one
 * (`rollingPushedAt`), else the image's created times.
 */
export async function checkAliasImage(
  definition: Gated,
  repo: ImageRepository,
  selected: { tag: string; digest: string },
  rolling: string,
  registry: GatePort,
  options: { now?: number; rollingPushedAt?: number } = {},
): Promise<GateCheck[]> {
  const result = await check(repo, selected.tag, selected.digest, definition, registry, options.now ?? Date.now(), options.rollingPushedAt);
  if (!result.pass) throw new GateError(`${rolling}'s image (${selected.digest.slice(0, 19)}, tag ${selected.tag}) ${result.reason} (${result.gate}${against(definition, result.gate)})`, [result]);
  return [result];
}
