import type { KrmResult } from '../diagnostics/results.js';
import type { PolicyDefinition } from '../config/policy-definitions.js';
import type { TagFunnel } from '../policy/funnel.js';
import type { PolicySite } from './sites.js';

export interface SiteUpdate {
  site: PolicySite;
  value: string;
}

/** One lookup of an alias search: the candidate asked and the digest it had (undefined: gone). */
export interface AliasStep {
  tag: string;
  digest: string | undefined;
  /** `vendor`: a bulk API named it and the registry confirmed it; `registry`: asked tag by tag. */
  via: 'vendor' | 'registry';
  /** Where the digest came from: the cache across runs (no request) or the registry. */
  from?: 'cache' | 'registry';
}

/** One candidate checked against a policy's gates, in rank order. */
export interface GateCheck {
  tag: string;
  digest: string;
  pass: boolean;
  /** The gate that refused it, by its config key, and why. */
  gate?: 'platforms' | 'minReleaseAge' | 'verify';
  reason?: string;
}

/** How an `aliasOf` policy found the tag standing for its rolling tag. */
export interface AliasSearch {
  rolling: string;
  /** The rolling tag's digest at the time of the run. */
  digest: string;
  /** The winner; undefined when no candidate points at `digest`. */
  tag?: string;
  /**
   * `vendor:<api>` when a vendor listing answered, `head-search` when candidates were asked in rank
   * order, `cache` when every candidate asked was answered by the cache across runs.
   */
  method: string;
  /** Candidates whose digest was asked. */
  asked: number;
  /** Candidates after exclusionList, filterTags and the policy. */
  candidates: number;
  steps: AliasStep[];
}

/** What became of one policy: the tags listed, the funnel, the selection, or the error. */
export interface PolicyResolution {
  /** `namespace/name`. */
  key: string;
  definition?: PolicyDefinition;
  sites: PolicySite[];
  /** The tags the registry (or the cache) listed. */
  listed?: readonly string[];
  funnel?: TagFunnel;
  selected?: { tag: string; digest?: string };
  alias?: AliasSearch;
  /** Candidates checked against the policy's gates (absent without gates). */
  gateChecks?: GateCheck[];
  /** Set when the gates picked a candidate below the policy's first choice. */
  gatedFrom?: string;
  error?: string;
}

export type SiteOutcomeKind = 'pinned' | 'unchanged' | 'error';

/** What became of one marked field, in input order. */
export interface SiteOutcome {
  site: PolicySite;
  /** `namespace/name` of its policy. */
  policy: string;
  outcome: SiteOutcomeKind;
  before: string;
  after?: string;
  error?: string;
}

/**
 * A run's resolution keeps its reasons: what each stage dropped, per policy, and what became of
 * each field, so a report can say why a tag was pinned, or why nothing was.
 */
export interface Resolution {
  /** New value for every site whose value changes; empty when any error occurred. */
  updates: SiteUpdate[];
  unchanged: PolicySite[];
  results: KrmResult[];
  policies: PolicyResolution[];
  sites: SiteOutcome[];
}
