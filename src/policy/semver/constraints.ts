import { comparePrerelease, compareVersions, parseLenientVersion, type Version } from './version.js';

/**
 * Version ranges with Masterminds/semver v3.4 semantics (what Flux's `semver.range`
 * means), not npm's: `,` or whitespace is AND, `||` is OR, `a - b` is an inclusive
 * range, `x`/`X`/`*` are wildcards, partial versions widen to ranges, and a
 * prerelease version only matches when some constraint in the same AND group
 * names a prerelease.
 */

export class ConstraintSyntaxError extends Error {
  override name = 'ConstraintSyntaxError';
}

type Operator = '' | '=' | '!=' | '>' | '<' | '>=' | '=>' | '<=' | '=<' | '~' | '~>' | '^';

// Two-character operators first: an operator's characters never start a version,
// so the longest operator that fits is the only reading that can succeed.
const OPERATORS: readonly Operator[] = ['!=', '>=', '=>', '<=', '=<', '~>', '=', '>', '<', '~', '^', ''];

interface Atom {
  operator: Operator;
  /** The version text as written, e.g. `v1.2.x-rc.1`. */
  text: string;
  major: string;
  /** Including the leading dot, or empty. */
  minor: string;
  /** Including the leading dot, or empty. */
  patch: string;
  /** Including the leading dash, or empty. */
  prerelease: string;
}

interface Constraint {
  operator: Operator;
  bound: Version;
  /** Some part was a wildcard or missing (`1.x`, `1`). */
  dirty: boolean;
  /** The minor part (and so the patch) was a wildcard or missing. */
  minorDirty: boolean;
  /** Only the patch part was a wildcard or missing. */
  patchDirty: boolean;
}

// Go's `\s` in these expressions is ASCII whitespace without \v.
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';
}

// Wildcard segments share one character class in the grammar; it includes `|`,
// which is why `>1|2` passes the syntax check and only fails when built.
function isSegmentChar(c: string | undefined): boolean {
  return c !== undefined && ((c >= '0' && c <= '9') || c === 'x' || c === 'X' || c === '*' || c === '|');
}

function isIdentifierChar(c: string | undefined): boolean {
  return (
    c !== undefined && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '-')
  );
}

function skipSpaces(text: string, at: number): number {
  while (isSpace(text[at])) at++;
  return at;
}

function scanSegment(text: string, at: number): number {
  while (isSegmentChar(text[at])) at++;
  return at;
}

/** Dot-separated identifiers; returns `at` unchanged when there is not even one. */
function scanIdentifiers(text: string, at: number): number {
  if (!isIdentifierChar(text[at])) return at;
  let end = at;
  while (isIdentifierChar(text[end])) end++;
  while (text[end] === '.' && isIdentifierChar(text[end + 1])) {
    end++;
    while (isIdentifierChar(text[end])) end++;
  }
  return end;
}

interface ScannedVersion {
  end: number;
  major: string;
  minor: string;
  patch: string;
  prerelease: string;
}

/** The longest version-like text starting exactly at `at`, or undefined. */
function scanVersion(text: string, at: number): ScannedVersion | undefined {
  let position = text[at] === 'v' ? at + 1 : at;
  if (!isSegmentChar(text[position])) return undefined;
  const majorStart = position;
  position = scanSegment(text, position);
  const major = text.slice(majorStart, position);
  const optionalDotted = (): string => {
    if (text[position] !== '.' || !isSegmentChar(text[position + 1])) return '';
    const start = position;
    position = scanSegment(text, position + 1);
    return text.slice(start, position);
  };
  const minor = optionalDotted();
  const patch = minor === '' ? '' : optionalDotted();
  let prerelease = '';
  if (text[position] === '-') {
    const end = scanIdentifiers(text, position + 1);
    if (end > position + 1) {
      prerelease = text.slice(position, end);
      position = end;
    }
  }
  if (text[position] === '+') {
    const end = scanIdentifiers(text, position + 1);
    if (end > position + 1) position = end;
  }
  return { end: position, major, minor, patch, prerelease };
}

