/**
 * Issue 16's targets, each row a ratio from paired rounds: the yardstick and the function are
 * sampled moments apart (the order alternating per round, so neither always runs on the heels of
 * the other), and the row's figure is the median of the per-round ratios. On a shared machine a
 * load that comes and goes then weighs on both sides of each ratio alike.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildResourceList, countObjects, minimumRequests, type BenchPolicy } from './fixtures.js';
import { measureProcess, median } from './measure.js';
import { checkPins, checkSameItems, runBaseline, runFunction, Sandbox, type Bench, type ToolRun } from './runner.js';
import type { Workload } from './workloads.js';

/** The compiled yardsticks beside this module (bench/yaml-yardstick.ts, bench/request-floor.ts). */
const YAML_YARDSTICK = join(dirname(fileURLToPath(import.meta.url)), 'yaml-yardstick.js');
const REQUEST_FLOOR = join(dirname(fileURLToPath(import.meta.url)), 'request-floor.js');

/** The 500-marker row's target, which its floor row is held to as well: the script ÷ the function. */
const MANY_TARGET = 20;

export interface TargetRow {
  id: 'one-cold' | 'one-warm' | 'many-cold' | 'many-floor' | 'large' | 'large-rss';
  label: string;
  yardstick: string;
  rounds: number;
  /** Median of the yardstick's samples (ms); absent for the peak RSS row. */
  yardstickMs?: number;
  /** Median of the function's samples: ms, or KiB for the peak RSS row. */
  functionValue: number;
  /** The row's figure: the median per-round ratio, or the median peak RSS in MiB. */
  measured: number;
  /** `≤ target` or `≥ target`; `bound` for a row that has no target but limits another's. */
  comparison: 'at most' | 'at least' | 'bound';
  target: number;
  /** Always true for a bound. */
  met: boolean;
  /** Every round: [yardstick, function] (ms; for the RSS row, [0, KiB]). */
  samples: Array<[number, number]>;
}

export interface TargetsRun {
  repetition: number;
  startedAt: string;
  loadAverage: { start: number; end: number };
  /** Median span of the request floor's requests alone, first request to last answer (ms). */
  floorRequestsMs: number;
  /** Median time of the `skopeo` script on the 500-marker input (ms). */
  scriptMs: number;
  /** Size of the 20,000-object input, in bytes. */
  largeInputBytes: number;
  rows: TargetRow[];
}

export interface TargetWorkloads {
  /** 1 marker. */
  one: Workload;
  /** 500 markers over 50 repositories. */
  many: Workload;
  /** 20,000 objects, 1 % marked. */
  large: Workload;
}

const ratioRow = (
  id: TargetRow['id'],
  label: string,
  yardstick: string,
  samples: Array<[number, number]>,
  ratioOf: (yardstickMs: number, functionMs: number) => number,
  comparison: TargetRow['comparison'],
  target: number,
): TargetRow => {
  const measured = median(samples.map(([y, f]) => ratioOf(y, f)));
  return {
    id,
    label,
    yardstick,
    rounds: samples.length,
    yardstickMs: median(samples.map((s) => s[0])),
    functionValue: median(samples.map((s) => s[1])),
    measured,
    comparison,
    target,
    met: comparison === 'at most' ? measured <= target : comparison === 'at least' ? measured >= target : true,
    samples,
  };
};

/**
 * Each round starts one step further along `steps`, so no step always runs on another's heels (two
 * steps: the first goes first on even rounds). The results come back in the steps' order.
 */
async function rotate<T extends unknown[]>(round: number, steps: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  const results = new Array(steps.length) as T;
  for (let k = 0; k < steps.length; k++) {
    const i = (round + k) % steps.length;
    results[i] = await steps[i]!();
  }
  return results;
}

/**
 * bench/request-floor.ts for these pins, after checking it made the run's minimum requests; its
 * stdout has the digests it got, for checkFloorDigests.
 */
