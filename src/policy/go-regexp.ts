import { RE2JS, RE2JSSyntaxException } from 're2js';

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

function compileUncached(source: string): GoRegexp {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source);
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
