import { describe, expect, it } from 'vitest';
import { compareVersions, parseLenientVersion, parseTagVersion } from '../../src/policy/semver/version.js';

// fluxcd/pkg version.ParseVersion table (which tags Flux treats as versions).
const fluxTagVersions: [tag: string, isVersion: boolean][] = [
  ['v1.2.3', true],
  ['v2025.07.03', true],
  ['v1.0', false],
  ['v1', false],
  ['v1.2.beta', false],
  ['v1.2-5', false],
  ['v1.2-beta5', false],
  ['\nv1.2', false],
  ['v1.2.0-x.Y.0+metadata', true],
  ['v1.2.0-x.Y.0+metadata-width-hypen', true],
  ['v1.2.3-rc1-with-hypen', true],
  ['v1.2.3.4', false],
  // Beyond Flux's table: consequences of "three parts, then lenient parse".
  ['1.2-beta.5', true],
  ['V1.2.3', false],
  ['1.2.3-alpha.01', false],
  ['1.2.3+build.01', true],
  ['18446744073709551615.0.0', true],
  ['18446744073709551616.0.0', false],
  ['1.2.3\n', false],
  ['latest', false],
  ['', false],
];

// Masterminds TestNewVersion (lenient parse; CoerceNewVersion defaults to true).
const lenientVersions: [text: string, isVersion: boolean][] = [
  ['1.2.3', true],
  ['1.2.3-alpha.01', false],
  ['1.2.3+test.01', true],
  ['1.2.3-alpha.-1', true],
  ['v1.2.3', true],
  ['1.0', true],
  ['v1.0', true],
  ['1', true],
  ['v1', true],
  ['1.2.beta', false],
  ['v1.2.beta', false],
  ['foo', false],
  ['1.2-5', true],
  ['v1.2-5', true],
  ['1.2-beta.5', true],
  ['v1.2-beta.5', true],
  ['\n1.2', false],
  ['\nv1.2', false],
  ['1.2.0-x.Y.0+metadata', true],
  ['v1.2.0-x.Y.0+metadata', true],
  ['1.2.0-x.Y.0+metadata-width-hypen', true],
  ['v1.2.0-x.Y.0+metadata-width-hypen', true],
  ['1.2.3-rc1-with-hypen', true],
  ['v1.2.3-rc1-with-hypen', true],
  ['1.2.3.4', false],
  ['v1.2.3.4', false],
  ['1.2.2147483648', true],
  ['1.2147483648.3', true],
  ['2147483648.3.0', true],
  ['12.3.4.1234', false],
  ['12.23.4.1234', false],
  ['12.3.34.1234', false],
  ['20221209-update-renovatejson-v4', true],
  ['01.02.03', true],
  ['1.2.3-foo☃︎', false],
];

// Masterminds TestCompare, plus bytewise/numeric prerelease cases.
const comparisons: [a: string, b: string, expected: -1 | 0 | 1][] = [
  ['1.2.3', '1.5.1', -1],
  ['2.2.3', '1.5.1', 1],
  ['2.2.3', '2.2.2', 1],
  ['3.2-beta', '3.2-beta', 0],
  ['1.3', '1.1.4', 1],
  ['4.2', '4.2-beta', 1],
  ['4.2-beta', '4.2', -1],
  ['4.2-alpha', '4.2-beta', -1],
  ['4.2-alpha', '4.2-alpha', 0],
  ['4.2-beta.2', '4.2-beta.1', 1],
  ['4.2-beta2', '4.2-beta1', 1],
  ['4.2-beta', '4.2-beta.2', -1],
  ['4.2-beta', '4.2-beta.foo', -1],
  ['4.2-beta.2', '4.2-beta', 1],
  ['4.2-beta.foo', '4.2-beta', 1],
  ['1.2+bar', '1.2+baz', 0],
  ['1.0.0-beta.4', '1.0.0-beta.-2', -1],
  ['1.0.0-beta.-2', '1.0.0-beta.-3', -1],
  ['1.0.0-beta.-3', '1.0.0-beta.5', 1],
  // TestGreaterThan / TestEqual
  ['3.2.0-beta.1', '3.2.0-beta.5', -1],
  ['3.2-beta.4', '3.2-beta.2', 1],
  ['7.43.0-SNAPSHOT.99', '7.43.0-SNAPSHOT.103', -1],
  ['7.43.0-SNAPSHOT.FOO', '7.43.0-SNAPSHOT.103', 1],
  ['7.43.0-SNAPSHOT.99', '7.43.0-SNAPSHOT.BAR', -1],
  ['3.2-beta+foo', '3.2-beta+bar', 0],
  // Bytewise words: rc9 sorts after rc10; uppercase before lowercase.
  ['1.0.0-rc9', '1.0.0-rc10', 1],
  ['1.0.0-RC1', '1.0.0-rc1', -1],
  ['v1.0.0', '1.0.0', 0],
  ['01.0.0', '1.0.0', 0],
  // A numeric identifier beyond 64 bits is compared as a word, so above numbers.
  ['1.0.0-18446744073709551616', '1.0.0-18446744073709551615', 1],
  ['1.0.0-18446744073709551616', '1.0.0-a', -1],
  ['18446744073709551615.0.0', '18446744073709551614.9.9', 1],
];

describe('Flux tag versions (fluxcd/pkg version.ParseVersion)', () => {
  it.each(fluxTagVersions)('%j is a version: %s', (tag, isVersion) => {
    expect(parseTagVersion(tag) !== undefined).toBe(isVersion);
  });

  it('keeps the tag as written', () => {
    expect(parseTagVersion('v2025.07.03-rc.1+b7')).toMatchObject({
      major: 2025n,
      minor: 7n,
      patch: 3n,
      prerelease: 'rc.1',
      metadata: 'b7',
      original: 'v2025.07.03-rc.1+b7',
    });
  });
});

describe('Masterminds NewVersion (lenient)', () => {
  it.each(lenientVersions)('%j parses: %s', (text, isVersion) => {
    expect(parseLenientVersion(text) !== undefined).toBe(isVersion);
  });

  it('fills missing parts with zero', () => {
    expect(parseLenientVersion('v1.2-5')).toMatchObject({ major: 1n, minor: 2n, patch: 0n, prerelease: '5' });
  });
});

describe('version precedence', () => {
  it.each(comparisons)('%s vs %s → %i', (a, b, expected) => {
    const left = parseLenientVersion(a);
    const right = parseLenientVersion(b);
    expect(left && right).toBeTruthy();
    expect(Math.sign(compareVersions(left!, right!))).toBe(expected);
    expect(Math.sign(compareVersions(right!, left!))).toBe(-expected || 0);
  });
});
