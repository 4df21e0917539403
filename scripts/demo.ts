/**
 * `npm run demo`: the whole story in one command on a fresh machine. A real registry on
 * 127.0.0.1:5055 (the address the examples commit) holds the example images; the quickstart
 * package is copied to a temp dir and pinned through kpt (or file mode without kpt); the diff
 * shows exactly which bytes changed. Then the feature this project exists for: a field that
 * follows `latest` but is written as the git-SHA tag `latest` points at, pinned once, and again
 * after CI moves `latest` to a new build, with `--explain` saying how the alias was found.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_REGISTRY_HOST, EXAMPLE_REGISTRY_PORT, NEXT_WEB_BUILD, pushNextWebBuild, seedExampleImages } from '../examples/seed.js';
import { REGISTRY_BINARY, startRegistry, type RunningRegistry } from '../test/harness/registry.js';

const KPT = process.env.KPT_BIN ?? '/usr/bin/kpt';

function packageRoot(): string {
  // Compiled into node_modules/.cache/…; walk up to this package's own package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'apply-image-policies') {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the apply-image-policies package root');
    dir = parent;
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const relative = join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(dir, relative)));
    else files.push(relative);
  }
  return files.sort();
}

/** `diff -u` when the machine has it; otherwise the changed lines, which is all a pin changes. */
function printDiff(beforePath: string, afterPath: string, name: string): void {
  const diff = spawnSync('diff', ['-u', '--label', `a/${name}`, '--label', `b/${name}`, beforePath, afterPath], { encoding: 'utf8' });
  if (!diff.error && diff.status === 1) {
    process.stdout.write(diff.stdout);
    return;
  }
  say(`--- a/${name}\n+++ b/${name}`);
  const old = readFileSync(beforePath, 'utf8').split('\n');
  readFileSync(afterPath, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line !== old[i]) say(`-${old[i] ?? ''}\n+${line}`);
    });
}

async function main(): Promise<number> {
  const root = packageRoot();
  const external = process.env.DEMO_REGISTRY;
  if (!external && !existsSync(REGISTRY_BINARY)) {
    say(`The demo runs a real container registry, and ${REGISTRY_BINARY} is not installed. Install it with:`);
    say('');
    say('  sudo apt-get install -y docker-registry');
    say('');
    say('or point DEMO_REGISTRY at a registry you already run (host:port, plain HTTP).');
    return 1;
  }

  let registry: RunningRegistry | undefined;
  const work = await mkdtemp(join(tmpdir(), 'apply-image-policies-demo-'));
  const stop = async (): Promise<void> => {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    let host = external ?? EXAMPLE_REGISTRY_HOST;
    if (external) {
      say(`Using the registry at ${external} (DEMO_REGISTRY).`);
    } else {
      try {
        registry = await startRegistry({ port: EXAMPLE_REGISTRY_PORT });
      } catch (error) {
        say(`Could not start a registry on ${EXAMPLE_REGISTRY_HOST}: ${(error as Error).message.split('\n')[0]}`);
        say(`If a registry already listens there, run: DEMO_REGISTRY=${EXAMPLE_REGISTRY_HOST} npm run demo`);
        return 1;
      }
      host = registry.host;
      say(`Started a registry on ${host} (${REGISTRY_BINARY}).`);
    }
    const images = await seedExampleImages({ url: `http://${host}` });
    say(`Pushed ${images.size} example images (demo/podinfo, demo/worker, demo/nginx, demo/web).`);

    const original = await copyExample(root, 'quickstart', join(work, 'original'), host);
    const pkg = join(work, 'quickstart');
    await cp(original, pkg, { recursive: true });

    const cli = join(root, 'dist', 'main.js');
    const env = { ...process.env, XDG_CACHE_HOME: join(work, 'cache') };
    const command = existsSync(KPT)
      ? { file: KPT, args: ['fn', 'eval', pkg, '--exec', `${process.execPath} ${cli}`, '--truncate-output=false'] }
      : { file: process.execPath, args: [cli, pkg] };
    say(`\n$ ${existsSync(KPT) ? `kpt fn eval examples/quickstart --exec apply-image-policies` : `apply-image-policies examples/quickstart`}`);
    const run = spawnSync(command.file, command.args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (run.status !== 0) {
      say(`\nThe function failed (exit ${run.status ?? run.signal}).`);
      return 1;
    }

    say('\nWhat changed:');
    for (const file of await listFiles(pkg)) {
      const before = await readFile(join(original, file), 'utf8');
      const after = await readFile(join(pkg, file), 'utf8');
      if (before !== after) printDiff(join(original, file), join(pkg, file), file);
    }
    say('\nEvery other byte is as it was. Run it again and nothing changes until a new tag matches the policy.');

    return await followLatest({ root, work, host, cli, env });
  } finally {
    await stop();
  }
}

/** A copy of an example package (without its `.expected/`), its registry address replaced by `host`. */
async function copyExample(root: string, name: string, to: string, host: string): Promise<string> {
  await cp(join(root, 'examples', name), to, { recursive: true, filter: (source) => !source.includes(join(name, '.expected')) });
  if (host !== EXAMPLE_REGISTRY_HOST) {
    for (const file of await listFiles(to)) {
      const path = join(to, file);
      await writeFile(path, (await readFile(path, 'utf8')).replaceAll(EXAMPLE_REGISTRY_HOST, host));
    }
  }
  return to;
}

interface Act {
  root: string;
  work: string;
  host: string;
  cli: string;
  env: NodeJS.ProcessEnv;
}

/**
 * examples/alias-of-latest in file mode, twice: the second run after a new build took `latest`,
 * with `--explain`. File mode because kpt shows a function's stderr only when it fails.
 */
async function followLatest({ root, work, host, cli, env }: Act): Promise<number> {
  const before = await copyExample(root, 'alias-of-latest', join(work, 'alias-before'), host);
  const pkg = join(work, 'alias-of-latest');
  await cp(before, pkg, { recursive: true });
  const pin = (...flags: string[]): boolean => {
    const args = [cli, ...flags, '--config', join(pkg, 'apply-image-policies.yaml'), pkg];
    say(`\n$ apply-image-policies ${flags.map((f) => `${f} `).join('')}--config examples/alias-of-latest/apply-image-policies.yaml examples/alias-of-latest`);
    const run = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (run.status !== 0) say(`\nThe function failed (exit ${run.status ?? run.signal}).`);
    return run.status === 0;
  };
  const showChanges = async (from: string): Promise<void> => {
    for (const file of await listFiles(pkg)) {
      if ((await readFile(join(from, file), 'utf8')) !== (await readFile(join(pkg, file), 'utf8'))) printDiff(join(from, file), join(pkg, file), file);
    }
  };

  say('\nNow the feature no other tool has: follow `latest`, but write the git-SHA tag it points at.');
  if (!pin()) return 1;
  say('\nWhat changed:');
  await showChanges(before);

  const firstPin = join(work, 'alias-first-pin');
  await cp(pkg, firstPin, { recursive: true });
  const target = { url: `http://${host}` };
  await pushNextWebBuild(target);
  try {
    say(`\nCI builds commit ${NEXT_WEB_BUILD} and pushes it as demo/web:${NEXT_WEB_BUILD} and demo/web:latest.`);
    if (!pin('--explain')) return 1;
    say('\nWhat changed:');
    await showChanges(firstPin);
  } finally {
    // Put `latest` back where the examples' expected output has it (matters on a DEMO_REGISTRY).
    await seedExampleImages(target);
  }
  say('\nThe diff names the build (`git show ' + NEXT_WEB_BUILD + '`), the digest makes it exact, and a rollback is one revert.');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
