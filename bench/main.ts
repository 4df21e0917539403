import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pushImage, registryAvailable, seedRepository, startProxy, startRegistry, tagExisting, type RunningProxy, type RunningRegistry } from '../test/harness/registry.js';
import { buildResourceList, countObjects, markedValues, minimumRequests, newestFirst, TAG_PAGE_SIZE, seedAliasRepository, seedGatedRepository, seedSemverRepositories } from './fixtures.js';
import { describeMachine } from './machine.js';
import { markdownTables, type BenchReport, type WorkloadResult } from './report.js';
import { checkPins, checkSameItems, runBaseline, runFunction, Sandbox, summarize, type Bench, type ToolRun } from './runner.js';
import { snapshotBuild } from './snapshot.js';
import { generateKey, pushSigTag, signPayload, simpleSigningPayload } from '../test/verify/sign.js';
import { measureOneMarkerRatios, measureStartup, type OneMarkerRatios } from './startup.js';
import { compareBuilds, compareConcurrency, profileWorkload } from './profile.js';
import { measureTargets, targetsStreak, targetsTable, type TargetsRun } from './targets.js';
import {
  ALIAS_REPOSITORY,
  ALIAS_TAGS,
  ALIAS_TARGET,
  aliasWorkload,
  GATED_FRESH,
  GATED_REPOSITORY,
  GATED_TAGS,
  gatedWorkload,
  manyRepositories,
  SIGNED_REPOSITORY,
  SIGNED_TAGS,
  SIGNED_UNSIGNED,
  signedWorkload,
  MANY_TAGS,
  registryOneWorkloads,
  ROLLING_TAG,
  type Workload,
} from './workloads.js';

/** The checkout root, found from the source tree or from the compiled copy under node_modules/.cache. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || dir.includes(join('node_modules', '.cache'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('bench: cannot find the project root');
    dir = parent;
  }
  return dir;
}

const launched = performance.now();
function progress(message: string): void {
  process.stderr.write(`bench ${((performance.now() - launched) / 1000).toFixed(1)} s: ${message}\n`);
}

async function withRegistry<T>(use: (proxy: RunningProxy, registry: RunningRegistry) => Promise<T>): Promise<T> {
  const registry = await startRegistry();
  // Paginating like hosted registries do, so a 2,000-tag list costs what it costs there.
  const proxy = await startProxy(registry, { paginate: true });
  try {
    return await use(proxy, registry);
  } finally {
    await proxy.stop();
    await registry.stop();
  }
}

/**
 * Measures a cold workload and, when `warm` is its warm twin, runs it right after each cold run on
 * the cache that run left: the pairing keeps "warm" meaning exactly "this input, seen once".
 */
async function measure(bench: Bench, cold: Workload, warm?: Workload): Promise<WorkloadResult[]> {
  const input = buildResourceList(bench.proxy.host, cold.shape);
  const policies = cold.shape.policies;
  const coldRuns: ToolRun[] = [];
  const warmRuns: ToolRun[] = [];
  let functionOutput = '';
  for (let i = 0; i < cold.functionRuns; i++) {
    const sandbox = new Sandbox();
    try {
      const first = await runFunction(bench, input, sandbox);
      checkPins(bench.proxy.host, policies, first.output);
      coldRuns.push(first.run);
      functionOutput = first.output;
      if (warm) {
        const second = await runFunction(bench, input, sandbox);
        checkPins(bench.proxy.host, policies, second.output);
        warmRuns.push(second.run);
      }
    } finally {
      sandbox.remove();
    }
  }
  const baselineRuns: ToolRun[] = [];
  for (let i = 0; i < cold.baselineRuns; i++) {
    const { run, output } = await runBaseline(bench, input, policies);
    checkPins(bench.proxy.host, policies, functionOutput, output);
    checkSameItems(functionOutput, output);
    baselineRuns.push(run);
  }
  const base = {
    objects: countObjects(cold.shape),
    markers: policies.length * cold.shape.markersPerPolicy,
  };
  const results: WorkloadResult[] = [
    {
      id: cold.id,
      title: cold.title,
      ...base,
      minimumRequests: minimumRequests(policies, false),
      fn: summarize(coldRuns),
      ...(baselineRuns.length > 0 ? { baseline: summarize(baselineRuns) } : {}),
    },
  ];
  if (warm) {
    results.push({ id: warm.id, title: warm.title, ...base, minimumRequests: minimumRequests(policies, true), fn: summarize(warmRuns) });
  }
  progress(results.map((r) => `(${r.id}) ${Math.round(r.fn.wallMs)} ms, ${r.fn.requests} requests`).join('; '));
  return results;
}

