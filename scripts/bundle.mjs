#!/usr/bin/env node
// Builds what `npm install` runs: dist/main.js (src/launcher.ts), dist/cli.cjs (src/main.ts and
// every dependency it loads, one CommonJS file with its source map) and dist/cli.cache (V8's code
// cache of a typical run). src/launcher.ts says why the CLI ships this way. Runs in `npm run build`
// after `tsc`, which type-checks and emits the modules the other build scripts read.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

/**
 * src/validation/precompiled.js has no source: scripts/gen-validators.mjs generated it, just
 * before this script, beside tsc's output of src/validation/schema-messages.ts.
 */
const SCHEMA_MESSAGES = join(root, 'src', 'validation', 'schema-messages.ts');
const PRECOMPILED = join(root, 'node_modules', '.cache', 'apply-image-policies', 'modules', 'validation', 'precompiled.js');
const precompiledValidators = {
  name: 'precompiled-validators',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\/precompiled\.js$/ }, (args) => {
      if (args.importer !== SCHEMA_MESSAGES) return undefined;
      if (!existsSync(PRECOMPILED)) return { errors: [{ text: `${PRECOMPILED} is missing: run scripts/gen-validators.mjs first` }] };
      return { path: PRECOMPILED };
    });
  },
};

await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  plugins: [precompiledValidators],
  outfile: join(dist, 'cli.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  // Whitespace and syntax only: names stay as written, for stack traces and error names.
  minifyWhitespace: true,
  minifySyntax: true,
  // Licence comments go to cli.cjs.LEGAL.txt: one non-ASCII character (a name in undici's) made V8
  // hold the whole source as two-byte text, slower to read and to scan.
  legalComments: 'linked',
  // Loaded only by runs that verify signatures or list ECR: they stay in node_modules, required on first use.
  external: ['@aws-sdk/*', '@sigstore/*'],
  // import() in a vm.Script run from a code cache has no loader to call; require() always works.
  supported: { 'dynamic-import': false },
  // The one import.meta.url in src/ finds ../package.json; the bundle sits where main.js did.
  define: { 'import.meta.url': '__moduleUrl' },
  banner: { js: 'var __moduleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});

await build({
  entryPoints: [join(root, 'src', 'launcher.ts')],
  outfile: join(dist, 'main.js'),
  platform: 'node',
  // CommonJS, with dist/package.json saying so: Node then starts without its ES module loader,
  // which cost ~6 ms of every run.
  format: 'cjs',
  target: 'node20',
  define: { 'import.meta.url': '__launcherUrl' },
  banner: { js: 'var __launcherUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});
writeFileSync(join(dist, 'package.json'), '{ "type": "commonjs" }\n');
chmodSync(join(dist, 'main.js'), 0o755);

// V8 keeps a source with one non-ASCII character as two-byte text: twice the memory, slower to read.
const bundleBytes = readFileSync(join(dist, 'cli.cjs'));
const nonAscii = bundleBytes.findIndex((byte) => byte > 0x7f);
if (nonAscii !== -1) {
  const line = bundleBytes.subarray(0, nonAscii).toString('latin1').split('\n').length;
  process.stderr.write(`bundle: dist/cli.cjs has a non-ASCII character on line ${line}; write it as an escape in the source\n`);
  process.exit(1);
}

/*
 * The code cache holds what one run compiled, so the run should be a typical one: a Flux
 * ImageRepository and ImagePolicy, a marked Deployment, the registry client. Its registry is a
 * closed port on loopback, so the build needs no network and fails fast at the first connection.
 */
const WARM_UP = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: warm-up
    annotations:
      config.kubernetes.io/index: '0'
      config.kubernetes.io/path: 'deployment.yaml'
  spec:
    template:
      spec:
        containers:
        - name: app
          image: 127.0.0.1:9/warm-up/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
- apiVersion: image.toolkit.fluxcd.io/v1
  kind: ImageRepository
  metadata:
    name: app
    namespace: flux-system
  spec:
    image: 127.0.0.1:9/warm-up/app
    interval: 5m
- apiVersion: image.toolkit.fluxcd.io/v1
  kind: ImagePolicy
  metadata:
    name: app
    namespace: flux-system
  spec:
    imageRepositoryRef:
      name: app
    policy:
      semver:
        range: '>=1.0.0'
`;
const cache = join(dist, 'cli.cache');
const scratch = mkdtempSync(join(tmpdir(), 'aip-code-cache-'));
try {
  const run = spawnSync(process.execPath, [join(dist, 'main.js'), '--timeout', '5s'], {
    input: WARM_UP,
    encoding: 'utf8',
    env: { ...process.env, APPLY_IMAGE_POLICIES_WRITE_CODE_CACHE: cache, XDG_CACHE_HOME: scratch, HOME: scratch, DOCKER_CONFIG: scratch },
  });
  // The run is meant to fail (nothing listens on port 9); it must still have run the CLI.
  if (!run.stdout.includes('kind: ResourceList') || !existsSync(cache)) {
    process.stderr.write(`bundle: the code-cache run did not complete (exit ${run.status}):\n${run.stderr}`);
    process.exit(1);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.stdout.write(`bundle: dist/cli.cjs ${(statSync(join(dist, 'cli.cjs')).size / 1024).toFixed(0)} KiB, code cache ${(statSync(cache).size / 1024).toFixed(0)} KiB\n`);
