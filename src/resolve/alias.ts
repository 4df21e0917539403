import type { PolicyDefinition } from '../config/policy-definitions.js';
import type { PreparedPolicy } from '../policy/select.js';
import type { TagFunnel } from '../policy/funnel.js';
import { bulkTagSourceFor, BulkUnavailableError, PushTimes, type BulkSelectionOptions, type BulkTagSource, type JsonGetter } from '../registry/bulk/index.js';
import { RegistryError } from '../registry/errors.js';
import type { AliasMemory, ImageRepository } from '../registry/types.js';
import { RequestBudgetError } from './budget.js';
import type { RegistryPort } from './registry-port.js';
import type { AliasSearch, AliasStep } from './resolution.js';

export interface AliasRequest {
  definition: PolicyDefinition & { aliasOf?: { tag: string } };
  policy: PreparedPolicy;
  repo: ImageRepository;
  tags: readonly string[];
  registry: RegistryPort;
  /** Most lookups in flight at once. The window grows with the search, so an early winner wastes little. */
  window?: number;
  /** Where to say that a vendor API failed and the HEAD-per-tag path answered instead. */
  onNotice?: (message: string) => void;
  bulk?: BulkSelectionOptions;
}

/** The alias found, with how: the funnel its candidates came through and each lookup of the search. */
export interface AliasOutcome {
  tag: string;
  digest: string;
  funnel: TagFunnel;
  search: AliasSearch;
  /**
   * When the rolling tag was pushed at `digest` (epoch ms), if a vendor listing fetched for the
   * search said so (even one that then failed and left the search to HEADs); undefined when no
   * listing was fetched: HEADs and manifests carry no push time.
   */
  rollingPushedAt?: number;
}

export class AliasNotFoundError extends Error {
  override name = 'AliasNotFoundError';
  constructor(
    message: string,
    /** What the search asked before giving up, for a report of why nothing was pinned. */
    readonly search?: AliasSearch,
    readonly funnel?: TagFunnel,
  ) {
    super(message);
  }
}

const DEFAULT_WINDOW = 16;
/** Rolling-tag digests remembered with their alias: enough for a rollback a few releases back. */
const REMEMBERED_ANSWERS = 20;
/** Below this many candidates asking whether an unknown host is Harbor costs more than it saves. */
const HARBOR_PROBE_MIN_CANDIDATES = 24;

const stderrNotice = (message: string): void => {
  process.stderr.write(`apply-image-policies: ${message}\n`);
};

/**
 * Finds the tag the policy prefers among those pointing at the rolling tag's digest right now.
 *
 * The rolling tag is asked every time (it moves). A vendor bulk API answers in one or a few
 * requests where the registry has one; otherwise candidates are asked best-first, so the first
 * match is the winner and the search ends there: the cost is the winner's rank, not the tag count.
 * Candidate tags are immutable by convention, so a caching registry answers repeats from disk and
 * a later run only pays for tags it has not seen. The outcome keeps the funnel and each lookup
 * of the search, for a report of why this tag was pinned.
 *
 * With a cache, each search leaves what it learned for the next run (see {@link AliasMemory}):
 * when the rolling tag still (or again) points at a digest already aliased, the alias is confirmed
 * from the cache; when it moved to a digest never seen, the tags are listed again at once and the
 * tags the last search did not know are asked first, since the new build's tag is the likely alias.
 * Older tags are immutable by convention, so they cannot point at a digest that is new.
 */
