import type { PolicyDefinition } from '../config/policy-definitions.js';
import { originFields, policyKey } from '../config/policy-definitions.js';
import { hasErrors, type KrmResult } from '../krm/results.js';
import { markerValue } from '../markers/write.js';
import { preparePolicy, type PreparedPolicy } from '../policy/select.js';
import { parseReference, parseRepository, type ImageReference } from '../registry/name.js';
import type { ImageRepository } from '../registry/types.js';
import { resolveAlias } from './alias.js';
import { siteResult, type PolicySite } from './sites.js';

/**
 * What the resolver needs from the registry. Hints let a caching client decide how
 * fresh an answer must be: a tag list may be reused within the policy's interval,
 * a mutable tag (tracked `latest`, `Always` digests) must be asked again.
 */
export interface ResolverRegistry {
  listTags(repo: ImageRepository, hints?: { maxAgeMs?: number }): Promise<string[]>;
  resolveDigest(repo: ImageRepository, tag: string, hints?: { mutable?: boolean }): Promise<string>;
}

export interface SiteUpdate {
  site: PolicySite;
  value: string;
}

export interface Resolution {
  /** New value for every site whose value changes; empty when any error occurred. */
  updates: SiteUpdate[];
  unchanged: PolicySite[];
  results: KrmResult[];
}

interface PolicyOutcome {
  tag: string;
  /** Filled lazily: only sites that write a digest need one. */
  digest?: string;
}

/** Plans and runs the registry work for a set of sites, then computes new values. */
export async function resolveSites(
  sites: readonly PolicySite[],
  policies: ReadonlyMap<string, PolicyDefinition>,
  registry: ResolverRegistry,
): Promise<Resolution> {
  const results: KrmResult[] = [];
  const byPolicy = new Map<string, PolicySite[]>();
  for (const site of sites) {
    const key = policyKey(site.policy.namespace, site.policy.name);
    if (!policies.has(key)) {
      results.push(
        siteResult(
          site,
          'error',
          `${site.where.declaredBy} names ImagePolicy ${key}, which is not defined: add an ImagePolicy (and its ImageRepository) to the inputs, or an entry in the functionConfig spec.policies`,
        ),
      );
      continue;
    }
    const group = byPolicy.get(key);
    if (group) group.push(site);
    else byPolicy.set(key, [site]);
  }

  // Build every used policy before any registry call, so a bad range or regex costs nothing.
  const prepared = new Map<string, { definition: PolicyDefinition; policy: PreparedPolicy; repo: ImageRepository }>();
  for (const key of byPolicy.keys()) {
    const definition = policies.get(key) as PolicyDefinition;
    try {
      prepared.set(key, { definition, policy: preparePolicy(definition.selection), repo: parseRepository(definition.image) });
    } catch (error) {
      results.push(...policyErrors(definition, byPolicy.get(key) ?? [], (error as Error).message));
    }
  }
  if (hasErrors(results)) return { updates: [], unchanged: [], results };

  const outcomes = new Map<string, PolicyOutcome>();
  await Promise.all(
    [...prepared].map(async ([key, { definition, policy, repo }]) => {
      try {
        const tags = await registry.listTags(repo, { maxAgeMs: definition.tagListMaxAgeMs });
        if (definition.aliasOf) {
          const alias = await resolveAlias({
            definition,
            policy,
            repo,
            tags,
            registry,
            onNotice: (message) => results.push(policyNotice(definition, message)),
          });
          outcomes.set(key, alias);
        } else {
          outcomes.set(key, { tag: policy.select(tags) });
        }
      } catch (error) {
        results.push(...policyErrors(definition, byPolicy.get(key) ?? [], (error as Error).message));
      }
    }),
  );
  if (hasErrors(results)) return { updates: [], unchanged: [], results };

  const digestRequests = new Map<string, Promise<string>>();
  const digestFor = (key: string): Promise<string> => {
    const outcome = outcomes.get(key) as PolicyOutcome;
    if (outcome.digest) return Promise.resolve(outcome.digest);
    let pending = digestRequests.get(key);
    if (!pending) {
      const { definition, repo } = prepared.get(key)!;
      // `Always` means the user expects the tag may move under them; tell the cache.
      pending = registry.resolveDigest(repo, outcome.tag, { mutable: definition.digestReflectionPolicy === 'Always' });
      digestRequests.set(key, pending);
    }
    return pending;
  };

  const updates: SiteUpdate[] = [];
  const unchanged: PolicySite[] = [];
  await Promise.all(
    [...byPolicy].map(async ([key, policySites]) => {
      const { definition } = prepared.get(key)!;
      const outcome = outcomes.get(key) as PolicyOutcome;
      for (const site of policySites) {
        try {
          const digest = await digestForSite(site, definition, outcome, () => digestFor(key));
          if (site.suffix === 'digest' && !digest) {
            results.push(
              siteResult(
                site,
                'error',
                `${site.where.declaredBy} asks for a digest, but ImagePolicy ${key} has digestReflectionPolicy Never`,
              ),
            );
            continue;
          }
          const value = markerValue(site.suffix, { image: site.image ?? definition.image, tag: outcome.tag, ...(digest ? { digest } : {}) });
          if (value === site.current) unchanged.push(site);
          else updates.push({ site, value });
        } catch (error) {
          results.push(siteResult(site, 'error', `ImagePolicy ${key}: ${(error as Error).message}`));
        }
      }
    }),
  );
  if (hasErrors(results)) return { updates: [], unchanged: [], results };

  for (const { site, value } of updates) {
    results.push(
      siteResult(site, 'info', `${site.current} → ${value} (ImagePolicy ${site.policy.namespace}/${site.policy.name})`, {
        field: { path: site.where.fieldPath, currentValue: site.current, proposedValue: value },
      }),
    );
  }
  return { updates, unchanged, results };
}

async function digestForSite(
  site: PolicySite,
  definition: PolicyDefinition,
  outcome: PolicyOutcome,
  lookup: () => Promise<string>,
): Promise<string | undefined> {
  if (site.suffix === 'tag' || site.suffix === 'name') return undefined;
  if (definition.digestReflectionPolicy === 'Never') return undefined;
  if (definition.digestReflectionPolicy === 'IfNotPresent' && site.suffix === undefined) {
    const current = referenceIn(site.current);
    if (current?.tag === outcome.tag && current.repository.written === (site.image ?? definition.image) && current.digest) return current.digest;
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

/** Something the user should know that does not stop the run, e.g. a vendor API fell back to HEADs. */
function policyNotice(definition: PolicyDefinition, message: string): KrmResult {
  return { severity: 'warning', message: `${definition.origin.description} (${definition.image}): ${message}`, ...originFields(definition.origin) };
}

/** One result per affected field, each naming the field and the policy, so no marker's failure is hidden. */
function policyErrors(definition: PolicyDefinition, sites: readonly PolicySite[], message: string): KrmResult[] {
  const text = `${definition.origin.description} (${definition.image}): ${message}`;
  if (sites.length === 0) return [{ severity: 'error', message: text, ...originFields(definition.origin) }];
  return sites.map((site) => siteResult(site, 'error', `${site.where.declaredBy}: ${text}`));
}
