import type { PolicyDefinition } from '../config/policy-definitions.js';
import { originFields, policyKey } from '../config/policy-definitions.js';
import { errorResult, hasErrors, infoResult, warningResult, type KrmResult } from '../diagnostics/results.js';
import { markerValue } from '../markers/write.js';
import { closestTags } from '../policy/describe.js';
import { NothingSelectedError, preparePolicy, type PreparedPolicy } from '../policy/select.js';
import { parseReference, parseRepository, type ImageReference } from '../registry/name.js';
import type { ImageRepository } from '../registry/types.js';
import { searchAlias } from './alias.js';
import { funnelLine } from './funnel-facts.js';
import { checkAliasImage, firstPassing, GateError } from './gates.js';
import type { RegistryPort } from './registry-port.js';
import type { PolicyResolution, Resolution, SiteOutcome, SiteUpdate } from './resolution.js';
import { siteLocationOf, type PolicySite } from './sites.js';

export type { PolicyResolution, Resolution, SiteOutcome, SiteUpdate } from './resolution.js';

interface PreparedEntry {
  definition: PolicyDefinition;
  policy: PreparedPolicy;
  repo: ImageRepository;
  record: PolicyResolution;
}

/** The results and site errors of one resolution, collected as its phases run. */
class Findings {
  readonly results: KrmResult[] = [];

  constructor(readonly siteErrors = new Map<PolicySite, string>()) {}

  site(site: PolicySite, message: string): void {
    this.siteErrors.set(site, message);
    this.results.push(errorResult(message, siteLocationOf(site)));
  }

  /** One result per affected field, each naming the field and the policy, so no marker's failure is hidden. */
  policy(definition: PolicyDefinition, sites: readonly PolicySite[], message: string): void {
    const text = `${definition.origin.description} (${definition.image}): ${message}`;
    if (sites.length === 0) this.results.push(errorResult(text, originFields(definition.origin)));
    for (const site of sites) this.site(site, `${site.where.declaredBy}: ${text}`);
  }

  /** Something the user should know that does not stop the run, e.g. a vendor API fell back to HEADs. */
  notice(definition: PolicyDefinition, message: string): void {
    this.results.push(warningResult(`${definition.origin.description} (${definition.image}): ${message}`, originFields(definition.origin)));
  }

  get failed(): boolean {
    return hasErrors(this.results);
  }
}

/** Plans and runs the registry work for a set of sites, then computes new values. */
export interface ResolveOptions {
  /** Add each policy's funnel line to the results of its fields (`spec.explain`, for container runs). */
  explain?: boolean;
}

export async function resolveSites(
  sites: readonly PolicySite[],
  policies: ReadonlyMap<string, PolicyDefinition>,
  registry: RegistryPort,
  options: ResolveOptions = {},
): Promise<Resolution> {
  const findings = new Findings();
  const records = new Map<string, PolicyResolution>();
  for (const site of sites) {
    const key = policyKey(site.policy.namespace, site.policy.name);
    let record = records.get(key);
    if (!record) {
      const definition = policies.get(key);
      records.set(key, (record = { key, ...(definition ? { definition } : {}), sites: [] }));
    }
    record.sites.push(site);
    if (!record.definition) {
      record.error = 'not defined';
      findings.site(
        site,
        `${site.where.declaredBy} names ImagePolicy ${key}, which is not defined: add an ImagePolicy (and its ImageRepository) to the inputs, or an entry in the functionConfig spec.policies`,
      );
    }
  }
  const done = (updates: SiteUpdate[] = [], unchanged: PolicySite[] = []): Resolution => ({
    updates: findings.failed ? [] : updates,
    unchanged: findings.failed ? [] : unchanged,
    results: findings.results,
    policies: [...records.values()],
    sites: siteOutcomes(sites, findings.siteErrors, updates),
  });

  const prepared = preparePolicies(records, findings);
  if (findings.failed) return done();

  await forEachEntry(prepared, findings, (entry, own) => selectTag(entry, registry, own));
  if (findings.failed) return done();

  const updates: SiteUpdate[] = [];
  const unchanged: PolicySite[] = [];
  await forEachEntry(prepared, findings, (entry, own) => computeValues(entry, registry, own, updates, unchanged));
  if (findings.failed) return done();
  // Policies finish in the order their registries answer; results follow the input, so two runs
  // of the same package print the same results.
  const inputOrder = new Map(sites.map((site, index) => [site, index]));
  const byInputOrder = (a: PolicySite, b: PolicySite): number => (inputOrder.get(a) ?? 0) - (inputOrder.get(b) ?? 0);
  updates.sort((a, b) => byInputOrder(a.site, b.site));
  unchanged.sort(byInputOrder);

  const explained = (site: PolicySite, message: string): string => {
    if (!options.explain) return message;
    const record = records.get(policyKey(site.policy.namespace, site.policy.name));
    const line = record?.definition && funnelLine(record, record.definition.selection);
    return line ? `${message}: ${line}` : message;
  };
  for (const { site, value } of updates) {
    findings.results.push(
      infoResult(
        explained(site, `${site.current} → ${value} (ImagePolicy ${site.policy.namespace}/${site.policy.name})`),
        siteLocationOf(site, { currentValue: site.current, proposedValue: value }),
      ),
    );
  }
  // Asked to explain, a field already current says so too: that is a question users ask.
  if (options.explain) {
    for (const site of unchanged) {
      findings.results.push(
        infoResult(explained(site, `${site.current} is current (ImagePolicy ${site.policy.namespace}/${site.policy.name})`), siteLocationOf(site, { currentValue: site.current })),
      );
    }
  }
  return done(updates, unchanged);
}

