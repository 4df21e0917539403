/**
 * Flux writes intervals as Go durations (`1m`, `5m30s`, `1h`, `500ms`); we accept the
 * same syntax so an ImageRepository's `spec.interval` means here what it means in-cluster.
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  // Only where an age is meant (minReleaseAge, as Renovate writes `3 days`); Go has no `d`.
  d: 86_400_000,
};

export function parseGoDuration(text: string, options: { days?: boolean } = {}): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  // µ as an escape: one non-ASCII character in the bundle makes V8 hold all its source as two-byte text.
  const pattern = options.days ? /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h|d)/gy : /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(trimmed); match; match = pattern.exec(trimmed)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    consumed = pattern.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw new Error(`invalid duration '${text}': expected a Go duration such as 1m, 5m30s or 1h${options.days ? ', or days such as 3d' : ''}`);
  }
  return total;
}
