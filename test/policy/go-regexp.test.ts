import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXCLUSION_LIST } from '../../src/policy/filter.js';
import { compileGoRegexp, compileWithRe2js, JS_EQUIVALENT_SOURCES } from '../../src/policy/go-regexp.js';

const HEX = '0123456789abcdef';
const hex = (length: number) => fc.array(fc.constantFrom(...HEX), { minLength: length, maxLength: length }).map((c) => c.join(''));

/** Strings near each pattern's edges: its literal parts, newlines, `\r`, U+2028, surrogates alone and paired, any code point. */
const piece = fc.oneof(
  fc.constantFrom('.sig', 'sig', '.', 'sha256-', 'SHA256-', '\n', '\r', '\u2028', '\u2029', '\ud800', '\udc00', '\ud83d\ude00', 'a', 'F', ''),
  hex(64),
  hex(63),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const tail = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(''));
// Half the strings start as a signature-artifact tag does, so the tails after it get tried.
const candidate = fc.oneof(tail, fc.tuple(hex(64), tail).map(([digest, rest]) => `sha256-${digest}${rest}`));

describe('patterns answered without re2js', () => {
  it('are the whole of Flux default exclusion list', () => {
    expect([...JS_EQUIVALENT_SOURCES].sort()).toEqual([...DEFAULT_EXCLUSION_LIST].sort());
  });

  for (const source of JS_EQUIVALENT_SOURCES) {
    it(`${source}: test() agrees with re2js on every string`, () => {
      const fast = compileGoRegexp(source);
      const re2 = compileWithRe2js(source);
      const examples = [`sha256-${'a'.repeat(64)}`, `sha256-${'a'.repeat(64)}.att`, `sha256-${'a'.repeat(64)}.`, `sha256-${'a'.repeat(64)}.\n`, `sha256-${'a'.repeat(64)}.\r`, 'x.sig', 'x.sig\n', 'x\n.sig', '\r.sig', '\ud800.sig', ''];
      for (const input of examples) expect(fast.test(input), JSON.stringify(input)).toBe(re2.test(input));
      fc.assert(
        fc.property(candidate, (input) => fast.test(input) === re2.test(input)),
        { numRuns: 5000 },
      );
    });

    it(`${source}: submatches and expand are re2js's own`, () => {
      const fast = compileGoRegexp(source);
      const re2 = compileWithRe2js(source);
      for (const input of [`sha256-${'0'.repeat(64)}.sbom`, 'v1.sig', 'none']) {
        const match = re2.findSubmatchIndex(input);
        expect(fast.findSubmatchIndex(input)).toEqual(match);
        if (match) expect(fast.expand('[$0|$1]', input, match)).toBe(re2.expand('[$0|$1]', input, match));
      }
    });
  }
});