/**
 * Runs one phase for every policy at once. Policies finish in the order their registries answer,
 * so each one's results are kept apart and added in the order of the policies (that of their
 * first field in the input): two runs of the same package print the same results.
 */
async function forEachEntry(prepared: readonly PreparedEntry[], findings: Findings, phase: (entry: PreparedEntry, own: Findings) => Promise<void>): Promise<void> {
  const own = prepared.map(() => new Findings(findings.siteErrors));
  await Promise.all(prepared.map((entry, index) => phase(entry, own[index]!)));
  for (const entryFindings of own) findings.results.push(...entryFindings.results);
}

/** Builds every used policy before any registry call, so a bad range or regex costs nothing. */
function preparePolicies(records: ReadonlyMap<string, PolicyResolution>, findings: Findings): PreparedEntry[] {
  const prepared: PreparedEntry[] = [];
  for (const record of records.values()) {
    const definition = record.definition;
    if (!definition) continue;
    try {
      prepared.push({ definition, policy: preparePolicy(definition.selection), repo: parseRepository(definition.image), record });
    } catch (error) {
      record.error = (error as Error).message;
      findings.policy(definition, record.sites, record.error);
    }
  }
  return prepared;
}

async function selectTag({ definition, policy, repo, record }: PreparedEntry, registry: RegistryPort, findings: Findings): Promise<void> {
  try {
    const tags = await registry.listTags(repo, { maxAgeMs: definition.tagListMaxAgeMs });
    record.listed = tags;
    const gates = definition.gates;
    if (definition.aliasOf) {
      const alias = await searchAlias({ definition, policy, repo, tags, registry, onNotice: (message) => findings.notice(definition, message) });
      record.funnel = alias.funnel;
      record.alias = alias.search;
      record.selected = { tag: alias.tag, digest: alias.digest };
      if (gates || definition.verify) {
        const pushed = alias.rollingPushedAt === undefined ? {} : { rollingPushedAt: alias.rollingPushedAt };
        record.gateChecks = await checkAliasImage(definition, repo, { tag: alias.tag, digest: alias.digest }, definition.aliasOf.tag, registry, pushed);
      }
    } else {
      const { tag, funnel } = policy.choose(tags);
      record.funnel = funnel;
      record.selected = { tag };
      if (gates || definition.verify) {
        const mutable = definition.digestReflectionPolicy === 'Always';
        const passing = await firstPassing(definition, repo, funnel.ranked, registry, { mutable });
        record.gateChecks = passing.checks;
        record.selected = { tag: passing.tag, digest: passing.digest };
        if (passing.tag !== tag) record.gatedFrom = tag;
      }
    }
  } catch (error) {
    if (error instanceof GateError) record.gateChecks = error.checks;
    const details = error as Error & { search?: PolicyResolution['alias']; funnel?: PolicyResolution['funnel'] };
    if (details.search) record.alias = details.search;
    if (details.funnel) record.funnel = details.funnel;
    record.error = error instanceof NothingSelectedError ? nothingSelectedMessage(error, record, definition) : details.message;
    findings.policy(definition, record.sites, record.error);
  }
}

