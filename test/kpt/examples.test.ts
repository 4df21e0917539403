// Every example under examples/ runs as its README says, through the real kpt, against a real
// registry on the address the examples commit (127.0.0.1:5055), seeded by the module the demo
// uses. The result must equal the committed `.expected/` tree; a second run must change nothing;
// file mode on the same package must give the same bytes.
//
// UPDATE_EXAMPLES=1 writes `.expected/` from this run instead: review the diff before committing.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_REGISTRY_PORT, seedExampleImages } from '../../examples/seed.js';
import { REPO_ROOT, run } from '../container/podman.js';
import { CLI } from '../e2e/run-fn.js';
import { registryAvailable, startRegistry, type RunningRegistry } from '../harness/registry.js';
import { contents, kpt, kptAvailable, kptWorkspace, snapshot, type KptWorkspace } from './kpt.js';

const EXAMPLES_DIR = join(REPO_ROOT, 'examples');
/** Not part of what the function sees or writes: the docs and kpt's ignore list. */
const NOT_RESOURCES = new Set(['README.md', '.krmignore']);

/** The command a reader copies from the example's README: the first line starting with `kpt fn`. */
function readmeCommand(name: string): string[] | undefined {
  const readme = join(EXAMPLES_DIR, name, 'README.md');
  if (!existsSync(readme)) return undefined;
  return readFileSync(readme, 'utf8')
    .split('\n')
    .find((line) => line.startsWith('kpt fn '))
    ?.trim()
    .split(/\s+/);
}

/** The kpt examples: packages whose README says how to run them with kpt (others show kustomize). */
function examplePackages(): string[] {
  return readdirSync(EXAMPLES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && readmeCommand(entry.name) !== undefined)
    .map((entry) => entry.name)
    .sort();
}

function copyPackage(name: string, to: string): void {
  cpSync(join(EXAMPLES_DIR, name), to, { recursive: true, filter: (source) => !source.split('/').includes('.expected') });
}

function resources(dir: string): Record<string, string> {
  const all = contents(snapshot(dir));
  return Object.fromEntries(Object.entries(all).filter(([path]) => !NOT_RESOURCES.has(path)));
}

describe.skipIf(!registryAvailable() || !kptAvailable())('examples/, run as their READMEs say', () => {
  let registry: RunningRegistry;
  let workspace: KptWorkspace;

  beforeAll(async () => {
    workspace = kptWorkspace('examples');
    registry = await startRegistry({ port: EXAMPLE_REGISTRY_PORT });
    await seedExampleImages(registry);
  });
  afterAll(async () => {
    await registry?.stop();
    if (workspace) rmSync(workspace.dir, { recursive: true, force: true });
  });

  it('has the four documented examples, each with a README and an expected result', () => {
    expect(examplePackages()).toEqual(expect.arrayContaining(['inline-policies', 'marker-forms', 'quickstart', 'render-pipeline']));
    for (const name of examplePackages()) expect(existsSync(join(EXAMPLES_DIR, name, '.expected')), name).toBe(true);
  });

  // docs/explain.md shows what the flags print on these examples; a reader compares the two.
  describe('docs/explain.md samples are what the examples print', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'explain.md'), 'utf8');
    const blocks = (language: string): string[] => [...doc.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
    /** The CLI from the repository root, as the doc's commands are written, with an empty cache. */
    const cli = (...args: string[]) =>
      run(process.execPath, [CLI, ...args], { env: { ...workspace.env, XDG_CACHE_HOME: join(workspace.dir, `cache-${Math.random()}`) }, cwd: REPO_ROOT });

    it('--explain on examples/quickstart, and the alias line of examples/alias-of-latest', async () => {
      const quickstart = await cli('--check', '--explain', 'examples/quickstart');
      expect(quickstart.code, quickstart.stderr).toBe(1);
      const report = quickstart.stderr.split('\n').filter((line) => !line.startsWith('apply-image-policies')).join('\n');
      expect(blocks('text')[0]).toBe(report);
      const alias = await cli('--check', '--explain', '--config', 'examples/alias-of-latest/apply-image-policies.yaml', 'examples/alias-of-latest');
      expect(alias.stderr).toContain(blocks('text')[1]);
    });

    it('--explain-json: the first marker of examples/alias-of-latest', async () => {
      const json = await cli('--check', '--explain-json', '-', '--config', 'examples/alias-of-latest/apply-image-policies.yaml', 'examples/alias-of-latest');
      expect(json.code, json.stderr).toBe(1);
      const document = JSON.parse(json.stdout) as { markers: unknown[]; registry: unknown };
      expect(document.markers[0]).toEqual(JSON.parse(blocks('json')[0]!));
      expect(doc).toContain(`"registry": ${JSON.stringify(document.registry).replace(':', ': ')}`);
    });

    it('the no-match error and the spec.explain result', async () => {
      const policy = readFileSync(join(EXAMPLES_DIR, 'quickstart', 'image-policy.yaml'), 'utf8').replace('>=6.0.0 <7.0.0', '>=8.0.0');
      const policies = join(workspace.dir, 'range-8.yaml');
      writeFileSync(policies, policy);
      const none = await cli('--check', '--policies', policies, 'examples/quickstart/deployment.yaml');
      expect(none.code).toBe(2);
      expect(none.stderr).toContain(blocks('text')[2]!.trim());

      const pkg = join(workspace.dir, 'explain-quickstart');
      copyPackage('quickstart', pkg);
      const evaluated = await kpt(['eval', pkg, '--exec', `${process.execPath} ${CLI}`, '--truncate-output=false', '--', 'explain=true'], workspace);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      expect(evaluated.stderr + evaluated.stdout).toContain(blocks('text')[3]!.trim().replace(/^\[info\] /, ''));
    });
  });

  for (const name of examplePackages()) {
    it(`${name}: kpt gives the expected files, and a second run changes nothing`, async () => {
      const pkg = join(workspace.dir, `kpt-${name}`);
      copyPackage(name, pkg);
      const [, , verb, target, ...flags] = readmeCommand(name) ?? [];
      expect(target).toBe(`examples/${name}`);

      const first = await kpt([verb!, pkg, ...flags], workspace);
      expect(first.code, first.stderr).toBe(0);
      const result = resources(pkg);
      const expectedDir = join(EXAMPLES_DIR, name, '.expected');
      if (process.env.UPDATE_EXAMPLES === '1') {
        rmSync(expectedDir, { recursive: true, force: true });
        for (const [path, text] of Object.entries(result)) {
          mkdirSync(dirname(join(expectedDir, path)), { recursive: true });
          writeFileSync(join(expectedDir, path), text);
        }
      }
      expect(result).toEqual(contents(snapshot(expectedDir)));

      const second = await kpt([verb!, pkg, ...flags], workspace);
      expect(second.code, second.stderr).toBe(0);
      expect(resources(pkg)).toEqual(result);
      expect(second.stderr).toMatch(/0 pinned/);
    });

    it(`${name}: file mode writes the same bytes as kpt`, async () => {
      const pkg = join(workspace.dir, `file-${name}`);
      copyPackage(name, pkg);
      const config = join(pkg, 'apply-image-policies.yaml');
      const args = [CLI, ...(existsSync(config) ? ['--config', config] : []), pkg];
      const outcome = await run(process.execPath, args, { env: workspace.env, cwd: workspace.dir });
      expect(outcome.code, outcome.stderr).toBe(0);
      expect(resources(pkg)).toEqual(contents(snapshot(join(EXAMPLES_DIR, name, '.expected'))));
    });
  }
});
