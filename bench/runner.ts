import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningProxy } from '../test/harness/registry.js';
import { baselinePlan, markedValues, type BenchPolicy } from './fixtures.js';
import { measureProcess, median, type ProcessSample } from './measure.js';

export interface ToolRun {
  wallMs: number;
  peakRssKb: number;
  /** Every request the logging proxy saw during the run, `/v2/` pings included. */
  requests: number;
}

export interface Measured {
  runs: ToolRun[];
  wallMs: number;
  peakRssKb: number;
  requests: number;
}

export function summarize(runs: ToolRun[]): Measured {
  return {
    runs,
    wallMs: median(runs.map((r) => r.wallMs)),
    peakRssKb: median(runs.map((r) => r.peakRssKb)),
    requests: median(runs.map((r) => r.requests)),
  };
}

/**
 * A private HOME and cache: the developer's credentials and cache never leak into a measurement.
 * Unlike the tests' isolatedEnv, every run in one sandbox shares its cache, which is what makes a
 * second run warm.
 */
export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'aip-bench-'));
  env(): NodeJS.ProcessEnv {
    return {
      HOME: this.dir,
      XDG_CACHE_HOME: join(this.dir, 'cache'),
      XDG_RUNTIME_DIR: join(this.dir, 'run'),
      DOCKER_CONFIG: join(this.dir, 'docker'),
      REGISTRY_AUTH_FILE: join(this.dir, 'auth.json'),
    };
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function failure(tool: string, sample: ProcessSample): Error {
  return new Error(`${tool} exited ${sample.code}:\n${sample.stderr.slice(-4000)}\n${sample.stdout.slice(-2000)}`);
}

export interface Bench {
  proxy: RunningProxy;
  cli: string;
  baselineScript: string;
}

/** One KRM run of the built CLI, as kpt's exec runtime starts it. Returns the output for checking. */
export async function runFunction(bench: Bench, input: string, sandbox: Sandbox): Promise<{ run: ToolRun; output: string }> {
  bench.proxy.clear();
  const sample = await measureProcess(process.execPath, [bench.cli], { input, env: sandbox.env() });
  if (sample.code !== 0) throw failure('apply-image-policies', sample);
  return { run: { wallMs: sample.wallMs, peakRssKb: sample.peakRssKb, requests: bench.proxy.count() }, output: sample.stdout };
}

/** The skopeo script on the same ResourceList text, written to a file it rewrites in place. */
export async function runBaseline(bench: Bench, input: string, policies: readonly BenchPolicy[]): Promise<{ run: ToolRun; output: string }> {
  const sandbox = new Sandbox();
  try {
    const file = join(sandbox.dir, 'resources.yaml');
    const plan = join(sandbox.dir, 'plan.tsv');
    writeFileSync(file, input);
    writeFileSync(plan, baselinePlan(bench.proxy.host, policies));
    bench.proxy.clear();
    const sample = await measureProcess('/bin/sh', [bench.baselineScript, plan, file], { env: sandbox.env() });
    if (sample.code !== 0) throw failure('baseline script', sample);
    return { run: { wallMs: sample.wallMs, peakRssKb: sample.peakRssKb, requests: bench.proxy.count() }, output: readFileSync(file, 'utf8') };
  } finally {
    sandbox.remove();
  }
}

/**
 * A benchmark that measured a wrong answer would be worse than none: every policy's markers must
 * all hold `image:expectedTag@digest`, and when two outputs are given they must agree exactly.
 */
export function checkPins(host: string, policies: readonly BenchPolicy[], ...outputs: string[]): void {
  const seen = outputs.map(markedValues);
  for (const policy of policies) {
    const values = new Set(seen.flatMap((byPolicy) => [...(byPolicy.get(policy.name) ?? [])]));
    const expected = new RegExp(`^${(host + '/' + policy.repository + ':' + policy.expectedTag).replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`);
    const wrong = [...values].filter((v) => !expected.test(v));
    if (values.size !== 1 || wrong.length > 0) {
      throw new Error(`policy ${policy.name}: expected every marker to hold ${policy.expectedTag}@<one digest>, found ${[...values].join(', ') || 'nothing'}`);
    }
  }
}

/** The `items:` block of a ResourceList text: everything before the next top-level key. */
function itemsBlock(text: string): string {
  const start = text.indexOf('\nitems:\n');
  const end = text.slice(start + 1).search(/\n[a-zA-Z]/);
  return (end < 0 ? text.slice(start) : text.slice(start, start + 1 + end)).replace(/\n$/, '');
}

/** Both tools changed the same bytes: the function's items equal the sed-rewritten file's items. */
export function checkSameItems(functionOutput: string, baselineOutput: string): void {
  const [ours, theirs] = [itemsBlock(functionOutput), itemsBlock(baselineOutput)];
  if (ours === theirs) return;
  let at = 0;
  while (ours[at] === theirs[at]) at++;
  throw new Error(`the function's items differ from the baseline's at byte ${at}: ${JSON.stringify(ours.slice(at, at + 120))} vs ${JSON.stringify(theirs.slice(at, at + 120))}`);
}
