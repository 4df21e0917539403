import { runKrm } from '../krm/run.js';
import { errorCount, formatResult } from '../diagnostics/results.js';
import type { RegistryClient } from '../registry/types.js';
import { explanationOf, wantsExplanation, writeExplanation, type ExplainRequest } from './explain-output.js';
import { startProgress } from './progress.js';
import { readStdin, stderrIsTerminal, writeStderr, writeStdout } from './std-streams.js';
import { count, formatSummary, msSinceProcessStart, secondsSince } from './summary.js';

/** KRM mode: the ResourceList from stdin to stdout, diagnostics and the summary on stderr. */
export async function runKrmMode(options: { offline: boolean; cacheDir?: string; timeout?: string; explain?: ExplainRequest }): Promise<number> {
  const started = msSinceProcessStart();
  const input = await readStdin();
  let registry: RegistryClient | undefined;
  // Asked first: only a terminal gets a status line, and only it needs stderr's Node stream.
  const progress = startProgress({
    stream: stderrIsTerminal() ? process.stderr : { isTTY: false, write: writeStderr },
    describe: () => `apply-image-policies: resolving… ${count(registry?.requestCount() ?? 0, 'registry request')}, ${secondsSince(started).toFixed(1)}s`,
  });
  const outcome = await runKrm(input, {
    // The registry stack (undici, TLS, keychains) loads only when a run has something to resolve.
    registryFor: async (config, sources, policies) => {
      const { createRunRegistry } = await import('../setup/registry.js');
      registry = createRunRegistry(config, sources, policies, options);
      return registry;
    },
  }).finally(() => progress.stop());
  await registry?.close();
  if (wantsExplanation(options.explain)) {
    const failure = await writeExplanation(options.explain, explanationOf(outcome.pipeline, registry), { out: process.stdout, err: process.stderr });
    if (failure) {
      // Printing nothing with exit 1 makes kpt write nothing: the run asked for a report it cannot have.
      writeStderr(`${formatResult(failure)}\n`);
      return 1;
    }
  }
  writeStdout(outcome.stdout);
  for (const line of outcome.diagnostics) writeStderr(`apply-image-policies: ${line}\n`);
  for (const result of outcome.results) {
    if (result.severity !== 'info') writeStderr(`${formatResult(result)}\n`);
  }
  const summary = formatSummary({
    sites: outcome.stats.sites,
    changed: outcome.stats.pinned,
    unchanged: outcome.stats.unchanged,
    // Unreadable input yields no results, only a diagnostic; it is still an error.
    errors: errorCount(outcome.results) + (outcome.stdout === '' ? 1 : 0),
    requests: registry?.requestCount() ?? 0,
    seconds: secondsSince(started),
  });
  writeStderr(`${summary}\n`);
  return outcome.exitCode;
}
