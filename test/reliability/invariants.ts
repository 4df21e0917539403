/**
 * What every failing run must leave behind, checked the same way by the fault, bad-input, secret
 * and concurrency suites: kpt gets the whole ResourceList back (or nothing at all, with exit 1, so
 * it writes nothing), and file mode leaves every file byte for byte as it was, with no temp file.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expect } from 'vitest';
import type { FnRun } from '../e2e/run-fn.js';
import { filesBelow } from '../harness/files.js';

export interface KrmResultView {
  severity: string;
  message: string;
  field?: { path: string };
  file?: { path: string };
  resourceRef?: { kind?: string; name?: string; namespace?: string };
}

export function resultsOf(stdout: string): KrmResultView[] {
  return ((parse(stdout) as { results?: KrmResultView[] } | null)?.results ?? []) as KrmResultView[];
}

/**
 * A KRM run that failed: exit 1, the input printed back unchanged with the error appended as a
 * result, and the error also on stderr (kpt hides results of a failed function in some modes).
 * Returns the error results for further checks.
 */
export function expectKrmFailureKeepsInput(run: FnRun, input: string, error: RegExp): KrmResultView[] {
  expect(run.code, run.stderr).toBe(1);
  // Results are appended after the untouched input; the input itself must come back byte for byte.
  expect(run.stdout.startsWith(input), `stdout does not start with the input:\n${run.stdout.slice(0, 2000)}`).toBe(true);
  const errors = resultsOf(run.stdout).filter((r) => r.severity === 'error');
  expect(errors.map((e) => e.message).join('\n')).toMatch(error);
  expect(run.stderr).toMatch(error);
  return errors;
}

/**
 * kpt's contract seen from the function: a non-empty input never comes back as an empty or
 * item-less ResourceList with exit 0 (kpt would delete every file of the package).
 */
export function expectNoEmptyListForNonEmptyInput(run: FnRun): void {
  if (run.code === 0) {
    const items = (parse(run.stdout) as { items?: unknown[] } | null)?.items ?? [];
    expect(items.length).toBeGreaterThan(0);
  } else {
    // 1: an error result; 2: a usage error before any input was read. kpt writes nothing for either.
    expect([1, 2]).toContain(run.code);
  }
}

/** Every file below `dir` with its bytes, relative paths as keys. */
export function snapshotTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const path of filesBelow(dir)) {
    const full = join(dir, path);
    if (statSync(full).isFile()) files.set(path, readFileSync(full));
  }
  return files;
}

/** Same file names, same bytes: nothing half-written, no temp file left behind. */
export function expectTreeUnchanged(dir: string, before: Map<string, Buffer>): void {
  const after = snapshotTree(dir);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [path, bytes] of before) expect(after.get(path)?.equals(bytes), `${path} changed`).toBe(true);
}
