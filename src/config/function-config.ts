import type { PolicyChoice, TagFilterSpec } from '../policy/policer.js';
import { FUNCTION_CONFIG_API_VERSION, FUNCTION_CONFIG_KIND, functionConfigSchema } from './schema.js';
import { validateAgainst } from '../validation/schema-messages.js';
import { parseGoDuration } from './duration.js';

export type DigestReflectionPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** Flux OCIRepository `spec.verify`'s shape, with `trustedRoot` for keyless checks offline. */
export interface VerifySettings {
  provider?: 'cosign';
  publicKeys?: string[];
  secretRef?: { name: string };
  matchOIDCIdentity?: { issuer: string; subject: string }[];
  trustedRoot?: string;
}

export interface InlinePolicy {
  name: string;
  namespace?: string;
  image?: string;
  imageRepositoryRef?: { name: string; namespace?: string };
  policy?: PolicyChoice;
  filterTags?: TagFilterSpec;
  exclusionList?: string[];
  digestReflectionPolicy?: DigestReflectionPolicy;
  interval?: string;
  aliasOf?: { tag: string };
  platforms?: string[];
  minReleaseAge?: string;
  unknownReleaseAge?: 'allow' | 'deny';
  verify?: VerifySettings;
}

export interface ImageRule {
  name: string;
  policy: string;
}

export interface FieldSpec {
  kind?: string;
  apiVersion?: string;
  path: string;
}

export interface RegistrySettings {
  host: string;
  insecure?: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  concurrency?: number;
  /** A Go duration (`spec.registries[].timeout`). */
  timeout?: string;
  /** `host[/path]` of mirrors asked first, in order. */
  mirrors?: string[];
}

export interface FunctionConfig {
  digestReflectionPolicy: DigestReflectionPolicy;
  policies: InlinePolicy[];
  images: ImageRule[];
  fieldSpecs: FieldSpec[];
  registries: RegistrySettings[];
  requestBudget?: number;
  cache: { dir?: string; offline?: boolean; disabled?: boolean };
  /** Each field's result message carries its policy's funnel line: container runs cannot pass `--explain`. */
  explain?: boolean;
  /** The run's time limit as written (a Go duration); {@link runTimeLimitMs} reads it. */
  timeout?: string;
  /** Gates for every policy, Flux ImagePolicy objects included; an inline policy's own value wins. */
  platforms?: string[];
  minReleaseAge?: string;
  unknownReleaseAge?: 'allow' | 'deny';
  verify?: VerifySettings;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length > 0 ? `${message}:\n  ${problems.join('\n  ')}` : message);
  }
}

const DEFAULT_CONFIG: FunctionConfig = Object.freeze({
  digestReflectionPolicy: 'Always',
  policies: [],
  images: [],
  fieldSpecs: [],
  registries: [],
  cache: {},
}) as FunctionConfig;

/** ConfigMap `data` keys a user can pass with `kpt fn eval … -- key=value`. */
const CONFIG_MAP_KEYS = ['digestReflectionPolicy', 'offline', 'requestBudget', 'explain', 'timeout'] as const;

/**
 * Accepts what orchestrators send: nothing (`kpt fn render` without config), the
 * empty ConfigMap `kpt fn eval` sends by default, a ConfigMap with `-- key=value`
 * data, or our own `ApplyImagePolicies` object.
 */