/**
 * (d)'s repository, warm, right after a release job pushed a new build and moved the rolling tag
 * to it: what every CI run after a release pays. Each sample: a cold run fills a fresh cache, a
 * new tag is pushed and `latest` moved to it, then the measured run.
 */
async function measureLatestMoved(bench: Bench, registry: RunningRegistry, alias: Workload): Promise<WorkloadResult> {
  const runsWanted = Math.max(1, alias.functionRuns);
  const samples: ToolRun[] = [];
  const input = buildResourceList(bench.proxy.host, alias.shape);
  for (let i = 0; i < runsWanted; i++) {
    const sandbox = new Sandbox();
    try {
      await runFunction(bench, input, sandbox);
      const newBuild = `2.999.${Date.now() % 100_000}${i}`;
      const image = await pushImage(registry, ALIAS_REPOSITORY, { tags: [newBuild] });
      await tagExisting(registry, ALIAS_REPOSITORY, image, ROLLING_TAG);
      const moved = await runFunction(bench, input, sandbox);
      const values = [...(markedValues(moved.output).get('alias') ?? [])];
      if (values.length !== 1 || values[0] !== `${bench.proxy.host}/${ALIAS_REPOSITORY}:${newBuild}@${image.digest}`) {
        throw new Error(`bench (g): expected the new build ${newBuild} to be pinned, got ${values.join(', ')}`);
      }
      samples.push(moved.run);
    } finally {
      sandbox.remove();
    }
  }
  const pages = Math.ceil((ALIAS_TAGS.length + 2) / TAG_PAGE_SIZE);
  return {
    id: 'g',
    title: `(d) warm, right after ${ROLLING_TAG} moved to a new build`,
    objects: countObjects(alias.shape),
    markers: 1,
    // The rolling tag's HEAD, the tag list again, and the HEAD of the new tag.
    minimumRequests: 1 + pages + 1,
    fn: summarize(samples),
    baselineNote: 'as (d)',
  };
}

/**
 * A gated workload (one policy, no baseline: the script has no gates), with a note of what the
 * gates cost: the requests past an ungated pin (the tag list and one HEAD), per candidate checked.
 */
async function measureGateCost(bench: Bench, workload: Workload, wording: (checked: number) => { what: string; per: string }): Promise<WorkloadResult> {
  const [result] = await measure(bench, workload);
  const policy = workload.shape.policies[0]!;
  const checked = policy.strategy.kind === 'gated' || policy.strategy.kind === 'signed' ? policy.strategy.candidatesChecked : 1;
  const ungated = minimumRequests([{ ...policy, strategy: { kind: 'semver' } }], false);
  const extra = result!.fn.requests - ungated;
  const { what, per } = wording(checked);
  return {
    ...result!,
    baselineNote: 'no gates',
    notes: [`${what} ${extra} requests beyond an ungated pin (${ungated}) for ${checked} candidates checked: ${(extra / checked).toFixed(2)} per candidate (${per}).`],
  };
}