export async function searchAlias(request: AliasRequest): Promise<AliasOutcome> {
  const { definition, policy, repo, registry } = request;
  const rolling = definition.aliasOf?.tag as string;
  const notice = request.onNotice ?? stderrNotice;
  // The list may be a cached one from before the rolling tag (or its alias) was pushed.
  const refreshed = once(() => registry.listTags(repo, { maxAgeMs: 0 }));

  let tags = request.tags;
  if (!tags.includes(rolling)) {
    tags = await refreshed();
    if (!tags.includes(rolling)) throw new AliasNotFoundError(`the tracked tag '${rolling}' does not exist in ${definition.image}`);
  }
  const target = await registry.resolveDigest(repo, rolling, { mutable: true });
  const memory = await registry.recallAlias?.(repo, rolling);
  const funnelOf = (list: readonly string[]): TagFunnel => policy.funnel(list.filter((tag) => tag !== rolling));
  const steps: AliasStep[] = [];
  // Tags, not lookups: a second pass over a refreshed list asks the same tags again (memoised).
  const started = new Set<string>();
  const search = (funnel: TagFunnel, method: string, tag?: string): AliasSearch => ({
    rolling,
    digest: target,
    ...(tag === undefined ? {} : { tag }),
    // A search the cache answered in full cost no request past the rolling tag's.
    method: method === 'head-search' && steps.length > 0 && steps.every((step) => step.from === 'cache') ? 'cache' : method,
    // Counted as started: how many answer before the winner is certain depends on timing.
    asked: Math.max(started.size, steps.length),
    candidates: funnel.ranked.length,
    steps,
  });

  let funnel = funnelOf(tags);
  const remember = async (tag: string, listed: readonly string[]): Promise<void> => {
    const answers = [...(memory?.answers ?? []).filter((a) => a.digest !== target), { digest: target, tag }].slice(-REMEMBERED_ANSWERS);
    await registry.rememberAlias?.(repo, rolling, { answers, listed: [...listed] });
  };
  // What a vendor listing says about push times, for the gates: asked for nothing beyond the listing.
  const pushTimes = new PushTimes();
  const pushed = (): { rollingPushedAt?: number } => {
    const at = pushTimes.pushedAt(repo, rolling, target);
    return at === undefined ? {} : { rollingPushedAt: at };
  };
  const window = Math.max(1, request.window ?? DEFAULT_WINDOW);
  const lookup = async (tag: string) => {
    const again = started.has(tag);
    started.add(tag);
    const digest = await candidateDigest(registry, repo, tag);
    const from = registry.digestSource?.(repo, tag);
    if (!again) steps.push({ tag, digest, via: 'registry', ...(from ? { from } : {}) });
    return digest;
  };

  // The rolling tag at a digest already aliased (unchanged, or rolled back): the cache answers.
  const recalled = memory ? await fromMemory(memory, target, funnel.ranked, lookup, window) : undefined;
  if (recalled !== undefined) {
    await remember(recalled, tags);
    return { tag: recalled, digest: target, funnel, search: search(funnel, 'remembered', recalled) };
  }

  let searched: readonly string[] = tags;
  if (memory && !memory.answers.some((a) => a.digest === target)) {
    // A digest never aliased: a new build. List again now and ask the tags the last search had not
    // seen, best first: the new build's tag is the likely alias, and cheaper than any listing.
    searched = await refreshed();
    funnel = funnelOf(searched);
    const seen = new Set(memory.listed);
    const fresh = await firstMatch(funnel.ranked.filter((tag) => !seen.has(tag)), lookup, target, window);
    if (fresh !== undefined) {
      await remember(fresh, searched);
      return { tag: fresh, digest: target, funnel, search: search(funnel, 'head-search', fresh) };
    }
  }

  const viaBulk = await searchInBulk({ ...request, bulk: { ...request.bulk, pushTimes } }, target, funnel.ranked.length, (list) => funnelOf(list).ranked, notice, steps);
  if (viaBulk) {
    const method = `vendor:${viaBulk.api}`;
    if (viaBulk.tag === undefined) notFound(rolling, target, viaBulk.candidates, search(funnel, method), funnel, viaBulk.api);
    await remember(viaBulk.tag, searched);
    return { tag: viaBulk.tag, digest: target, funnel, search: search(funnel, method, viaBulk.tag), ...pushed() };
  }

  let found = await firstMatch(funnel.ranked, lookup, target, window);
  if (found === undefined) {
    // The rolling tag may have moved to a build pushed after the cached list was taken.
    const fresh = await refreshed();
    const known = new Set(tags);
    if (fresh.some((tag) => !known.has(tag))) {
      searched = fresh;
      funnel = funnelOf(fresh);
      found = await firstMatch(funnel.ranked, lookup, target, window);
    }
  }
  if (found === undefined) notFound(rolling, target, funnel.ranked.length, search(funnel, 'head-search'), funnel);
  await remember(found, searched);
  return { tag: found, digest: target, funnel, search: search(funnel, 'head-search', found), ...pushed() };
}

/**
 * The alias an earlier run found for `target`, confirmed: still a candidate, still at `target`
 * (answered from the cache: candidate tags are immutable), and no tag the earlier search had not
 * seen ranks above it at the same digest. Undefined when the memory does not hold for this run.
 */
async function fromMemory(
  memory: AliasMemory,
  target: string,
  ranked: readonly string[],
  lookup: (tag: string) => Promise<string | undefined>,
  window: number,
): Promise<string | undefined> {
  const remembered = memory.answers.find((a) => a.digest === target)?.tag;
  const rank = remembered === undefined ? -1 : ranked.indexOf(remembered);
  if (rank === -1) return undefined;
  const seen = new Set(memory.listed);
  const better = await firstMatch(ranked.slice(0, rank).filter((tag) => !seen.has(tag)), lookup, target, window);
  if (better !== undefined) return better;
  return (await lookup(remembered!)) === target ? remembered : undefined;
}