/** Flux's words first, then the facts: how far each stage got, and the tags nearest to qualifying. */
function nothingSelectedMessage(error: NothingSelectedError, record: PolicyResolution, definition: PolicyDefinition): string {
  const line = funnelLine(record, definition.selection);
  const closest = closestTags(error.funnel, definition.selection);
  return `${error.message}: ${line}${closest ? `; ${closest.label}: ${closest.tags.join(', ')}` : ''}`;
}

async function computeValues(
  { definition, repo, record }: PreparedEntry,
  registry: RegistryPort,
  findings: Findings,
  updates: SiteUpdate[],
  unchanged: PolicySite[],
): Promise<void> {
  const selected = record.selected!;
  // `Always` means the user expects the tag may move under them; tell the cache.
  const lookup = async (): Promise<string> => {
    selected.digest ??= await registry.resolveDigest(repo, selected.tag, { mutable: definition.digestReflectionPolicy === 'Always' });
    return selected.digest;
  };
  for (const site of record.sites) {
    try {
      const kept = newerThanGated(site, record);
      if (kept !== undefined) {
        const text = `${site.where.declaredBy}: ImagePolicy ${record.key}: kept ${kept}, newer than ${selected.tag}, the best candidate that passes the gates (${gateReasonOf(record, record.gatedFrom)}); a gate never moves a field backwards`;
        findings.results.push(warningResult(text, siteLocationOf(site, { currentValue: site.current })));
        unchanged.push(site);
        continue;
      }
      const digest = await digestForSite(site, definition, selected.tag, lookup);
      if (site.suffix === 'digest' && !digest) {
        findings.site(site, `${site.where.declaredBy} asks for a digest, but ImagePolicy ${record.key} has digestReflectionPolicy Never`);
        continue;
      }
      const value = markerValue(site.suffix, { image: site.image ?? definition.image, tag: selected.tag, ...(digest ? { digest } : {}) });
      if (value === site.current) unchanged.push(site);
      else updates.push({ site, value });
    } catch (error) {
      findings.site(site, `ImagePolicy ${record.key}: ${(error as Error).message}`);
    }
  }
}

/** Why the gates passed over `tag`, from the checks kept. */
function gateReasonOf(record: PolicyResolution, tag: string | undefined): string {
  const check = record.gateChecks?.find((c) => c.tag === tag);
  return check?.reason ? `${tag} ${check.reason}` : `${tag} did not pass`;
}

/**
 * The field's current tag when the gates chose a candidate the policy ranks below it: pinning
 * would move the field backwards, so it keeps its value. Undefined otherwise.
 */
function newerThanGated(site: PolicySite, record: PolicyResolution): string | undefined {
  if (record.gatedFrom === undefined || !record.funnel || !record.selected) return undefined;
  if (site.suffix === 'name' || site.suffix === 'digest') return undefined;
  const current = site.suffix === 'tag' ? site.current : referenceIn(site.current)?.tag;
  if (current === undefined) return undefined;
  const ranked = record.funnel.ranked;
  const at = ranked.indexOf(current);
  return at !== -1 && at < ranked.indexOf(record.selected.tag) ? current : undefined;
}

async function digestForSite(
  site: PolicySite,
  definition: PolicyDefinition,
  tag: string,
  lookup: () => Promise<string>,
): Promise<string | undefined> {
  if (site.suffix === 'tag' || site.suffix === 'name') return undefined;
  if (definition.digestReflectionPolicy === 'Never') return undefined;
  if (definition.digestReflectionPolicy === 'IfNotPresent' && site.suffix === undefined) {
    const current = referenceIn(site.current);
    if (current?.tag === tag && current.repository.written === (site.image ?? definition.image) && current.digest) return current.digest;
  }
  return lookup();
}

/** The field's current `image:tag@digest`; a value that is no valid reference has no digest worth keeping. */
function referenceIn(value: string): ImageReference | undefined {
  try {
    return parseReference(value);
  } catch {
    return undefined;
  }
}

function siteOutcomes(
  sites: readonly PolicySite[],
  siteErrors: ReadonlyMap<PolicySite, string>,
  updates: readonly SiteUpdate[],
): SiteOutcome[] {
  const after = new Map(updates.map((update) => [update.site, update.value]));
  return sites.map((site) => {
    const policy = policyKey(site.policy.namespace, site.policy.name);
    const error = siteErrors.get(site);
    if (error !== undefined) return { site, policy, outcome: 'error', before: site.current, error };
    const value = siteErrors.size === 0 ? after.get(site) : undefined;
    if (value !== undefined) return { site, policy, outcome: 'pinned', before: site.current, after: value };
    return { site, policy, outcome: 'unchanged', before: site.current, after: site.current };
  });
}
