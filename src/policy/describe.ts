/**
 * Words for a funnel, shared by error messages, result messages and the explain report, so the
 * same fact reads the same wherever it is shown.
 */
import type { DropReason, TagFunnel } from './funnel.js';
import type { SelectionSpec } from './select.js';
import { compareVersions, parseTagVersion } from './semver/version.js';

/** What the `policy` stage keeps: `valid for semver ">=1.0.0 <2.0.0"`, `ordered alphabetically (ASC)`. */
export function policyStageLabel(spec: SelectionSpec): string {
  const { semver, alphabetical, numerical } = spec.policy;
  if (semver) return `valid for semver ${JSON.stringify(semver.range)}`;
  if (alphabetical) return `ordered alphabetically (${(alphabetical.order ?? 'asc').toUpperCase()})`;
  if (numerical) return `ordered numerically (${(numerical.order ?? 'asc').toUpperCase()})`;
  return 'ordered by the policy';
}

/** One phrase per reason, naming the setting at work. */
export function dropReasonText(reason: DropReason, spec: SelectionSpec): string {
  switch (reason) {
    case 'exclusion-list':
      return spec.exclusionList?.length ? 'matches the exclusionList' : 'a signature or artifact tag (the default exclusionList)';
    case 'filter-no-match':
      return `does not match filterTags.pattern '${spec.filterTags?.pattern ?? ''}'`;
    case 'filter-same-key':
      return `filterTags.extract gives it the key of a later tag, which Flux keeps`;
    case 'not-a-version':
      return 'not a semantic version';
    case 'outside-range':
      return `outside the range ${JSON.stringify(spec.policy.semver?.range ?? '')}`;
  }
}

/** Why a tag ranked below the selection, in the policy's own terms. */
export function outrankedText(selected: string, spec: SelectionSpec): string {
  if (spec.policy.semver) return `a lower version than ${selected}`;
  if (spec.policy.numerical) return `ranks below ${selected} numerically`;
  return `ranks below ${selected} alphabetically`;
}

/**
 * The tags nearest to being picked when nothing was: for semver, the highest versions the range
 * refused; else the last stage's drops as listed. Undefined when nothing was dropped.
 */
export function closestTags(funnel: TagFunnel, spec: SelectionSpec, limit = 3): { label: string; tags: string[] } | undefined {
  const policyStage = funnel.stages.find((s) => s.stage === 'policy');
  const outside = policyStage?.dropped.filter((d) => d.reason === 'outside-range').map((d) => d.tag) ?? [];
  if (outside.length > 0) {
    const highest = outside
      .map((tag) => ({ tag, version: parseTagVersion(tag)! }))
      .sort((a, b) => compareVersions(b.version, a.version))
      .slice(0, limit)
      .map((entry) => entry.tag);
    return { label: `highest versions outside the range`, tags: highest };
  }
  for (const stage of [...funnel.stages].reverse()) {
    if (stage.dropped.length === 0) continue;
    const label =
      stage.stage === 'filterTags' ? `tags not matching filterTags.pattern` : stage.stage === 'exclusionList' ? 'tags the exclusionList dropped' : 'tags that are not versions';
    return { label, tags: stage.dropped.slice(0, limit).map((d) => d.tag) };
  }
  return undefined;
}