async function requestFloor(bench: Bench, policies: readonly BenchPolicy[]): Promise<{ wallMs: number; requestsMs: number; stdout: string }> {
  const pins = policies.map((p) => ({ repository: p.repository, tag: p.expectedTag }));
  bench.proxy.clear();
  const sample = await measureProcess(process.execPath, [REQUEST_FLOOR], { input: JSON.stringify({ origin: `http://${bench.proxy.host}`, pins }) });
  if (sample.code !== 0) throw new Error(`request floor exited ${sample.code}:\n${sample.stderr.slice(-2000)}`);
  const requests = bench.proxy.count();
  const minimum = minimumRequests(policies, false);
  if (requests !== minimum) throw new Error(`request floor made ${requests} requests, not the run's minimum ${minimum}`);
  const requestsMs = Number(/^requests ([\d.]+) ms$/m.exec(sample.stderr)?.[1]);
  if (!Number.isFinite(requestsMs)) throw new Error(`request floor printed no span:\n${sample.stderr.slice(-2000)}`);
  return { wallMs: sample.wallMs, requestsMs, stdout: sample.stdout };
}

/** Every digest the floor got is the one the function pinned for that repository and tag. */
function checkFloorDigests(host: string, floorOutput: string, functionOutput: string): void {
  const lines = floorOutput.trim().split('\n');
  for (const line of lines) {
    const [repository, tag, digest] = line.split(' ');
    if (!functionOutput.includes(`${host}/${repository}:${tag}@${digest} `)) throw new Error(`request floor: ${repository}:${tag} is ${digest}, which the function did not pin`);
  }
}

async function coldRun(bench: Bench, input: string, policies: readonly BenchPolicy[]): Promise<{ run: ToolRun; output: string }> {
  const sandbox = new Sandbox();
  try {
    const result = await runFunction(bench, input, sandbox);
    checkPins(bench.proxy.host, policies, result.output);
    return result;
  } finally {
    sandbox.remove();
  }
}

/**
 * One table: the two one-marker rows over `startupRounds` rounds of [`node -e 0`, the run on an
 * empty cache, the run again on the cache it left], then the 500-marker and 20,000-object rows
 * over `rounds` rounds each.
 */
