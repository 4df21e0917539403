import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { needsQuoting, quotingByParsing } from '../../src/markers/write.js';

// needsQuoting answers image references without parsing them; for every value it must answer
// what the four yaml parses answer.
const SAMPLES = [
  '127.0.0.1:5000/bench/r00:1.19.4@sha256:' + 'd'.repeat(64), 'ghcr.io/org/app:v1.2.3', 'a/b', '1/2', '0/0', '1:2/3', '1/2:3', '2024-01-01/x',
  'x/2001-12-14t21:59:43.10-05:00', 'a/b:', 'a/:', '/a', 'a/', '-/a', '+1/2', '.a/b', '_a/b', 'a//b', 'a/b@', '@a/b', 'a/b+c', 'a/b-',
  'true/false', 'null/x', '1e3/1', '0x1f/2', 'a:/b', 'a::/b', 'a/b::c', 'é/ü', 'A/B', 'a/b.', 'a/...', '---/a', 'a/---',
];
const reference = fc.string({ unit: fc.constantFrom(...'aZ09._/:@+-'.split(''), 'x', '1', '/', ':'), minLength: 1, maxLength: 24 });

describe('needsQuoting for image references', () => {
  it.each(SAMPLES)('agrees with the parses on %j', (value) => {
    for (const inFlow of [false, true]) expect(needsQuoting(value, inFlow)).toBe(quotingByParsing(value, inFlow));
  });

  it('agrees with the parses on generated values', () => {
    fc.assert(
      fc.property(fc.oneof(reference, fc.tuple(reference, reference).map(([a, b]) => `${a}/${b}`)), fc.boolean(), (value, inFlow) => {
        expect(needsQuoting(value, inFlow)).toBe(quotingByParsing(value, inFlow));
      }),
      { numRuns: 3000 },
    );
  });
});