/** Operator, optional spaces, version, starting exactly at `at`. */
function scanAtom(text: string, at: number): { atom: Atom; end: number } | undefined {
  for (const operator of OPERATORS) {
    if (!text.startsWith(operator, at)) continue;
    const versionStart = skipSpaces(text, at + operator.length);
    const version = scanVersion(text, versionStart);
    if (!version) continue;
    const { end, major, minor, patch, prerelease } = version;
    return { atom: { operator, text: text.slice(versionStart, end), major, minor, patch, prerelease }, end };
  }
  return undefined;
}

/**
 * Splits one OR group into its AND-ed atoms. Atoms are separated by whitespace
 * or by a comma (with optional whitespace around it); anything else is a syntax
 * error for the whole group.
 */
function splitGroup(group: string): Atom[] | undefined {
  const atoms: Atom[] = [];
  let position = skipSpaces(group, 0);
  const first = scanAtom(group, position);
  if (!first) return undefined;
  atoms.push(first.atom);
  position = first.end;
  for (;;) {
    const afterSpaces = skipSpaces(group, position);
    if (afterSpaces === group.length) return atoms;
    let next = afterSpaces;
    if (group[next] === ',') next = skipSpaces(group, next + 1);
    else if (afterSpaces === position) return undefined;
    const scanned = scanAtom(group, next);
    if (!scanned) return undefined;
    atoms.push(scanned.atom);
    position = scanned.end;
  }
}

/**
 * Hyphen ranges `A - B` (spaces required around the dash) become `>= A, <= B `,
 * found left to right over the whole string before it is split on `||`. Each
 * rewrite replaces the first occurrence of the matched text, as Masterminds does.
 */
function rewriteHyphenRanges(range: string): string {
  const found: { matched: string; low: string; high: string }[] = [];
  let start = 0;
  while (start < range.length) {
    const match = matchHyphenRangeAt(range, start);
    if (match) {
      found.push({ matched: range.slice(start, match.end), low: match.low, high: match.high });
      start = match.end;
    } else {
      start++;
    }
  }
  let rewritten = range;
  for (const { matched, low, high } of found) rewritten = rewritten.replace(matched, () => `>= ${low}, <= ${high} `);
  return rewritten;
}

function matchHyphenRangeAt(text: string, at: number): { end: number; low: string; high: string } | undefined {
  const lowStart = skipSpaces(text, at);
  const low = scanVersion(text, lowStart);
  if (!low) return undefined;
  const dash = skipSpaces(text, low.end);
  if (dash === low.end || text[dash] !== '-') return undefined;
  const highStart = skipSpaces(text, dash + 1);
  if (highStart === dash + 1) return undefined;
  const high = scanVersion(text, highStart);
  if (!high) return undefined;
  return {
    end: skipSpaces(text, high.end),
    low: text.slice(lowStart, low.end),
    high: text.slice(highStart, high.end),
  };
}

function isWildcard(part: string): boolean {
  return part === 'x' || part === 'X' || part === '*';
}

function buildConstraint(atom: Atom): Constraint {
  const minorPart = atom.minor.slice(1);
  const patchPart = atom.patch.slice(1);
  let boundText = atom.text;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  // Build metadata is dropped whenever a wildcard or missing part is filled in.
  if (isWildcard(atom.major)) {
    boundText = `0.0.0${atom.prerelease}`;
    dirty = true;
  } else if (atom.minor === '' || isWildcard(minorPart)) {
    boundText = `${atom.major}.0.0${atom.prerelease}`;
    dirty = minorDirty = true;
  } else if (atom.patch === '' || isWildcard(patchPart)) {
    boundText = `${atom.major}${atom.minor}.0${atom.prerelease}`;
    dirty = patchDirty = true;
  }
  const bound = parseLenientVersion(boundText);
  // The grammar lets through digits mixed with wildcards (`1x`), `|`, and numbers
  // beyond 64 bits; Masterminds reports all of them with this one message.
  if (!bound) throw new ConstraintSyntaxError('constraint parser error');
  return { operator: atom.operator, bound, dirty, minorDirty, patchDirty };
}

