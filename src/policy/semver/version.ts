/**
 * Versions as Masterminds/semver v3.4 parses them with `NewVersion` in its default
 * coercing mode, plus the extra rule of fluxcd/pkg `version.ParseVersion`.
 *
 * Segments are unsigned 64-bit integers in Go, so they are kept as bigint: a tag
 * such as `20250101123456789012.0.0` must compare exactly, and one above 2^64-1
 * must be rejected, as Go's ParseUint does.
 */
export interface Version {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  /** Without the leading `-`; empty when absent. */
  readonly prerelease: string;
  /** Without the leading `+`; empty when absent. Never affects ordering. */
  readonly metadata: string;
  /** The string as given, which is what a policy returns. */
  readonly original: string;
}

const UINT64_MAX = (1n << 64n) - 1n;

// Lenient shape: optional lowercase v, one to three numeric parts (leading zeros
// allowed), then optional prerelease and build identifiers. Anchored at both ends;
// JavaScript's `$` without the m flag, like Go's, matches only at the very end.
const LENIENT_VERSION =
  /^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

const DIGITS = /^[0-9]+$/;

function parseUint64(digits: string): bigint | undefined {
  const value = BigInt(digits);
  return value <= UINT64_MAX ? value : undefined;
}

/** Numeric prerelease identifiers may not carry leading zeros, even in lenient mode. */
function prereleaseIsValid(prerelease: string): boolean {
  return prerelease.split('.').every((part) => !(DIGITS.test(part) && part.length > 1 && part.startsWith('0')));
}

/**
 * Masterminds `NewVersion` (coercing): `1`, `1.2`, `v1.2.3`, `01.02.03` are all
 * accepted; missing parts are zero.
 */
export function parseLenientVersion(text: string): Version | undefined {
  const match = LENIENT_VERSION.exec(text);
  if (!match) return undefined;
  const [, majorText, minorText, patchText, prerelease = '', metadata = ''] = match;
  const major = parseUint64(majorText!);
  const minor = minorText === undefined ? 0n : parseUint64(minorText);
  const patch = patchText === undefined ? 0n : parseUint64(patchText);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  if (prerelease !== '' && !prereleaseIsValid(prerelease)) return undefined;
  return { major, minor, patch, prerelease, metadata, original: text };
}

/**
 * How Flux reads a tag as a version (fluxcd/pkg `version.ParseVersion`): the tag
 * must split into three parts on its first two dots, then parse leniently. So
 * `1.2` is not a version, but `1.2-rc.1` is (1.2.0-rc.1), because its third dot
 * sits inside the prerelease.
 */
export function parseTagVersion(tag: string): Version | undefined {
  const firstDot = tag.indexOf('.');
  if (firstDot < 0 || tag.indexOf('.', firstDot + 1) < 0) return undefined;
  return parseLenientVersion(tag);
}

function compareBigints(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseNumericIdentifier(part: string): bigint | undefined {
  return DIGITS.test(part) ? parseUint64(part) : undefined;
}

/**
 * One prerelease identifier against another. A missing identifier sorts first;
 * numbers (that fit in 64 bits) sort before words and compare numerically;
 * words compare bytewise, so `rc9` > `rc10`.
 */
function compareIdentifier(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  const aNumber = parseNumericIdentifier(a);
  const bNumber = parseNumericIdentifier(b);
  if (aNumber === undefined && bNumber === undefined) return a > b ? 1 : -1;
  if (aNumber === undefined) return 1;
  if (bNumber === undefined) return -1;
  return aNumber > bNumber ? 1 : -1;
}

export function comparePrerelease(a: string, b: string): number {
  const aParts = a.split('.');
  const bParts = b.split('.');
  const length = Math.max(aParts.length, bParts.length);
  for (let i = 0; i < length; i++) {
    const order = compareIdentifier(aParts[i] ?? '', bParts[i] ?? '');
    if (order !== 0) return order;
  }
  return 0;
}

/** Precedence order; build metadata and the `v` prefix are ignored. */
export function compareVersions(a: Version, b: Version): number {
  const byCore =
    compareBigints(a.major, b.major) || compareBigints(a.minor, b.minor) || compareBigints(a.patch, b.patch);
  if (byCore !== 0) return byCore;
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === '') return 1;
  if (b.prerelease === '') return -1;
  return comparePrerelease(a.prerelease, b.prerelease);
}
