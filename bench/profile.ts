/**
 * `node bench/run.mjs --profile b --profile-dir DIR`: a CPU profile of a workload's cold run against
 * the bench's registry, and where its wall time went. Writes the input (`input.yaml`), one
 * `.cpuprofile` per run (open it in Chrome's DevTools) and prints a breakdown: the time before the
 * profile starts and after it ends (Node's start and exit), then the profiled time by phase, found
 * from each sample's stack: the first frame on it, from the top, that names a phase. `(idle)` is
 * the main thread waiting, here on the registry.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildResourceList } from './fixtures.js';
import { checkPins, Sandbox, type Bench } from './runner.js';
import { measureProcess } from './measure.js';
import type { Workload } from './workloads.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Phases by a function or file on the stack, in priority order: a sample counts under the first
 * phase any frame on its stack belongs to. Module loading comes first, so a lazy `import()` of
 * the registry stack counts as loading, not as registry work; `write pins` (applyUpdates, which
 * decides per value whether it needs quotes) before `find markers`, both before the rest of
 * src/resolve.
 */
const PHASES: Array<{ phase: string; match: (frame: ProfileNode['callFrame']) => boolean }> = [
  { phase: 'module load', match: (f) => f.url.startsWith('node:internal/modules/') || f.functionName === 'compileForInternalLoader' },
  { phase: 'render: results', match: (f) => f.functionName === 'renderResults' },
  { phase: 'render: ResourceList', match: (f) => /\/krm\/render\.(js|ts)$/.test(f.url) || (f.functionName === 'render' && f.url.includes('/krm/')) },
  { phase: 'write pins (applyUpdates)', match: (f) => f.functionName === 'applyUpdates' },
  { phase: 'find markers', match: (f) => f.functionName === 'objectSites' },
  { phase: 'parse ResourceList', match: (f) => f.functionName === 'parseResourceList' || f.functionName === 'decodeResourceList' },
  { phase: 'functionConfig', match: (f) => f.functionName === 'loadFunctionConfig' },
  { phase: 'policy collection', match: (f) => f.functionName === 'collectPolicies' },
  { phase: 'registry: undici', match: (f) => f.url.includes('/undici/') },
  { phase: 'registry: client and cache', match: (f) => /\/(dist|src)\/registry\//.test(f.url) },
  { phase: 'selection (policy)', match: (f) => /\/(dist|src)\/policy\//.test(f.url) },
  { phase: 'resolve (other)', match: (f) => /\/(dist|src)\/resolve\//.test(f.url) },
];

export interface ProfileBreakdown {
  /** From the profile's start to its end: the run less Node's start and exit. */
  profiledMs: number;
  /** ms per phase, largest first. */
  phases: Record<string, number>;
  /** When each phase was first and last sampled, in ms from the profile's start: the timeline. */
  windows: Record<string, [number, number]>;
}

/**
 * The built CLI is a few bundles (dist/cli.cjs, dist/undici.cjs, …), so a frame's url names one of
 * them; that bundle's source map gives back the file the function came from (src/registry/…,
 * node_modules/undici/…), which the phases match.
 */
export function bundleSources(cli: string): ((frame: ProfileNode['callFrame']) => ProfileNode['callFrame']) | undefined {
  const dist = resolve(dirname(cli));
  if (!existsSync(join(dist, 'cli.cjs.map'))) return undefined;
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (bundle: string): SourceMap | undefined => {
    if (!maps.has(bundle)) {
      const mapFile = join(dist, `${bundle}.map`);
      maps.set(bundle, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined);
    }
    return maps.get(bundle);
  };
  return (frame) => {
    const path = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
    const map = path.endsWith('.cjs') && dirname(path) === dist ? mapOf(basename(path)) : undefined;
    if (!map) return frame;
    // The bundles' local names are minified: the source map's name at a named function gives it back.
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber ?? 0) as { originalSource?: string; name?: string };
    if (!entry.originalSource) return frame;
    return { ...frame, url: entry.originalSource, ...(entry.name && frame.functionName ? { functionName: entry.name } : {}) };
  };
}

export function breakdown(profile: CpuProfile, sourceOf: (frame: ProfileNode['callFrame']) => ProfileNode['callFrame'] = (frame) => frame): ProfileBreakdown {
  const byId = new Map(profile.nodes.map((n) => [n.id, { ...n, callFrame: sourceOf(n.callFrame) }]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const phaseOf = new Map<number, string>();
  const classify = (id: number): string => {
    const cached = phaseOf.get(id);
    if (cached) return cached;
    const leaf = byId.get(id)!;
    let phase: string | undefined;
    if (leaf.callFrame.functionName === '(idle)') phase = '(idle: waiting)';
    else if (leaf.callFrame.functionName === '(garbage collector)') phase = '(garbage collector)';
    else if (leaf.callFrame.functionName === '(program)') phase = '(program: V8/Node native)';
    if (!phase) {
      const frames: ProfileNode['callFrame'][] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) frames.push(byId.get(at)!.callFrame);
      phase = PHASES.find((p) => frames.some(p.match))?.phase;
    }
    phase ??= 'other JS';
    phaseOf.set(id, phase);
    return phase;
  };
  const phases: Record<string, number> = {};
  const windows: Record<string, [number, number]> = {};
  let at = 0;
  profile.samples.forEach((id, i) => {
    const phase = classify(id);
    at += (profile.timeDeltas[i] ?? 0) / 1000;
    phases[phase] = (phases[phase] ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const window = (windows[phase] ??= [at, at]);
    window[1] = at;
  });
  return {
    profiledMs: (profile.endTime - profile.startTime) / 1000,
    phases: Object.fromEntries(Object.entries(phases).sort((a, b) => b[1] - a[1])),
    windows,
  };
}

/**
 * With `warm`, each measured run finds the cache an unmeasured run just filled (the bench's warm
 * rows); otherwise the cache starts empty.
 */
async function warmedSandbox(bench: Bench, cli: string, input: string, warm: boolean): Promise<Sandbox> {
  const sandbox = new Sandbox();
  if (warm) {
    const filling = await measureProcess(process.execPath, [cli], { input, env: sandbox.env() });
    if (filling.code !== 0) throw new Error(`the run filling the cache exited ${filling.code}: ${filling.stderr.slice(-2000)}`);
  }
  bench.proxy.clear();
  return sandbox;
}

export async function profileWorkload(bench: Bench, workload: Workload, dir: string, runs: number, extraNodeArgs: string[] = [], warm = false): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const input = buildResourceList(bench.proxy.host, workload.shape);
  writeFileSync(join(dir, 'input.yaml'), input);
  const sourceOf = bundleSources(bench.cli);
  const lines: string[] = [`Profile of (${workload.id}) ${workload.title}${warm ? ', warm cache' : ''}: input ${join(dir, 'input.yaml')}, registry ${bench.proxy.host}`];
  for (let i = 0; i < runs; i++) {
    const out = join(dir, `run-${i}`);
    mkdirSync(out, { recursive: true });
    const sandbox = await warmedSandbox(bench, bench.cli, input, warm);
    try {
      const sample = await measureProcess(process.execPath, [...extraNodeArgs, '--cpu-prof', '--cpu-prof-dir', out, '--cpu-prof-interval', '1000', bench.cli], { input, env: sandbox.env() });
      if (sample.code !== 0) throw new Error(`profiled run exited ${sample.code}: ${sample.stderr.slice(-2000)}`);
      checkPins(bench.proxy.host, workload.shape.policies, sample.stdout);
      const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'))!;
      const profile = JSON.parse(readFileSync(join(out, file), 'utf8')) as CpuProfile;
      const b = breakdown(profile, sourceOf);
      lines.push(
        `run ${i}: wall ${Math.round(sample.wallMs)} ms, ${bench.proxy.count()} requests, peak RSS ${Math.round(sample.peakRssKb / 1024)} MiB; profiled ${Math.round(b.profiledMs)} ms (so ${Math.round(sample.wallMs - b.profiledMs)} ms of Node start, exit and GNU time outside it)`,
        ...Object.entries(b.phases).map(([phase, msSpent]) => {
          const [from, to] = b.windows[phase]!;
          return `  ${phase.padEnd(28)} ${Math.round(msSpent).toString().padStart(6)} ms   sampled from ${Math.round(from)} to ${Math.round(to)} ms`;
        }),
      );
    } finally {
      sandbox.remove();
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Two builds of the CLI on the same cold workload in alternating rounds (A B, B A, …), unprofiled:
 * a before/after that a drifting load weighs on alike. Each output is checked like the bench's.
 */
export async function compareBuilds(bench: Bench, workload: Workload, builds: { before: string; after: string }, rounds: number, warm = false): Promise<string> {
  const input = buildResourceList(bench.proxy.host, workload.shape);
  const samples: Record<'before' | 'after', Array<{ wallMs: number; rssKb: number; requests: number }>> = { before: [], after: [] };
  for (let round = 0; round < rounds; round++) {
    const order: Array<'before' | 'after'> = round % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
    for (const which of order) {
      const sandbox = await warmedSandbox(bench, builds[which], input, warm);
      try {
        const sample = await measureProcess(process.execPath, [builds[which]], { input, env: sandbox.env() });
        if (sample.code !== 0) throw new Error(`${which} exited ${sample.code}: ${sample.stderr.slice(-2000)}`);
        checkPins(bench.proxy.host, workload.shape.policies, sample.stdout);
        samples[which].push({ wallMs: sample.wallMs, rssKb: sample.peakRssKb, requests: bench.proxy.count() });
      } finally {
        sandbox.remove();
      }
    }
  }
  const mid = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const m = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
  };
  const line = (which: 'before' | 'after') =>
    `${which.padEnd(6)} ${builds[which]}: median ${Math.round(mid(samples[which].map((s) => s.wallMs)))} ms (${samples[which].map((s) => Math.round(s.wallMs)).join(', ')}), peak RSS ${Math.round(mid(samples[which].map((s) => s.rssKb)) / 1024)} MiB, ${mid(samples[which].map((s) => s.requests))} requests`;
  return `(${workload.id}) ${workload.title}${warm ? ', warm cache' : ''}, ${rounds} alternating rounds:\n${line('before')}\n${line('after')}\n`;
}

/**
 * Is the per-registry cap on requests in flight (default 16) what holds a cold run back? The
 * same cold workload with `spec.registries[].concurrency` at each cap, in rotating rounds, with
 * the span from the first request's arrival at the proxy to the last one's.
 */
export async function compareConcurrency(bench: Bench, workload: Workload, caps: readonly number[], rounds: number): Promise<string> {
  const plain = buildResourceList(bench.proxy.host, workload.shape);
  if (plain.includes('\nfunctionConfig:')) throw new Error('bench: --concurrency takes a workload without a functionConfig');
  const inputOf = (cap: number) =>
    `${plain}functionConfig:\n  apiVersion: fn.apply-image-policies.dev/v1alpha1\n  kind: ApplyImagePolicies\n  metadata:\n    name: bench\n  spec:\n    registries:\n    - host: ${bench.proxy.host}\n      concurrency: ${cap}\n`;
  const arrivals: number[] = [];
  bench.proxy.setIntercept(() => {
    arrivals.push(performance.now());
    return undefined;
  });
  const samples = new Map<number, Array<{ wallMs: number; spanMs: number; requests: number }>>(caps.map((c) => [c, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      const order = caps.map((_, i) => caps[(i + round) % caps.length]!);
      for (const cap of order) {
        const sandbox = new Sandbox();
        try {
          bench.proxy.clear();
          arrivals.length = 0;
          const sample = await measureProcess(process.execPath, [bench.cli], { input: inputOf(cap), env: sandbox.env() });
          if (sample.code !== 0) throw new Error(`concurrency ${cap} exited ${sample.code}: ${sample.stderr.slice(-2000)}`);
          checkPins(bench.proxy.host, workload.shape.policies, sample.stdout);
          samples.get(cap)!.push({ wallMs: sample.wallMs, spanMs: arrivals[arrivals.length - 1]! - arrivals[0]!, requests: bench.proxy.count() });
        } finally {
          sandbox.remove();
        }
      }
    }
  } finally {
    bench.proxy.setIntercept(undefined);
  }
  const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return (
    `(${workload.id}) ${workload.title}, concurrency caps in ${rounds} rotating rounds (median wall; median span first → last request arrival):\n` +
    caps
      .map((cap) => {
        const s = samples.get(cap)!;
        return `  concurrency ${String(cap).padStart(3)}: wall ${Math.round(mid(s.map((x) => x.wallMs)))} ms, requests span ${Math.round(mid(s.map((x) => x.spanMs)))} ms, ${mid(s.map((x) => x.requests))} requests`;
      })
      .join('\n') +
    '\n'
  );
}