function sourceState(root: string): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout.trim();
  const dirty = git('status', '--porcelain', '--', 'src').length > 0;
  return `source ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes in src/' : ''}`;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      'startup-runs': { type: 'string' },
      out: { type: 'string' },
      // e.g. `--only e` or `--only a,b,e`: a quick before/after on the workloads a change targets.
      only: { type: 'string' },
      // Issue 16's targets table (`--only targets`): this many tables in a row, each printed as it
      // is done, then how many times in a row each target was met.
      repeat: { type: 'string' },
      // Paired rounds per heavy row of the targets table (500 markers, 20,000 objects).
      rounds: { type: 'string' },
      // `--profile b`: CPU profiles of that workload's cold run, and where its time went.
      profile: { type: 'string' },
      'profile-dir': { type: 'string' },
      // With --profile: instead of profiling, time this other build's main.js against this one's.
      against: { type: 'string' },
      // With --profile or --against: the measured runs find a cache an unmeasured run just filled.
      warm: { type: 'boolean' },
      // With --profile: instead, the cold run at each of these caps on requests in flight, e.g. 4,16,64.
      concurrency: { type: 'string' },
    },
  });
  if (!registryAvailable()) {
    progress('the real registry is needed: apt-get install -y docker-registry');
    return 1;
  }
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  const only = values.only === undefined ? undefined : new Set(values.only.split(',').map((id) => id.trim()));
  const wanted = (id: string): boolean => only === undefined || only.has(id);
  const repeat = values.repeat === undefined ? 1 : Number(values.repeat);
  const targetRounds = values.rounds === undefined ? 3 : Number(values.rounds);
  if (!Number.isInteger(repeat) || repeat < 1 || !Number.isInteger(targetRounds) || targetRounds < 1) {
    progress('--repeat and --rounds take a whole number of at least 1');
    return 2;
  }
  const root = projectRoot();
  const baselineScript = join(root, 'bench', 'baseline', 'pin-with-skopeo.sh');
  const cli = snapshotBuild(root);
  if (values.profile !== undefined) {
    const workload = registryOneWorkloads(runs).find((w) => w.id === values.profile && !w.warm);
    if (!workload) {
      progress(`--profile takes a cold workload of registry one: a, b or e`);
      return 2;
    }
    const dir = resolve(values['profile-dir'] ?? mkdtempSync(join(tmpdir(), 'aip-bench-profile-')));
    await withRegistry(async (proxy, registry) => {
      progress(`seeding ${manyRepositories().length} repositories × ${MANY_TAGS.length} tags`);
      await seedSemverRepositories(registry, workload.shape.policies.map((p) => p.repository), MANY_TAGS);
      const bench: Bench = { proxy, cli, baselineScript };
      process.stdout.write(
        values.concurrency !== undefined
          ? await compareConcurrency(bench, workload, values.concurrency.split(',').map(Number), runs ?? 3)
          : values.against !== undefined
          ? await compareBuilds(bench, workload, { before: resolve(values.against), after: cli }, runs ?? 5, values.warm ?? false)
          : await profileWorkload(bench, workload, dir, runs ?? 3, [], values.warm ?? false),
      );
    });
    return 0;
  }
  const started = performance.now();
  const loadAtStart = loadavg()[0]!;

  let startup;
  if (wanted('startup')) {
    progress('startup');
    startup = await measureStartup(cli, values['startup-runs'] ? Number(values['startup-runs']) : 18);
  }

  const workloads: WorkloadResult[] = [];
  let oneMarker: OneMarkerRatios | undefined;
  const targets: TargetsRun[] = [];
  const [a, b, c, e] = registryOneWorkloads(runs);
  // (c) is (b)'s warm twin: asking for either measures both.
  const registryOne = ([[a!], [b!, c!], [e!]] as Array<[Workload, Workload?]>).filter(([cold, warm]) => wanted(cold.id) || (warm && wanted(warm.id)));
  if (registryOne.length > 0 || wanted('startup') || wanted('targets')) await withRegistry(async (proxy, registry) => {
    progress(`seeding ${manyRepositories().length} repositories × ${MANY_TAGS.length} tags`);
    await seedSemverRepositories(registry, manyRepositories(), MANY_TAGS);
    const bench: Bench = { proxy, cli, baselineScript };
    if (wanted('targets')) {
      for (let repetition = 1; repetition <= repeat; repetition++) {
        const run = await measureTargets(
          bench,
          { one: a!, many: b!, large: e! },
          {
            rounds: targetRounds,
            startupRounds: values['startup-runs'] ? Number(values['startup-runs']) : 9,
            repetition,
            progress,
            loadAverage: () => loadavg()[0]!,
          },
        );
        targets.push(run);
        process.stdout.write(targetsTable(run) + '\n');
      }
      if (repeat > 1) process.stdout.write(targetsStreak(targets) + '\n');
    }
    // The targets table has these two ratios already, measured the same way.
    if ((wanted('startup') || wanted('a')) && !wanted('targets')) {
      progress('1 marker ÷ node -e 0, paired rounds');
      const input = buildResourceList(proxy.host, a!.shape);
      let sandbox = new Sandbox();
      try {
        oneMarker = await measureOneMarkerRatios(async (warmCache) => {
          if (!warmCache) {
            sandbox.remove();
            sandbox = new Sandbox();
          }
          return (await runFunction(bench, input, sandbox)).run.wallMs;
        }, values['startup-runs'] ? Number(values['startup-runs']) : 15);
      } finally {
        sandbox.remove();
      }
    }
    for (const [cold, warm] of registryOne) {
      progress(`workload ${cold.id}${warm ? ` + ${warm.id}` : ''}`);
      workloads.push(...(await measure(bench, cold, warm)));
    }
  });
  if (wanted('d') || wanted('g')) await withRegistry(async (proxy, registry) => {
    progress(`seeding ${ALIAS_REPOSITORY} with ${ALIAS_TAGS.length} tags and ${ROLLING_TAG} → ${ALIAS_TARGET}`);
    await seedAliasRepository(registry, ALIAS_REPOSITORY, ALIAS_TAGS, ROLLING_TAG, ALIAS_TARGET);
    const bench: Bench = { proxy, cli, baselineScript };
    if (wanted('d')) {
      progress('workload d');
      workloads.push(...(await measure(bench, aliasWorkload(runs))));
    }
    if (wanted('g')) {
      progress('workload g');
      workloads.push(await measureLatestMoved(bench, registry, aliasWorkload(runs)));
    }
  });
  if (wanted('f')) await withRegistry(async (proxy, registry) => {
    progress(`seeding ${GATED_REPOSITORY} with ${GATED_TAGS.length} tags, the ${GATED_FRESH} newest an hour old`);
    await seedGatedRepository(registry, GATED_REPOSITORY, GATED_TAGS, GATED_FRESH);
    progress('workload f');
    workloads.push(
      await measureGateCost({ proxy, cli, baselineScript }, gatedWorkload(runs), (checked) => ({
        what: 'gates cost',
        per: `a manifest and a config blob each, and the HEADs of the ${checked - 1} refused`,
      })),
    );
  });
  if (wanted('h')) await withRegistry(async (proxy, registry) => {
    progress(`seeding ${SIGNED_REPOSITORY} with ${SIGNED_TAGS.length} tags, all but the ${SIGNED_UNSIGNED} newest signed`);
    const keyDir = mkdtempSync(join(tmpdir(), 'aip-bench-key-'));
    try {
      const key = generateKey();
      const keyFile = join(keyDir, 'cosign.pub');
      writeFileSync(keyFile, key.publicPem);
      const digests = await seedRepository(registry, SIGNED_REPOSITORY, [...SIGNED_TAGS]);
      for (const tag of newestFirst(SIGNED_TAGS).slice(SIGNED_UNSIGNED)) {
        const digest = digests.get(tag)!;
        await pushSigTag(registry, SIGNED_REPOSITORY, digest, [signPayload(key, simpleSigningPayload(`${proxy.host}/${SIGNED_REPOSITORY}`, digest))]);
      }
      progress('workload h');
      workloads.push(
        await measureGateCost({ proxy, cli, baselineScript }, signedWorkload(keyFile, runs), (checked) => ({
          what: 'verifying costs',
          per: `its .sig tag, the referrers API and its fallback tag for the unsigned, the verified one's payload, and the HEADs of the ${checked - 1} refused`,
        })),
      );
    } finally {
      rmSync(keyDir, { recursive: true, force: true });
    }
  });
  workloads.sort((x, y) => x.id.localeCompare(y.id));

  const machine = describeMachine();
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine,
    features: [sourceState(root)],
    loadAverage: { start: loadAtStart, end: loadavg()[0]! },
    workloads,
    ...(startup ? { startup } : {}),
    ...(oneMarker ? { oneMarker } : {}),
    ...(targets.length > 0 ? { targets } : {}),
  };
  process.stdout.write(markdownTables(report));
  const out = values.out ?? join(root, 'bench', 'results', `${report.date.slice(0, 10)}-${machine.host}.json`);
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  progress(`wrote ${out} in ${Math.round((performance.now() - started) / 1000)} s`);
  return 0;
}
