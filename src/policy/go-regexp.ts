import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

/**
 * Go `regexp` behaviour on top of re2js (a port of the same RE2 engine): RE2
 * syntax including `(?P<name>…)`, leftmost-first matching, Go's error texts.
 */
export interface GoRegexp {
  readonly source: string;
  /** Unanchored search, like Go's `MatchString`. */
  test(input: string): boolean;
  /**
   * Submatch offsets of the leftmost match, as Go's `FindStringSubmatchIndex`:
   * pairs of [start, end] per group, -1 for groups that did not take part.
   */
  findSubmatchIndex(input: string): number[] | undefined;
  /** Go's `Regexp.Expand` for one match. */
  expand(template: string, input: string, match: readonly number[]): string;
}

export class GoRegexpSyntaxError extends Error {
  override name = 'GoRegexpSyntaxError';
}

/*
 * Compiled patterns by source. Every ImagePolicy of a package compiles its ImageRepository's
 * exclusion list (mostly Flux's default) and its filterTags pattern, and compiling with re2js
 * costs ~0.5 ms a pattern: a package of 50 policies spent ~80 ms compiling the same three
 * patterns 50 times. A compiled RE2JS is immutable (each match makes its own matcher), so one
 * serves every caller. Patterns that fail are not kept: they fail again, with the same words.
 */
const compiledBySource = new Map<string, GoRegexp>();

export function compileGoRegexp(source: string): GoRegexp {
  let regexp = compiledBySource.get(source);
  if (!regexp) compiledBySource.set(source, (regexp = compileUncached(source)));
  return regexp;
}

/*
 * re2js is loaded on the first pattern it compiles, not with this module. Loading it costs a
 * one-marker run ~10 ms (293 KiB of code, and it decodes its Unicode tables when it loads), and a
 * run without a filterTags pattern, verify identity or exclusionList of its own compiles nothing
 * with it (see JS_EQUIVALENTS). In the built CLI, `require('re2js')` is the launcher's, which runs
 * dist/re2js.cjs from its code cache; the ES module (vitest, the tsc output) has no `require` and
 * makes one.
 */
type Re2js = typeof import('re2js');
let re2js: Re2js | undefined;
function loadRe2js(): Re2js {
  return (re2js ??= (typeof require === 'function' ? require('re2js') : createRequire(import.meta.url)('re2js')) as Re2js);
}

/*
 * Patterns whose `test` a JavaScript RegExp answers exactly as RE2 does, so that compiling them
 * needs no re2js: Flux's default exclusion list (src/policy/filter.ts), which every ImagePolicy of
 * an ImageRepository without an exclusionList compiles and only ever asks `test`. Why each pair
 * agrees, for every JavaScript string (re2js reads one code point at a time, a lone surrogate as
 * itself): without flags RE2's `^` and `$` are the start and end of the text (Go's `$` never
 * matches before a final newline, and neither does JavaScript's without the `m` flag), and RE2's
 * `.` is any code point but `\n`: a run of them is a run of code units other than `\n`, which is
 * what `[^\n]` repeated matches (lone surrogates included; JavaScript's own `.` would also stop
 * at `\r`, U+2028 and U+2029). Both patterns are anchored at the start, so the unanchored search is the anchored one.
 * test/policy/go-regexp.test.ts holds each pair to re2js over random strings. Any other question
 * (submatches, expand) of these patterns still goes to re2js.
 */
const JS_EQUIVALENTS: ReadonlyMap<string, RegExp> = new Map([
  ['^.*\\.sig$', /^[^\n]*\.sig$/],
  ['^sha256-[0-9a-f]{64}(\\..+)?$', /^sha256-[0-9a-f]{64}(?:\.[^\n]+)?$/],
]);

/** The sources {@link compileGoRegexp} answers `test` for without re2js; for the tests. */
export const JS_EQUIVALENT_SOURCES: readonly string[] = [...JS_EQUIVALENTS.keys()];

function compileUncached(source: string): GoRegexp {
  const equivalent = JS_EQUIVALENTS.get(source);
  if (!equivalent) return compileWithRe2js(source);
  let full: GoRegexp | undefined;
  const withRe2js = () => (full ??= compileWithRe2js(source));
  return {
    source,
    test: (input) => equivalent.test(input),
    findSubmatchIndex: (input) => withRe2js().findSubmatchIndex(input),
    expand: (template, input, match) => withRe2js().expand(template, input, match),
  };
}

/** A pattern compiled by re2js, never by a JavaScript equivalent: what the tests compare those with. */
export function compileWithRe2js(source: string): GoRegexp {
  const { RE2JS: Re2, RE2JSSyntaxException } = loadRe2js();
  let compiled: RE2JS;
  try {
    compiled = Re2.compile(source);
  } catch (error) {
    if (error instanceof RE2JSSyntaxException) throw new GoRegexpSyntaxError(error.message);
    throw error;
  }
  const groupCount = compiled.groupCount();
  const groupNames: string[] = new Array<string>(groupCount + 1).fill('');
  for (const [name, index] of Object.entries(compiled.namedGroups())) groupNames[index] = name;

  return {
    source,
    test: (input) => compiled.matcher(input).find(),
    findSubmatchIndex(input) {
      const matcher = compiled.matcher(input);
      if (!matcher.find()) return undefined;
      const offsets: number[] = [];
      for (let group = 0; group <= groupCount; group++) offsets.push(matcher.start(group), matcher.end(group));
      return offsets;
    },
    expand: (template, input, match) => expandTemplate(template, input, match, groupNames),
  };
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/**
 * Reads a `$` reference body: `name`, `{name}`, or a number. Returns undefined for
 * a malformed reference (then the `$` is kept as text). The name is as long as
 * possible, so `$1x` names the group `1x`, not group 1 followed by `x`.
 */
function readReference(
  template: string,
): { name: string; number: number | undefined; rest: string } | undefined {
  let body = template;
  const braced = body.startsWith('{');
  if (braced) body = body.slice(1);
  let length = 0;
  for (const c of body) {
    if (!NAME_CHAR.test(c)) break;
    length += c.length;
  }
  if (length === 0) return undefined;
  const name = body.slice(0, length);
  if (braced) {
    if (body[length] !== '}') return undefined;
    length++;
  }
  let number: number | undefined;
  // Only plain ASCII digits without a leading zero (and below 1e8) are numbers;
  // anything else is looked up as a name.
  if (/^[0-9]+$/.test(name) && !(name.length > 1 && name.startsWith('0'))) {
    const parsed = Number(name);
    if (parsed < 1e8) number = parsed;
  }
  return { name, number, rest: body.slice(length) };
}

function expandTemplate(template: string, input: string, match: readonly number[], groupNames: string[]): string {
  const groupText = (group: number): string => {
    const start = match[2 * group];
    const end = match[2 * group + 1];
    return start === undefined || end === undefined || start < 0 ? '' : input.slice(start, end);
  };
  let output = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) break;
    output += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      output += '$';
      rest = rest.slice(1);
      continue;
    }
    const reference = readReference(rest);
    if (!reference) {
      output += '$';
      continue;
    }
    rest = reference.rest;
    if (reference.number !== undefined) {
      output += groupText(reference.number);
    } else {
      // The first group of that name that took part in the match.
      const group = groupNames.findIndex(
        (name, index) => name === reference.name && (match[2 * index] ?? -1) >= 0,
      );
      if (group >= 0) output += groupText(group);
    }
  }
  return output + rest;
}
