/**
 * Gates: checks a candidate must pass after Flux's selection order, before it may be pinned
 * (required platforms, a minimum release age). Pure: the facts about the image come in, a
 * verdict with a reason goes out, so the rules can be tested as tables.
 */

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** What the registry says about one candidate image; the registry's ImageFacts has this shape. */
export interface CandidateImage {
  kind: 'index' | 'image';
  platforms: readonly Platform[];
  createdAnnotation?: string;
  configCreated?: string;
}

export interface GateSpec {
  /** `os/arch[/variant]` as written, parsed. */
  platforms?: readonly Platform[];
  /** The minimum age, as written (`72h`, `3d`) and in ms. */
  minReleaseAge?: { written: string; ms: number };
  /** Whether an image whose release time is unknown passes the age gate. Default `deny`. */
  unknownReleaseAge?: 'allow' | 'deny';
}

export type GateName = 'platforms' | 'minReleaseAge';

export interface GateVerdict {
  gate: GateName;
  pass: boolean;
  /** Why, in a few words after the tag: `lacks linux/s390x (has linux/amd64, linux/arm64)`. */
  reason: string;
}

const PLATFORM = /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9]+))?$/;

/** `linux/arm/v7` → `{os: 'linux', architecture: 'arm', variant: 'v7'}`; undefined when malformed. */
export function parsePlatform(text: string): Platform | undefined {
  const match = PLATFORM.exec(text.trim());
  if (!match) return undefined;
  const [, os, architecture, variant] = match as unknown as [string, string, string, string | undefined];
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function platformText(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

// containerd's normalisation: arm64 without a variant is v8, arm without one is v7.
const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };

/** A requested platform without a variant accepts any; with one, the same (after normalisation). */
function satisfies(offered: Platform, wanted: Platform): boolean {
  if (offered.os !== wanted.os || offered.architecture !== wanted.architecture) return false;
  if (wanted.variant === undefined) return true;
  const normal = (p: Platform) => p.variant ?? DEFAULT_VARIANT[p.architecture];
  return normal(offered) === normal(wanted);
}

export function platformVerdict(wanted: readonly Platform[], image: CandidateImage): GateVerdict {
  const has = image.platforms.map(platformText).join(', ') || 'no platform';
  const missing = wanted.filter((w) => !image.platforms.some((offered) => satisfies(offered, w)));
  if (image.kind === 'image' && wanted.length > 1) {
    return { gate: 'platforms', pass: false, reason: `is a single-platform image (${has}), not an index of ${wanted.map(platformText).join(', ')}` };
  }
  if (missing.length > 0) return { gate: 'platforms', pass: false, reason: `lacks ${missing.map(platformText).join(', ')} (has ${has})` };
  return { gate: 'platforms', pass: true, reason: `has ${wanted.map(platformText).join(', ')}` };
}

/** ko and reproducible builds write the zero time or 1970; anything before this says nothing. */
const EARLIEST_MEANINGFUL = Date.UTC(1980, 0, 1);

export interface ReleaseTime {
  at: number;
  /** Where it came from, for the reason: `pushed` (a registry listing), `created` (annotation or config). */
  source: 'pushed' | 'created';
}

/** A time that says something: parsable, not before 1980, not in the future. */
function meaningful(text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) || at < EARLIEST_MEANINGFUL || at > now ? undefined : at;
}

/**
 * The release time, in order: the registry's push time (from a vendor listing), the
 * `org.opencontainers.image.created` annotation, the image config's `created`. Each source that
 * is absent or not meaningful gives way to the next.
 */
export function releaseTime(image: CandidateImage, pushedAt: number | undefined, now: number): ReleaseTime | undefined {
  if (pushedAt !== undefined && pushedAt >= EARLIEST_MEANINGFUL && pushedAt <= now) return { at: pushedAt, source: 'pushed' };
  const annotated = meaningful(image.createdAnnotation, now);
  if (annotated !== undefined) return { at: annotated, source: 'created' };
  const configured = meaningful(image.configCreated, now);
  return configured === undefined ? undefined : { at: configured, source: 'created' };
}

export function releaseAgeVerdict(spec: NonNullable<GateSpec['minReleaseAge']>, unknown: GateSpec['unknownReleaseAge'], time: ReleaseTime | undefined, now: number): GateVerdict {
  if (time === undefined) {
    return unknown === 'allow'
      ? { gate: 'minReleaseAge', pass: true, reason: 'has no known release time (unknownReleaseAge: allow)' }
      : { gate: 'minReleaseAge', pass: false, reason: `has no known release time (minReleaseAge ${spec.written}; unknownReleaseAge: allow would let it pass)` };
  }
  const age = now - time.at;
  const when = `was ${time.source} ${ageText(age)} ago`;
  return age >= spec.ms
    ? { gate: 'minReleaseAge', pass: true, reason: `${when} (minReleaseAge ${spec.written})` }
    : { gate: 'minReleaseAge', pass: false, reason: `${when} (minReleaseAge ${spec.written})` };
}

/** `45m`, `5h`, `3d`: the largest whole unit, as people say an age. */
export function ageText(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${Math.max(0, minutes)}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
