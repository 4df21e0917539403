/**
 * `node bench/run.mjs --profile b --profile-dir DIR`: a CPU profile of a workload's cold run against
 * the bench's registry, and where its wall time went. Writes the input (`input.yaml`), one
 * `.cpuprofile` per run (open it in Chrome's DevTools) and prints a breakdown: the time before the
 * profile starts and after it ends (Node's start and exit), then the profiled time by phase, found
 * from each sample's stack: the first frame on it, from the top, that names a phase. `(idle)` is
 * the main thread waiting, here on the registry.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildResourceList } from './fixtures.js';
import { checkPins, Sandbox, type Bench } from './runner.js';
import { measureProcess } from './measure.js';
import type { Workload } from './workloads.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
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
 * Phases by the function or file on the stack, most specific first: a sample is counted under
 * the first phase any frame on its stack (searched from the leaf up) belongs to.
 */
const PHASES: Array<{ phase: string; match: (frame: ProfileNode['callFrame']) => boolean }> = [
  { phase: 'render: results', match: (f) => f.functionName === 'renderResults' },
  { phase: 'render: ResourceList', match: (f) => f.url.includes('/krm/render.js') || f.functionName === 'render' && f.url.includes('/krm/') },
  { phase: 'registry: undici', match: (f) => f.url.includes('/undici/') },
  { phase: 'registry: client and cache', match: (f) => f.url.includes('/src/registry/') || f.url.includes('/dist/registry/') },
  { phase: 'selection (policy)', match: (f) => f.url.includes('/dist/policy/') },
  { phase: 'resolve', match: (f) => f.url.includes('/dist/resolve/') },
  { phase: 'policy collection', match: (f) => f.functionName === 'collectPolicies' },
  { phase: 'functionConfig', match: (f) => f.functionName === 'loadFunctionConfig' },
  { phase: 'find markers', match: (f) => f.functionName === 'objectSites' },
  { phase: 'parse ResourceList', match: (f) => f.functionName === 'parseResourceList' || f.functionName === 'decodeResourceList' },
  { phase: 'write stdout', match: (f) => f.url.includes('/dist/main.js') && /write|flush|drain/i.test(f.functionName) },
  { phase: 'module load', match: (f) => /^node:internal\/modules\//.test(f.url) || /compileFunction|importModuleDynamically|link|instantiate/.test(f.functionName) && f.url.startsWith('node:') },
];

export interface ProfileBreakdown {
  /** From the profile's start to its end: the run less Node's start and exit. */
  profiledMs: number;
  /** ms per phase, largest first. */
  phases: Record<string, number>;
  /** When each phase was first and last sampled, in ms from the profile's start: the timeline. */
  windows: Record<string, [number, number]>;
}

export function breakdown(profile: CpuProfile): ProfileBreakdown {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
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
    for (let at: number | undefined = id; !phase && at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      phase = PHASES.find((p) => p.match(frame))?.phase;
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

export async function profileWorkload(bench: Bench, workload: Workload, dir: string, runs: number, extraNodeArgs: string[] = []): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const input = buildResourceList(bench.proxy.host, workload.shape);
  writeFileSync(join(dir, 'input.yaml'), input);
  const lines: string[] = [`Profile of (${workload.id}) ${workload.title}: input ${join(dir, 'input.yaml')}, registry ${bench.proxy.host}`];
  for (let i = 0; i < runs; i++) {
    const out = join(dir, `run-${i}`);
    mkdirSync(out, { recursive: true });
    const sandbox = new Sandbox();
    try {
      bench.proxy.clear();
      const sample = await measureProcess(process.execPath, [...extraNodeArgs, '--cpu-prof', '--cpu-prof-dir', out, '--cpu-prof-interval', '1000', bench.cli], { input, env: sandbox.env() });
      if (sample.code !== 0) throw new Error(`profiled run exited ${sample.code}: ${sample.stderr.slice(-2000)}`);
      checkPins(bench.proxy.host, workload.shape.policies, sample.stdout);
      const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'))!;
      const profile = JSON.parse(readFileSync(join(out, file), 'utf8')) as CpuProfile;
      const b = breakdown(profile);
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