export function loadFunctionConfig(raw: unknown, source = 'functionConfig'): FunctionConfig {
  if (raw === undefined || raw === null) return structuredClone(DEFAULT_CONFIG);
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${source} must be an object, got ${Array.isArray(raw) ? 'a list' : typeof raw}`);
  }
  const object = raw as Record<string, unknown>;
  if (object.kind === 'ConfigMap' && object.apiVersion === 'v1') return fromConfigMap(object, source);
  if (object.kind !== FUNCTION_CONFIG_KIND || object.apiVersion !== FUNCTION_CONFIG_API_VERSION) {
    throw new ConfigError(
      `${source} is ${String(object.apiVersion)}/${String(object.kind)}; expected apiVersion ${FUNCTION_CONFIG_API_VERSION}, kind ${FUNCTION_CONFIG_KIND} (or a ConfigMap)`,
    );
  }
  const problems = validateAgainst(functionConfigSchema, object, '', (list, entry) =>
    list === '/spec/policies' ? inlinePolicyLabel(entry) : undefined,
  );
  if (problems.length > 0) throw new ConfigError(`invalid ${source}`, problems);
  const spec = (object.spec ?? {}) as Partial<FunctionConfig>;
  const badTimeouts = (spec.registries ?? []).flatMap((entry, index) =>
    // undici reads a zero timeout as "wait forever": the opposite of what a user writing 0 wants.
    entry.timeout !== undefined && parseGoDuration(entry.timeout) < 1 ? [`spec.registries[${index}].timeout (${entry.host}): '${entry.timeout}' is shorter than 1ms`] : [],
  );
  if (spec.timeout !== undefined && parseGoDuration(spec.timeout) < 1) badTimeouts.push(`spec.timeout: '${spec.timeout}' is shorter than 1ms`);
  if (badTimeouts.length > 0) throw new ConfigError(`invalid ${source}`, badTimeouts);
  return {
    digestReflectionPolicy: spec.digestReflectionPolicy ?? 'Always',
    policies: spec.policies ?? [],
    images: spec.images ?? [],
    fieldSpecs: spec.fieldSpecs ?? [],
    registries: spec.registries ?? [],
    ...(spec.requestBudget !== undefined ? { requestBudget: spec.requestBudget } : {}),
    cache: spec.cache ?? {},
    ...(spec.explain !== undefined ? { explain: spec.explain } : {}),
    ...(spec.timeout !== undefined ? { timeout: spec.timeout } : {}),
    ...(spec.platforms !== undefined ? { platforms: spec.platforms } : {}),
    ...(spec.minReleaseAge !== undefined ? { minReleaseAge: spec.minReleaseAge } : {}),
    ...(spec.unknownReleaseAge !== undefined ? { unknownReleaseAge: spec.unknownReleaseAge } : {}),
    ...(spec.verify !== undefined ? { verify: spec.verify } : {}),
  };
}

/**
 * How a schema error names a `spec.policies` entry after its index: the entry as written,
 * `web`, or `team/web` when it sets a namespace (the `namespace/name` form `origin.description`
 * uses). Undefined when the entry has no usable name (missing, not a string, blank, or with
 * control characters such as a line break): the index alone is clearer than a broken name.
 */
export function inlinePolicyLabel(entry: unknown): string | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
  const { name, namespace } = entry as Record<string, unknown>;
  const usable = (text: unknown): text is string => typeof text === 'string' && text.trim() !== '' && !/[\u0000-\u001f]/.test(text);
  if (!usable(name)) return undefined;
  return usable(namespace) ? `${namespace}/${name}` : name;
}

function fromConfigMap(object: Record<string, unknown>, source: string): FunctionConfig {
  const data = (object.data ?? {}) as Record<string, unknown>;
  const config = structuredClone(DEFAULT_CONFIG);
  for (const [key, value] of Object.entries(data)) {
    const text = String(value);
    switch (key as (typeof CONFIG_MAP_KEYS)[number]) {
      case 'digestReflectionPolicy':
        if (text !== 'Always' && text !== 'IfNotPresent' && text !== 'Never') {
          throw new ConfigError(`${source} data.digestReflectionPolicy: must be one of "Always", "IfNotPresent", "Never"`);
        }
        config.digestReflectionPolicy = text;
        break;
      case 'offline':
        config.cache.offline = text === 'true';
        break;
      case 'explain':
        config.explain = text === 'true';
        break;
      case 'timeout':
        if (!isTimeLimit(text)) throw new ConfigError(`${source} data.timeout: must be a Go duration of at least 1ms, such as 30s or 2m`);
        config.timeout = text;
        break;
      case 'requestBudget': {
        const budget = Number(text);
        if (!Number.isInteger(budget) || budget < 1) throw new ConfigError(`${source} data.requestBudget: must be a positive integer`);
        config.requestBudget = budget;
        break;
      }
      default:
        throw new ConfigError(
          `${source} data: unknown key '${key}' (known: ${CONFIG_MAP_KEYS.join(', ')}; use an ApplyImagePolicies object for policies)`,
        );
    }
  }
  return config;
}

/** Flux's timeout for one scan of an ImageRepository: a run that takes longer is stuck, not slow. */
export const DEFAULT_RUN_TIME_LIMIT = '60s';

function isTimeLimit(text: string): boolean {
  try {
    return parseGoDuration(text) >= 1;
  } catch {
    return false;
  }
}

/**
 * The run's time limit in ms: `--timeout` (file mode, or args to the exec), else the functionConfig's
 * `spec.timeout`, else {@link DEFAULT_RUN_TIME_LIMIT}. Throws a ConfigError naming the flag for a bad one.
 */
export function runTimeLimitMs(config: Pick<FunctionConfig, 'timeout'>, flag?: string): number {
  if (flag !== undefined && !isTimeLimit(flag)) throw new ConfigError(`--timeout ${flag}: must be a Go duration of at least 1ms, such as 30s or 2m`);
  return parseGoDuration(flag ?? config.timeout ?? DEFAULT_RUN_TIME_LIMIT);
}