function notFound(rolling: string, target: string, checked: number, search: AliasSearch, funnel: TagFunnel, api?: string): never {
  throw new AliasNotFoundError(
    `no tag points to the same image as '${rolling}' (${target}); checked ${checked} candidate tag${checked === 1 ? '' : 's'} after exclusionList and filterTags${api ? ` (per the ${api})` : ''}`,
    search,
    funnel,
  );
}

/**
 * Asks candidates in order, keeping a growing number in flight (1, 2, 3, … up to `window`), and
 * returns the first whose digest is `target`: when it answers, every better candidate has answered
 * differently, so the winner is certain. Lookups spent past the winner: min(its 0-based rank, window − 1).
 */
async function firstMatch(
  candidates: readonly string[],
  lookup: (tag: string) => Promise<string | undefined>,
  target: string,
  window: number,
): Promise<string | undefined> {
  const pending: Promise<string | undefined>[] = [];
  for (let next = 0; next < candidates.length; next++) {
    const ahead = Math.min(window, next + 1);
    while (pending.length < Math.min(candidates.length, next + ahead)) {
      const lookingUp = lookup(candidates[pending.length]!);
      // Settled later in order; a failure past the winner must not surface as unhandled.
      lookingUp.catch(() => undefined);
      pending.push(lookingUp);
    }
    if ((await pending[next]) === target) {
      // Lookups already sent past the winner finish first: their answers reach the cache, and
      // what the run reports it cost does not depend on which of them happened to answer in time.
      await Promise.allSettled(pending);
      return candidates[next];
    }
  }
  return undefined;
}

/** A candidate deleted since the list was taken is not a match, not a failure. */
async function candidateDigest(registry: RegistryPort, repo: ImageRepository, tag: string): Promise<string | undefined> {
  try {
    return await registry.resolveDigest(repo, tag, { mutable: false });
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined;
    throw error;
  }
}

interface BulkOutcome {
  api: string;
  tag?: string;
  candidates: number;
}

/**
 * The vendor path: the registry names the tags at `target`; the policy ranks them; the winner is
 * confirmed with one (cached) HEAD, since vendor indexes can lag the registry. Undefined means
 * "use the HEAD-per-tag path": no vendor API here, it failed (said in a notice), or it cannot be
 * asked without a token or cloud credentials the user does not have (said nowhere: it is optional).
 */
async function searchInBulk(
  request: AliasRequest,
  target: string,
  candidateCount: number,
  candidatesOf: (tags: readonly string[]) => string[],
  notice: (message: string) => void,
  steps: AliasStep[],
): Promise<BulkOutcome | undefined> {
  const { registry, repo, definition } = request;
  const { getJson } = registry;
  if (typeof getJson !== 'function') return undefined;
  const http: JsonGetter = { getJson: (r, path, options) => getJson.call(registry, r, path, options) };
  let source: BulkTagSource | undefined;
  try {
    source = await bulkTagSourceFor(repo, http, { ...request.bulk, probe: request.bulk?.probe ?? candidateCount >= HARBOR_PROBE_MIN_CANDIDATES });
  } catch {
    return undefined;
  }
  if (!source) return undefined;
  try {
    const ranked = candidatesOf(await source.tagsAt(repo, target));
    const winner = ranked[0];
    if (winner === undefined) return { api: source.api, candidates: candidateCount };
    const confirmed = await candidateDigest(registry, repo, winner);
    const from = registry.digestSource?.(repo, winner);
    steps.push({ tag: winner, digest: confirmed, via: 'vendor', ...(from ? { from } : {}) });
    if (confirmed === target) return { api: source.api, tag: winner, candidates: candidateCount };
    notice(`${definition.origin.description}: the ${source.api} says ${winner} is ${target}, the registry says ${confirmed ?? 'it does not exist'}; asking tag by tag instead`);
    return undefined;
  } catch (error) {
    if (error instanceof RequestBudgetError) throw error;
    // Nothing to ask the listing with (no token, no cloud credentials): it is optional, not broken.
    if (error instanceof BulkUnavailableError) return undefined;
    notice(`${definition.origin.description}: the ${source.api} failed (${(error as Error).message}); asking tag by tag instead`);
    return undefined;
  }
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}