export async function measureTargets(
  bench: Bench,
  workloads: TargetWorkloads,
  options: { rounds: number; startupRounds: number; repetition: number; progress: (message: string) => void; loadAverage: () => number },
): Promise<TargetsRun> {
  const startedAt = new Date().toISOString();
  const loadAtStart = options.loadAverage();
  const { one, many, large } = workloads;

  options.progress(`targets ${options.repetition}: 1 marker ÷ node -e 0, ${options.startupRounds} rounds`);
  const oneInput = buildResourceList(bench.proxy.host, one.shape);
  const cold: Array<[number, number]> = [];
  const warm: Array<[number, number]> = [];
  for (let round = 0; round < options.startupRounds; round++) {
    const node = () => measureProcess(process.execPath, ['-e', '0']).then((s) => s.wallMs);
    const pair = async () => {
      const sandbox = new Sandbox();
      try {
        const first = await runFunction(bench, oneInput, sandbox);
        checkPins(bench.proxy.host, one.shape.policies, first.output);
        const second = await runFunction(bench, oneInput, sandbox);
        checkPins(bench.proxy.host, one.shape.policies, second.output);
        return [first.run.wallMs, second.run.wallMs] as const;
      } finally {
        sandbox.remove();
      }
    };
    let nodeMs: number;
    let fn: readonly [number, number];
    if (round % 2 === 0) {
      nodeMs = await node();
      fn = await pair();
    } else {
      fn = await pair();
      nodeMs = await node();
    }
    cold.push([nodeMs, fn[0]]);
    warm.push([nodeMs, fn[1]]);
  }

  options.progress(`targets ${options.repetition}: 500 markers, skopeo script vs function vs the bare requests, ${options.rounds} rounds`);
  const manyInput = buildResourceList(bench.proxy.host, many.shape);
  const manyPolicies = many.shape.policies;
  const manySamples: Array<[number, number]> = [];
  // [script, the bare requests]: what the script's time says of the floor under the function's.
  const floorSamples: Array<[number, number]> = [];
  const floorSpans: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const [script, fn, floor] = await rotate(round, [
      async () => {
        const { run, output } = await runBaseline(bench, manyInput, manyPolicies);
        checkPins(bench.proxy.host, manyPolicies, output);
        return { wallMs: run.wallMs, output };
      },
      async () => {
        const { run, output } = await coldRun(bench, manyInput, manyPolicies);
        return { wallMs: run.wallMs, output };
      },
      () => requestFloor(bench, manyPolicies),
    ]);
    checkSameItems(fn.output, script.output);
    checkFloorDigests(bench.proxy.host, floor.stdout, fn.output);
    manySamples.push([script.wallMs, fn.wallMs]);
    floorSamples.push([script.wallMs, floor.wallMs]);
    floorSpans.push(floor.requestsMs);
  }

  options.progress(`targets ${options.repetition}: 20,000 objects, bare yaml vs function, ${options.rounds} rounds`);
  const largeInput = buildResourceList(bench.proxy.host, large.shape);
  const largeSamples: Array<[number, number]> = [];
  const largeRss: Array<[number, number]> = [];
  for (let round = 0; round < options.rounds; round++) {
    const [yaml, fn] = await rotate(round, [
      async () => {
        const sample = await measureProcess(process.execPath, [YAML_YARDSTICK], { input: largeInput });
        // A yardstick that failed or printed a fraction of its input measured something else.
        if (sample.code !== 0 || sample.stdout.length < largeInput.length * 0.9) {
          throw new Error(`yaml yardstick exited ${sample.code} with ${sample.stdout.length} of ${largeInput.length} characters:\n${sample.stderr.slice(-2000)}`);
        }
        return { wallMs: sample.wallMs, peakRssKb: sample.peakRssKb };
      },
      async () => (await coldRun(bench, largeInput, large.shape.policies)).run,
    ]);
    largeSamples.push([yaml.wallMs, fn.wallMs]);
    largeRss.push([0, fn.peakRssKb]);
  }

  const markers = large.shape.policies.length * large.shape.markersPerPolicy;
  const objects = countObjects(large.shape);
  const megabytes = (Buffer.byteLength(largeInput) / 1e6).toFixed(1);
  const rssMiB = median(largeRss.map((s) => s[1])) / 1024;
  const rows: TargetRow[] = [
    ratioRow('one-cold', '1 marker, empty cache ÷ `node -e 0`', '`node -e 0`', cold, (y, f) => f / y, 'at most', 1.5),
    ratioRow('one-warm', '1 marker, warm cache ÷ `node -e 0`', '`node -e 0`', warm, (y, f) => f / y, 'at most', 1.3),
    ratioRow(
      'many-cold',
      `${manyPolicies.length * many.shape.markersPerPolicy} markers / ${manyPolicies.length} repositories, cold: \`skopeo\` script ÷ function`,
      '`bench/baseline/pin-with-skopeo.sh`',
      manySamples,
      (y, f) => y / f,
      'at least',
      MANY_TARGET,
    ),
    ratioRow(
      'many-floor',
      'the same pins\' minimum requests alone over `node:http`, no parse (the bound on the row above): `skopeo` script ÷ them',
      '`bench/baseline/pin-with-skopeo.sh`',
      floorSamples,
      (y, f) => y / f,
      'bound',
      MANY_TARGET,
    ),
    ratioRow(
      'large',
      `${objects.toLocaleString('en-US')} objects (${megabytes} MB, ${((markers / objects) * 100).toFixed(0)} % marked) ÷ bare \`yaml\` \`parseDocument\` + \`toString\``,
      '`node bench/yaml-yardstick.js` (own process)',
      largeSamples,
      (y, f) => f / y,
      'at most',
      0.2,
    ),
    {
      id: 'large-rss',
      label: 'peak RSS of that run (MiB)',
      yardstick: '—',
      rounds: largeRss.length,
      functionValue: median(largeRss.map((s) => s[1])),
      measured: rssMiB,
      comparison: 'at most',
      target: 250,
      met: rssMiB <= 250,
      samples: largeRss,
    },
  ];
  return {
    repetition: options.repetition,
    startedAt,
    loadAverage: { start: loadAtStart, end: options.loadAverage() },
    floorRequestsMs: median(floorSpans),
    scriptMs: median(manySamples.map((s) => s[0])),
    largeInputBytes: Buffer.byteLength(largeInput),
    rows,
  };
}

