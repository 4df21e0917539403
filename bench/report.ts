import type { Machine } from './machine.js';
import type { Measured } from './runner.js';
import type { OneMarkerRatios, StartupReport } from './startup.js';
import type { TargetsRun } from './targets.js';

export interface WorkloadResult {
  id: string;
  title: string;
  objects: number;
  markers: number;
  minimumRequests: number;
  fn: Measured;
  /** Absent for warm runs: the script has no cache, its warm run is its cold run. */
  baseline?: Measured;
  /** Why there is no baseline, when the reason is not "warm run" (the script has no gates). */
  baselineNote?: string;
  /** What a reader needs to judge the row, printed under the table. */
  notes?: string[];
}

export interface BenchReport {
  date: string;
  machine: Machine;
  features: string[];
  /** 1-minute load average when the run started and ended: how much the numbers were shared. */
  loadAverage: { start: number; end: number };
  workloads: WorkloadResult[];
  /** Absent when `--only` left startup out. */
  startup?: StartupReport;
  /** Absent when `--only` left out both startup and (a), or when the targets table measured them. */
  oneMarker?: OneMarkerRatios;
  /** Issue 16's targets table, once per `--repeat`; absent when `--only` left it out. */
  targets?: TargetsRun[];
}

const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`);
const mib = (kb: number) => `${Math.round(kb / 1024)} MiB`;
const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? '1×' : '—') : `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×`);

export function markdownTables(report: BenchReport): string {
  const rows = report.workloads.map((w) => {
    const b = w.baseline;
    return [
      `(${w.id}) ${w.title}`,
      ms(w.fn.wallMs),
      mib(w.fn.peakRssKb),
      String(w.fn.requests),
      String(w.minimumRequests),
      b ? ms(b.wallMs) : (w.baselineNote ?? 'as (b)'),
      b ? mib(b.peakRssKb) : '',
      b ? String(b.requests) : '',
      b ? ratio(b.wallMs, w.fn.wallMs) : '',
    ];
  });
  const table = report.workloads.length === 0 ? '(no workloads measured: --only)' : [
    '| Workload | Function wall | Function peak RSS | Function requests | Minimum requests | skopeo script wall | Script peak RSS | Script requests | Script wall ÷ function wall |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    ...report.workloads.flatMap((w) => (w.notes ?? []).map((note) => `\n(${w.id}) ${note}`)),
  ].join('\n');
  const startup = report.startup
    ? [
        `| Command (${report.startup.tool}, median) | Time |`,
        '| --- | ---: |',
        ...report.startup.timings.map((t) => `| \`${t.label}\` | ${ms(t.medianMs)} |`),
      ].join('\n')
    : '(startup not measured: --only)';
  const one = report.oneMarker;
  const ratios = one
    ? [
        `| Paired rounds (${one.rounds}, median of each) | Time | ÷ \`node -e 0\` |`,
        '| --- | ---: | ---: |',
        `| \`node -e 0\` | ${ms(one.nodeMs)} | 1.00× |`,
        `| 1 marker, empty cache ÷ node -e 0 | ${ms(one.coldMs)} | ${(one.coldMs / one.nodeMs).toFixed(2)}× |`,
        `| 1 marker, warm cache ÷ node -e 0 | ${ms(one.warmMs)} | ${(one.warmMs / one.nodeMs).toFixed(2)}× |`,
      ].join('\n')
    : report.targets
      ? '(1-marker ratios: see the targets table)'
      : '(1-marker ratios not measured: --only)';
  const m = report.machine;
  return [
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.registry}, ${m.skopeo}.`,
    `Features present: ${report.features.join('; ')}.`,
    `Load average (1 min) at start/end: ${report.loadAverage.start.toFixed(1)} / ${report.loadAverage.end.toFixed(1)}.`,
    '',
    table,
    '',
    startup,
    '',
    ratios,
    '',
  ].join('\n');
}
