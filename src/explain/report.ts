/**
 * The explain report: for every marked field, in input order, where it is, which policy decided
 * it, how far each stage of the funnel got, what became of each tag and why, how an alias was
 * found, and what the registry work cost. Built only from the facts the run already kept, so
 * explaining costs no registry request. `--explain-json` prints this document; `--explain`
 * renders it as text (./text.ts).
 */
import type { PolicyDefinition } from '../config/policy-definitions.js';
import type { ResourceRef } from '../diagnostics/results.js';
import { dropReasonText, outrankedText } from '../policy/describe.js';
import type { DropReason, FunnelStageName, TagFunnel } from '../policy/funnel.js';
import { parseRepository } from '../registry/name.js';
import type { ImageRepository, RepositoryUsage } from '../registry/types.js';
import { funnelLine, stagesOf, type StageCount } from '../resolve/funnel-facts.js';
import type { PolicyResolution, Resolution, SiteOutcomeKind } from '../resolve/resolution.js';
import type { PolicySite } from '../resolve/sites.js';

export type Verdict = 'selected' | 'outranked' | 'excluded' | 'filtered' | 'rejected' | 'gated';

export interface CandidateEntry {
  tag: string;
  verdict: Verdict;
  reason: string;
  /** For `gated`: the gate's config key (`aliasOf`, later `platforms`, `minReleaseAge`, `verify`). */
  gate?: string;
}

export interface MarkerExplanation {
  /** The file as the user gave it (file mode). */
  file?: string;
  resource?: ResourceRef;
  field: string;
  /** `flux-system:web:tag`; absent for a field an `images:` rule matched. */
  marker?: string;
  /** The marker comment or the `images:` rule that made this field managed. */
  declaredBy: string;
  /** `namespace/name`. */
  policy: string;
  /** Where the policy was defined: `ImagePolicy flux-system/web`, `functionConfig spec.policies[0] (…)`. */
  definedBy?: string;
  /** The repository, as the policy's `spec.image` writes it. */
  image?: string;
  outcome: SiteOutcomeKind;
  before: string;
  after?: string;
  error?: string;
  stages?: StageCount[];
  /** The stages as one line: `9 listed → 7 after exclusionList → …`. */
  funnel?: string;
  candidates?: CandidateEntry[];
  /** How many candidates were left out of `candidates` (repositories with more than 50 tags). */
  candidatesOmitted?: number;
  selected?: { tag: string; digest?: string };
  alias?: { rolling: string; tag?: string; digest: string; method: string; asked: number };
  registry?: RepositoryUsage & { repository: string };
}

export interface ExplainDocument {
  markers: MarkerExplanation[];
  /** The run's registry requests in all, token fetches and retries included. */
  registry: { requests: number };
}

export interface ExplainInput {
  sites: readonly PolicySite[];
  resolution?: Resolution;
  /** Why the run stopped before resolving (bad config, undefined policy): each field's error then. */
  stoppedBy?: string;
  usage?: (repo: ImageRepository) => RepositoryUsage;
  requests: number;
  /** How file paths are shown (file mode: as the user gave them). */
  displayPath?: (path: string) => string;
}

/** All of a repository's tags up to this many; past it, a sample (see {@link candidatesOf}). */
export const ALL_CANDIDATES_UP_TO = 50;
const NEXT_IN_RANK = 10;
const PER_DROPPING_STAGE = 10;

export function explainRun(input: ExplainInput): ExplainDocument {
  const outcomes = new Map(input.resolution?.sites.map((s) => [s.site, s]) ?? []);
  const records = new Map(input.resolution?.policies.map((p) => [p.key, p]) ?? []);
  const markers = input.sites.map((site) => {
    const key = `${site.policy.namespace}/${site.policy.name}`;
    const record = records.get(key);
    const outcome = outcomes.get(site);
    const entry: MarkerExplanation = {
      ...(site.where.file ? { file: (input.displayPath ?? ((p) => p))(site.where.file.path) } : {}),
      ...(site.where.resourceRef ? { resource: resourceOf(site.where.resourceRef) } : {}),
      field: site.where.fieldPath,
      ...(site.where.declaredBy.startsWith('marker ') ? { marker: `${site.policy.namespace}:${site.policy.name}${site.suffix ? `:${site.suffix}` : ''}` } : {}),
      declaredBy: site.where.declaredBy,
      policy: key,
      ...(record?.definition ? { definedBy: definedBy(record.definition, input.displayPath), image: record.definition.image } : {}),
      outcome: outcome?.outcome ?? (input.stoppedBy ? 'error' : 'unchanged'),
      before: site.current,
    };
    if (outcome?.after !== undefined) entry.after = outcome.after;
    else if (!outcome && !input.stoppedBy) entry.after = site.current;
    const error = outcome?.error ?? (outcome ? undefined : input.stoppedBy);
    if (error !== undefined) entry.error = error;
    if (record) addPolicyFacts(entry, record, input.usage);
    return entry;
  });
  return { markers, registry: { requests: input.requests } };
}

/** `{apiVersion, kind, namespace, name}` in that order, whatever order the ref was built in. */
function definedBy(definition: PolicyDefinition, displayPath: ExplainInput['displayPath']): string {
  const file = definition.origin.file?.path;
  return file === undefined ? definition.origin.description : `${definition.origin.description} in ${(displayPath ?? ((p) => p))(file)}`;
}

