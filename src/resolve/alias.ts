import type { PolicyDefinition } from '../config/policy-definitions.js';
import type { PreparedPolicy } from '../policy/select.js';
import type { ImageRepository } from '../registry/types.js';
import type { ResolverRegistry } from './resolve.js';

export interface AliasRequest {
  definition: PolicyDefinition & { aliasOf?: { tag: string } };
  policy: PreparedPolicy;
  repo: ImageRepository;
  tags: readonly string[];
  registry: ResolverRegistry;
  /** Lookups in flight at once; small, because the first match ends the search. */
  window?: number;
}

export class AliasNotFoundError extends Error {
  override name = 'AliasNotFoundError';
}

/**
 * Finds the tag the policy prefers among those pointing at the rolling tag's
 * digest. Candidates are asked best-first, so the first match is the winner and
 * the search stops there: the cost is the rank of the winner, not the tag count.
 * Candidate tags are immutable by convention, so a caching registry answers
 * repeat lookups without a request.
 */
export async function resolveAlias(request: AliasRequest): Promise<{ tag: string; digest: string }> {
  const { definition, policy, repo, tags, registry } = request;
  const rolling = definition.aliasOf?.tag as string;
  if (!tags.includes(rolling)) {
    throw new AliasNotFoundError(`the tracked tag '${rolling}' does not exist in ${definition.image}`);
  }
  const target = await registry.resolveDigest(repo, rolling, { mutable: true });
  const candidates = policy.rank(tags.filter((tag) => tag !== rolling));
  const window = Math.max(1, request.window ?? 8);
  for (let start = 0; start < candidates.length; start += window) {
    const batch = candidates.slice(start, start + window);
    const digests = await Promise.all(batch.map((tag) => registry.resolveDigest(repo, tag, { mutable: false })));
    const hit = digests.findIndex((digest) => digest === target);
    if (hit >= 0) return { tag: batch[hit] as string, digest: target };
  }
  throw new AliasNotFoundError(
    `no tag points to the same image as '${rolling}' (${target}); checked ${candidates.length} candidate tag${candidates.length === 1 ? '' : 's'} after exclusionList and filterTags`,
  );
}
