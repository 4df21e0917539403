import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { afterFlush } from './cli/std-streams.js';

const HELP = `apply-image-policies — pin Flux $imagepolicy markers to image:tag@sha256:digest

Usage:
  apply-image-policies < resourcelist.yaml         KRM function (kpt, kustomize)
  apply-image-policies [options] PATH...            rewrite YAML files in place

Options (file mode):
  --check             write nothing; exit 1 when any pin is stale
  --config FILE       an ApplyImagePolicies functionConfig
  --policies PATH     more files or folders with ImagePolicy/ImageRepository objects
  --offline           answer from the cache only
  --cache-dir DIR     where tag lists and digests are cached
Common:
  --timeout DURATION  the whole run's time limit, e.g. 30s or 2m (default: the
                      functionConfig's spec.timeout, else 60s)
  --explain           why each field got its value: the funnel, the selection, the
                      alias search and the registry work, on stderr
  --explain-json FILE the same as JSON (file mode: - for stdout)
  -h, --help          this text
  --version           the version

Exit codes: 0 success; 1 an error result (KRM mode) or stale pins (--check);
2 an error in file mode, or options that do not fit the mode.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}


/** What an unexpected failure exits with: the KRM contract knows only 0 and 1. */
let crashExitCode = 2;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      check: { type: 'boolean' },
      config: { type: 'string' },
      policies: { type: 'string', multiple: true },
      offline: { type: 'boolean' },
      'cache-dir': { type: 'string' },
      explain: { type: 'boolean' },
      'explain-json': { type: 'string' },
      timeout: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (values.timeout !== undefined) {
    const { runTimeLimitMs } = await import('./config/function-config.js');
    try {
      runTimeLimitMs({}, values.timeout);
    } catch (error) {
      process.stderr.write(`apply-image-policies: ${(error as Error).message}\n`);
      return 2;
    }
  }
  const timeout = values.timeout !== undefined ? { timeout: values.timeout } : {};
  const explain = { text: values.explain ?? false, ...(values['explain-json'] !== undefined ? { jsonFile: values['explain-json'] } : {}) };
  if (positionals.length > 0) {
    const { runFileMode } = await import('./cli/file-mode.js');
    return runFileMode({
      paths: positionals,
      check: values.check ?? false,
      ...(values.config ? { configFile: values.config } : {}),
      policyPaths: values.policies ?? [],
      offline: values.offline ?? false,
      ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}),
      ...timeout,
      explain,
    });
  }
  // As a KRM function the config comes in the ResourceList; silently ignoring these would
  // let a user believe `--check` guarded their pipeline. Print nothing so kpt writes nothing.
  const fileModeOnly = (['check', 'config', 'policies'] as const).filter((name) => values[name] !== undefined);
  if (fileModeOnly.length > 0) {
    process.stderr.write(
      `apply-image-policies: ${fileModeOnly.map((n) => `--${n}`).join(', ')} need file paths (file mode); as a KRM function, pass the config as the functionConfig (kpt: --fn-config FILE)\n`,
    );
    return 2;
  }
  if (explain.jsonFile === '-') {
    process.stderr.write('apply-image-policies: --explain-json - needs file mode; as a KRM function stdout carries the ResourceList, so give a file\n');
    return 2;
  }
  crashExitCode = 1;
  // Loaded on demand so --help and --version do not pay for undici, ajv and yaml.
  const { runKrmMode } = await import('./cli/krm-mode.js');
  return runKrmMode({ offline: values.offline ?? false, ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}), ...timeout, explain });
}

/**
 * Ends the process once stdout and stderr have taken every byte. Every file, cache entry and
 * report is written before `main` resolves; what may remain is a connection the time limit
 * abandoned (undici cannot abort a connection attempt), which must not hold a finished run.
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  afterFlush(() => process.exit(code));
}

main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (error: unknown) => {
    process.stderr.write(`apply-image-policies: ${error instanceof Error ? error.message : String(error)}\n`);
    // The KRM contract knows 0 and 1 only; file mode reserves 1 for stale pins under --check.
    process.exitCode = crashExitCode;
  },
);