function resourceOf(ref: ResourceRef): ResourceRef {
  const { apiVersion, kind, namespace, name } = ref;
  return { ...(apiVersion ? { apiVersion } : {}), ...(kind ? { kind } : {}), ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
}

function addPolicyFacts(entry: MarkerExplanation, record: PolicyResolution, usage: ExplainInput['usage']): void {
  const definition = record.definition;
  const stages = stagesOf(record);
  if (stages) entry.stages = stages;
  const line = definition && funnelLine(record, definition.selection);
  if (line) entry.funnel = line;
  if (definition && record.funnel) {
    const { shown, omitted } = candidatesOf(record.funnel, definition, record);
    entry.candidates = shown;
    if (omitted > 0) entry.candidatesOmitted = omitted;
  }
  if (record.selected) entry.selected = { tag: record.selected.tag, ...(record.selected.digest ? { digest: record.selected.digest } : {}) };
  if (record.alias) {
    const { rolling, tag, digest, method, asked } = record.alias;
    entry.alias = { rolling, ...(tag !== undefined ? { tag } : {}), digest, method, asked };
  }
  if (definition && usage) {
    const repo = repositoryOf(definition);
    if (repo) entry.registry = { repository: `${repo.registry}/${repo.repository}`, ...usage(repo) };
  }
}

function repositoryOf(definition: PolicyDefinition): ImageRepository | undefined {
  try {
    return parseRepository(definition.image);
  } catch {
    return undefined;
  }
}

const VERDICT_OF_STAGE: Record<FunnelStageName, Verdict> = { exclusionList: 'excluded', filterTags: 'filtered', policy: 'rejected' };

/**
 * Every tag with its verdict: the selection, the ones it outranked (in rank order), those an
 * alias search found elsewhere, then each stage's drops. With more than 50 tags: the selection,
 * the next 10 in rank and at most 10 per dropping stage.
 */
export function candidatesOf(funnel: TagFunnel, definition: PolicyDefinition, record: PolicyResolution): { shown: CandidateEntry[]; omitted: number } {
  const spec = definition.selection;
  const selected = record.selected?.tag;
  const alias = record.alias;
  const ranked: CandidateEntry[] = [];
  const aliasMisses: CandidateEntry[] = [];
  const asked = new Map(alias?.steps.map((step) => [step.tag, step]) ?? []);
  const selectedRank = selected === undefined ? -1 : funnel.ranked.indexOf(selected);
  // Without aliasOf, gates judged candidates by tag; with it, the rolling tag's image (not a candidate).
  const refused = new Map((alias ? [] : (record.gateChecks ?? [])).filter((c) => !c.pass).map((c) => [c.tag, c]));
  funnel.ranked.forEach((tag, rank) => {
    const gate = refused.get(tag);
    if (gate) ranked.push({ tag, verdict: 'gated', gate: gate.gate!, reason: gate.reason ?? 'did not pass' });
    else if (tag === selected) ranked.push({ tag, verdict: 'selected', reason: selectedReason(record, funnel, spec.policy.semver ? 'semver' : undefined) });
    else if (alias && (selectedRank === -1 || rank < selectedRank)) aliasMisses.push({ tag, verdict: 'gated', gate: 'aliasOf', reason: aliasMissReason(alias, asked.get(tag)) });
    else ranked.push({ tag, verdict: 'outranked', reason: selected === undefined ? 'not reached' : outrankedText(selected, spec) });
  });
  const dropped = funnel.stages.map((stage) =>
    stage.dropped.map((d): CandidateEntry => ({ tag: d.tag, verdict: VERDICT_OF_STAGE[stage.stage], reason: dropReasonText(d.reason as DropReason, spec) })),
  );
  const tracked: CandidateEntry[] = alias ? [{ tag: alias.rolling, verdict: 'excluded', reason: `the tracked tag (aliasOf) is never a candidate itself` }] : [];
  const total = ranked.length + aliasMisses.length + tracked.length + dropped.reduce((n, list) => n + list.length, 0);
  if (total <= ALL_CANDIDATES_UP_TO) return { shown: [...aliasMisses, ...ranked, ...tracked, ...dropped.flat()], omitted: 0 };

  const selectedEntries = ranked.filter((c) => c.verdict === 'selected');
  const next = ranked.filter((c) => c.verdict !== 'selected').slice(0, NEXT_IN_RANK);
  const shown = [...aliasMisses.slice(0, NEXT_IN_RANK), ...selectedEntries, ...next, ...tracked, ...dropped.flatMap((list) => list.slice(0, PER_DROPPING_STAGE))];
  return { shown, omitted: total - shown.length };
}

function selectedReason(record: PolicyResolution, funnel: TagFunnel, kind: string | undefined): string {
  const alias = record.alias;
  if (alias) return `the best-ranked candidate at ${alias.rolling}'s digest (${shortDigest(alias.digest)})`;
  if (record.gatedFrom !== undefined) return `the best candidate that passes the gates (${record.gatedFrom} ranks higher but does not)`;
  const of = funnel.ranked.length === 1 ? 'the only candidate' : `the best of ${funnel.ranked.length} candidates`;
  return kind === 'semver' ? `${of}: the highest version in the range` : of;
}

function aliasMissReason(alias: NonNullable<PolicyResolution['alias']>, step: NonNullable<PolicyResolution['alias']>['steps'][number] | undefined): string {
  if (!step) {
    if (alias.method.startsWith('vendor:')) return `not at ${alias.rolling}'s digest (per the ${alias.method.slice(7)})`;
    if (alias.method === 'remembered') return `not at ${alias.rolling}'s digest when an earlier run searched`;
    return 'not asked';
  }
  if (step.digest === undefined) return 'deleted since the tag list was taken';
  return `points to ${shortDigest(step.digest)}, not ${alias.rolling}'s ${shortDigest(alias.digest)}`;
}

/** `sha256:0123456789ab`: enough to tell digests apart in a report. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return hex === undefined ? digest : `${algorithm}:${hex.slice(0, 12)}`;
}
