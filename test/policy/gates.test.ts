import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../src/config/duration.js';
import { ageText, parsePlatform, platformVerdict, releaseAgeVerdict, releaseTime, type CandidateImage, type Platform } from '../../src/policy/gates.js';

const p = (text: string): Platform => parsePlatform(text)!;
const index = (...platforms: string[]): CandidateImage => ({ kind: 'index', platforms: platforms.map(p) });
const single = (platform: string, times: Partial<CandidateImage> = {}): CandidateImage => ({ kind: 'image', platforms: [p(platform)], ...times });

describe('platforms gate', () => {
  it.each([
    { wanted: ['linux/amd64', 'linux/arm64'], image: index('linux/amd64', 'linux/arm64', 'linux/arm/v7'), pass: true, reason: 'has linux/amd64, linux/arm64' },
    { wanted: ['linux/s390x'], image: index('linux/amd64', 'linux/arm64'), pass: false, reason: 'lacks linux/s390x (has linux/amd64, linux/arm64)' },
    { wanted: ['linux/arm/v7'], image: index('linux/amd64', 'linux/arm/v6'), pass: false, reason: 'lacks linux/arm/v7 (has linux/amd64, linux/arm/v6)' },
    // containerd's defaults: arm64 is v8, arm is v7, when the image does not say.
    { wanted: ['linux/arm64/v8'], image: index('linux/arm64'), pass: true, reason: 'has linux/arm64/v8' },
    { wanted: ['linux/arm/v7'], image: index('linux/arm'), pass: true, reason: 'has linux/arm/v7' },
    // No variant asked: any variant will do.
    { wanted: ['linux/arm'], image: index('linux/arm/v6'), pass: true, reason: 'has linux/arm' },
    { wanted: ['linux/amd64'], image: single('linux/amd64'), pass: true, reason: 'has linux/amd64' },
    { wanted: ['linux/arm64'], image: single('linux/amd64'), pass: false, reason: 'lacks linux/arm64 (has linux/amd64)' },
    { wanted: ['linux/amd64', 'linux/arm64'], image: single('linux/amd64'), pass: false, reason: 'is a single-platform image (linux/amd64), not an index of linux/amd64, linux/arm64' },
  ])('$wanted on $image.kind $reason', ({ wanted, image, pass, reason }) => {
    expect(platformVerdict(wanted.map(p), image)).toEqual({ gate: 'platforms', pass, reason });
  });

  it('reads os/arch[/variant] and refuses anything else', () => {
    expect(parsePlatform('linux/arm/v7')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('windows/amd64')).toEqual({ os: 'windows', architecture: 'amd64' });
    for (const bad of ['linux', 'linux/', 'Linux/AMD64', 'linux/arm/v7/extra', '']) expect(parsePlatform(bad), bad).toBeUndefined();
  });
});

describe('release age gate', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');
  const age = { written: '72h', ms: parseGoDuration('72h') };

  it.each([
    { name: 'a push time from a vendor listing wins', image: single('linux/amd64', { createdAnnotation: '2020-01-01T00:00:00Z' }), pushed: Date.parse('2026-12-06T11:00:00Z'), at: '2026-12-06T11:00:00.000Z', source: 'pushed' },
    { name: 'then the created annotation', image: single('linux/amd64', { createdAnnotation: '2026-12-01T00:00:00Z', configCreated: '2026-01-01T00:00:00Z' }), at: '2026-12-01T00:00:00.000Z', source: 'created' },
    { name: 'then the config', image: single('linux/amd64', { configCreated: '2026-11-01T00:00:00Z' }), at: '2026-11-01T00:00:00.000Z', source: 'created' },
    { name: "ko's zero time gives way to the config", image: single('linux/amd64', { createdAnnotation: '0001-01-01T00:00:00Z', configCreated: '2026-11-01T00:00:00Z' }), at: '2026-11-01T00:00:00.000Z', source: 'created' },
    { name: '1970 is unknown', image: single('linux/amd64', { configCreated: '1970-01-01T00:00:00Z' }) },
    { name: 'the future is unknown', image: single('linux/amd64', { configCreated: '2027-01-01T00:00:00Z' }) },
    { name: 'garbage is unknown', image: single('linux/amd64', { configCreated: 'yesterday' }) },
  ])('$name', ({ image, pushed, at, source }) => {
    const time = releaseTime(image, pushed, now);
    expect(time && { at: new Date(time.at).toISOString(), source: time.source }).toEqual(at ? { at, source } : undefined);
  });

  it('passes when old enough, and says how old when not', () => {
    expect(releaseAgeVerdict(age, undefined, { at: now - 4 * 86_400_000, source: 'created' }, now)).toEqual({ gate: 'minReleaseAge', pass: true, reason: 'was created 4d ago (minReleaseAge 72h)' });
    expect(releaseAgeVerdict(age, undefined, { at: now - 3_600_000, source: 'pushed' }, now)).toEqual({ gate: 'minReleaseAge', pass: false, reason: 'was pushed 1h ago (minReleaseAge 72h)' });
    expect(releaseAgeVerdict(age, undefined, { at: now - 72 * 3_600_000, source: 'pushed' }, now).pass).toBe(true);
  });

  it('an unknown age does not pass unless unknownReleaseAge is allow, as Renovate defaults', () => {
    expect(releaseAgeVerdict(age, undefined, undefined, now)).toEqual({
      gate: 'minReleaseAge',
      pass: false,
      reason: 'has no known release time (minReleaseAge 72h; unknownReleaseAge: allow would let it pass)',
    });
    expect(releaseAgeVerdict(age, 'allow', undefined, now).pass).toBe(true);
  });

  it('ages read in days too, and are said in the largest whole unit', () => {
    expect(parseGoDuration('3d', { days: true })).toBe(3 * 86_400_000);
    expect(parseGoDuration('1d12h', { days: true })).toBe(36 * 3_600_000);
    expect(() => parseGoDuration('3d')).toThrow(/invalid duration/);
    expect([ageText(59 * 60_000), ageText(47 * 3_600_000), ageText(49 * 3_600_000)]).toEqual(['59m', '47h', '2d']);
  });
});
