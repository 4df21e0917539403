/**
 * The counts a policy's funnel went through, as one list of stages and as one line of text: what
 * errors, `spec.explain` result messages and the explain report all say about a selection.
 */
import { policyStageLabel } from '../policy/describe.js';
import type { SelectionSpec } from '../policy/select.js';
import type { PolicyResolution } from './resolution.js';

/** Stage names as the explain contract has them: `listed`, then the funnel's, then `aliasOf`. */
export interface StageCount {
  stage: string;
  remaining: number;
}

/** Undefined when the policy never got a tag list (not defined, bad spec, registry error). */
export function stagesOf(record: Pick<PolicyResolution, 'funnel' | 'alias' | 'gateChecks' | 'definition'>): StageCount[] | undefined {
  const { funnel, alias } = record;
  if (!funnel) return undefined;
  // An alias search keeps its rolling tag out of the candidates; it was listed all the same.
  const stages: StageCount[] = [{ stage: 'listed', remaining: funnel.listed + (alias ? 1 : 0) }];
  for (const stage of funnel.stages) stages.push({ stage: stage.stage, remaining: stage.remaining });
  if (alias) stages.push({ stage: 'aliasOf', remaining: alias.tag === undefined ? 0 : 1 });
  stages.push(...gateStages(record, alias ? (alias.tag === undefined ? 0 : 1) : funnel.ranked.length));
  return stages;
}

/**
 * One stage per configured gate, in config order. Gates run lazily, so a stage's count is the
 * candidates not known to fail it: the ones it refused are subtracted, the ones never checked are not.
 */
function gateStages(record: Pick<PolicyResolution, 'gateChecks' | 'definition'>, before: number): StageCount[] {
  const gates = record.definition?.gates ?? {};
  const names = [
    ...(gates.platforms ? ['platforms' as const] : []),
    ...(gates.minReleaseAge ? ['minReleaseAge' as const] : []),
    ...(record.definition?.verify ? ['verify' as const] : []),
  ];
  if (names.length === 0) return [];
  const checks = record.gateChecks ?? [];
  let remaining = before;
  return names.map((gate) => {
    remaining -= checks.filter((check) => check.gate === gate).length;
    return { stage: gate, remaining: Math.max(0, remaining) };
  });
}

/** `9 listed → 7 after exclusionList → 5 after filterTags → 3 valid for semver ">=1.0.0 <2.0.0"`. */
export function funnelLine(record: Pick<PolicyResolution, 'funnel' | 'alias' | 'gateChecks' | 'definition'>, spec: SelectionSpec): string | undefined {
  const all = stagesOf(record);
  if (!all) return undefined;
  // Past the first stage that left nothing, every count is 0 and says nothing more.
  const empty = all.findIndex((s) => s.remaining === 0);
  const stages = empty === -1 ? all : all.slice(0, empty + 1);
  const parts = stages.map(({ stage, remaining }) => {
    // Said at once, or the count's drop at the next stage would read as that stage's doing.
    if (stage === 'listed') return record.alias ? `${remaining} listed (${record.alias.rolling} is tracked, not a candidate)` : `${remaining} listed`;
    if (stage === 'policy') return `${remaining} ${policyStageLabel(spec)}`;
    if (stage === 'aliasOf') {
      const alias = record.alias!;
      return alias.tag === undefined ? `none at ${alias.rolling}'s digest` : `${alias.tag} is ${alias.rolling}`;
    }
    return `${remaining} after ${stage}`;
  });
  return parts.join(' → ');
}