function satisfiesTilde(v: Version, c: Constraint): boolean {
  if (compareVersions(v, c.bound) < 0) return false;
  const { bound } = c;
  if (bound.major === 0n && bound.minor === 0n && bound.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== bound.major) return false;
  return v.minor === bound.minor || c.minorDirty;
}

function satisfiesCaret(v: Version, c: Constraint): boolean {
  const { bound } = c;
  if (compareVersions(v, bound) < 0) return false;
  if (bound.major > 0n || c.minorDirty) return v.major === bound.major;
  if (v.major > 0n) return false;
  if (bound.minor > 0n || c.patchDirty) return v.minor === bound.minor;
  if (v.minor > 0n) return false;
  return v.patch === bound.patch;
}

function satisfiesNotEqual(v: Version, c: Constraint): boolean {
  const { bound } = c;
  if (c.dirty) {
    if (bound.major !== v.major) return true;
    if (bound.minor !== v.minor && !c.minorDirty) return true;
    if (c.minorDirty) return false;
    if (bound.patch !== v.patch && !c.patchDirty) return true;
    if (c.patchDirty) {
      if (v.prerelease !== '' || bound.prerelease !== '') return comparePrerelease(v.prerelease, bound.prerelease) !== 0;
      return false;
    }
  }
  return compareVersions(v, bound) !== 0;
}

function satisfiesGreaterThan(v: Version, c: Constraint): boolean {
  const { bound } = c;
  if (c.dirty) {
    if (v.major > bound.major) return true;
    if (v.major < bound.major) return false;
    if (c.minorDirty) return false;
    if (c.patchDirty) return v.minor > bound.minor;
  }
  return compareVersions(v, bound) > 0;
}

function satisfiesLessOrEqual(v: Version, c: Constraint): boolean {
  const { bound } = c;
  if (!c.dirty) return compareVersions(v, bound) <= 0;
  if (v.major > bound.major) return false;
  return !(v.major === bound.major && v.minor > bound.minor && !c.minorDirty);
}

function satisfies(v: Version, c: Constraint, prereleasesAllowed: boolean): boolean {
  if (v.prerelease !== '' && !prereleasesAllowed) return false;
  switch (c.operator) {
    case '':
    case '=':
      return c.dirty ? satisfiesTilde(v, c) : compareVersions(v, c.bound) === 0;
    case '!=':
      return satisfiesNotEqual(v, c);
    case '>':
      return satisfiesGreaterThan(v, c);
    case '<':
      return compareVersions(v, c.bound) < 0;
    case '>=':
    case '=>':
      return compareVersions(v, c.bound) >= 0;
    case '<=':
    case '=<':
      return satisfiesLessOrEqual(v, c);
    case '~':
    case '~>':
      return satisfiesTilde(v, c);
    case '^':
      return satisfiesCaret(v, c);
  }
}

export interface Constraints {
  /** The range as the user wrote it. */
  readonly range: string;
  check(version: Version): boolean;
}

/**
 * Parses a range; throws `ConstraintSyntaxError` with Masterminds' wording
 * (`improper constraint: <group>` or `constraint parser error`).
 */
export function parseConstraints(range: string): Constraints {
  const groups = rewriteHyphenRanges(range)
    .split('||')
    .map((group) => {
      const atoms = splitGroup(group);
      if (!atoms) throw new ConstraintSyntaxError(`improper constraint: ${group}`);
      const constraints = atoms.map(buildConstraint);
      return { constraints, prereleasesAllowed: constraints.some((c) => c.bound.prerelease !== '') };
    });
  return {
    range,
    check(version: Version): boolean {
      return groups.some(({ constraints, prereleasesAllowed }) =>
        constraints.every((c) => satisfies(version, c, prereleasesAllowed)),
      );
    },
  };
}
