/**
 * The one line both modes end with on stderr: enough to see at a glance whether a run did
 * anything and what it cost, without reading results.
 */
export interface RunSummary {
  sites: number;
  /** Pinned (or, under --check, stale) fields. */
  changed: number;
  unchanged: number;
  errors: number;
  requests: number;
  seconds: number;
  check?: boolean;
}

/** `1 marked field`, `2 marked fields`. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

export function formatSummary(summary: RunSummary): string {
  const prefix = summary.check ? 'apply-image-policies --check' : 'apply-image-policies';
  return (
    `${prefix}: ${count(summary.sites, 'marked field')}, ${summary.changed} ${summary.check ? 'stale' : 'pinned'}, ` +
    `${summary.unchanged} unchanged, ${count(summary.errors, 'error')}, ${count(summary.requests, 'registry request')}, ` +
    `${summary.seconds.toFixed(2)}s`
  );
}

/*
 * The run's clock: milliseconds since the process started, as performance.now() counts them. The
 * first read of the `performance` global loads perf_hooks (11 of Node's modules, 1-3 ms of a
 * one-marker run's start-up) to answer it; process.uptime() reads the same clock without them.
 */
export function msSinceProcessStart(): number {
  return process.uptime() * 1000;
}

export function secondsSince(startedMs: number): number {
  return (msSinceProcessStart() - startedMs) / 1000;
}