const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`);

function figure(row: TargetRow): { measured: string; target: string } {
  const sign = row.comparison === 'at most' ? '≤' : '≥';
  if (row.comparison === 'bound') return { measured: `${row.measured.toFixed(1)}× faster`, target: `bounds the row above (${sign} ${row.target}× faster)` };
  if (row.id === 'large-rss') return { measured: `${Math.round(row.measured)} MiB`, target: `${sign} ${row.target} MiB` };
  if (row.id === 'many-cold') return { measured: `${row.measured.toFixed(1)}× faster`, target: `${sign} ${row.target}× faster` };
  return { measured: `${row.measured.toFixed(2)}×`, target: `${sign} ${row.target}×` };
}

/** One repetition as a markdown table, its load average and input size above it. */
export function targetsTable(run: TargetsRun): string {
  const lines = [
    `Issue 16 targets, repetition ${run.repetition} (started ${run.startedAt}, load average ${run.loadAverage.start.toFixed(1)} → ${run.loadAverage.end.toFixed(1)}; ratio = median of per-round ratios, order alternating per round):`,
    '',
    '| Workload | Rounds | Yardstick (median) | Function (median) | Measured | Target | |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...run.rows.map((row) => {
      const { measured, target } = figure(row);
      const yardstick = row.yardstickMs === undefined ? '—' : ms(row.yardstickMs);
      const fn = row.id === 'large-rss' ? `${Math.round(row.functionValue / 1024)} MiB` : ms(row.functionValue);
      const verdict = row.comparison === 'bound' ? (row.measured < row.target ? 'target out of reach' : 'target within reach') : row.met ? 'met' : 'not met';
      return `| ${row.label} | ${row.rounds} | ${yardstick} | ${fn} | ${measured} | ${target} | ${verdict} |`;
    }),
    '',
    `Of the bare requests' time, the requests alone span ${ms(run.floorRequestsMs)} (first request to last answer): a client that took no time to start would still be only ${(run.scriptMs / run.floorRequestsMs).toFixed(1)}× faster than the script.`,
    '',
  ];
  return lines.join('\n');
}

/** Across repetitions: how many times in a row, ending with the last, each target was met. */
export function targetsStreak(runs: readonly TargetsRun[]): string {
  if (runs.length === 0) return '';
  const labels = runs[0]!.rows.map((r) => r.label);
  const lines = [`Targets over ${runs.length} repetition(s) in a row (issue 16 is done when each is met three times in a row):`, ''];
  labels.forEach((label, i) => {
    if (runs[0]!.rows[i]!.comparison === 'bound') {
      const figures = runs.map((run) => figure(run.rows[i]!).measured).join(', ');
      lines.push(`- ${label}: ${figures} (no target of its own: the function, which makes the same requests, cannot beat the script by more)`);
      return;
    }
    const met = runs.map((run) => run.rows[i]!.met);
    let streak = 0;
    for (let j = met.length - 1; j >= 0 && met[j]; j--) streak++;
    const figures = runs.map((run) => figure(run.rows[i]!).measured).join(', ');
    lines.push(`- ${label}: ${figures}; met ${met.filter(Boolean).length} of ${runs.length}, ${streak} in a row at the end`);
  });
  lines.push('');
  return lines.join('\n');
}
