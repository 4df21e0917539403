#!/usr/bin/env node
// Builds what `npm install` runs: dist/main.js (src/launcher.ts), dist/cli.cjs (src/main.ts and
// the dependencies every run loads, one CommonJS file with its source map), dist/undici.cjs and
// dist/re2js.cjs (the dependencies only some runs load), and beside each its V8 code cache of a
// typical run (dist/<bundle>.cache). src/launcher.ts says why the CLI ships this way. Runs in `npm run build`
// after `tsc`, which type-checks and emits the modules the other build scripts read.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { lazyRequires } from './lazy-requires.mjs';

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

/*
 * Shared by the CLI bundle and the dependency bundles. Whitespace, syntax and local names are
 * minified: a fifth less source to read and fewer names in the code cache, ~10 ms of a run the
 * cache answers (bench/ startup rows). No code reads a function's or class's `name` (every error
 * class sets its `name` as a string), so esbuild's keepNames, which wraps every closure the code
 * creates in a defineProperty call (~1 % of the 500-marker run), is left off. Each bundle has its
 * .map beside it: a stack trace or profile is mapped back through it, as bench/profile.ts does
 * (Node 20's --enable-source-maps does not map code run through vm.Script).
 */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  // Licence comments go to <bundle>.LEGAL.txt: one non-ASCII character (a name in undici's) made V8
  // hold the whole source as two-byte text, slower to read and to scan.
  legalComments: 'linked',
  // import() in a vm.Script run from a code cache has no loader to call; require() always works.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
};

/*
 * Dependencies that only some runs load get bundles of their own, so that a run which does not
 * need them neither reads their source nor deserializes their part of a code cache (~3–6 ms of a
 * run the cache answers): undici for a run that reaches a registry, re2js for a tag filter. Each
 * bundle is named after its package.
 */
const CHUNK_PACKAGES = ['undici', 're2js'];
const chunkNameOf = (specifier) => CHUNK_PACKAGES.find((name) => specifier === name || specifier.startsWith(`${name}/`));

const cli = await build({
  ...common,
  entryPoints: [join(root, 'src', 'main.ts')],
  // Requires inside dependencies moved to their first use (scripts/lazy-requires.mjs says which, and why).
  plugins: [precompiledValidators, lazyRequires],
  outfile: join(dist, 'cli.cjs'),
  metafile: true,
  // Loaded only by runs that verify signatures or list ECR: they stay in node_modules, required on
  // first use. undici and re2js go to the bundles built below.
  external: ['@aws-sdk/*', '@sigstore/*', ...CHUNK_PACKAGES.flatMap((name) => [name, `${name}/*`])],
  // The one import.meta.url in src/ finds ../package.json; the bundle sits where main.js did.
  define: { 'import.meta.url': '__moduleUrl' },
  banner: { js: 'var __moduleUrl = require("node:url").pathToFileURL(__filename).href;' },
});

// Each specifier the CLI bundle left to require() that one of our bundles exports, by bundle.
const chunks = new Map();
for (const output of Object.values(cli.metafile.outputs)) {
  for (const { path, external } of output.imports) {
    const chunk = external ? chunkNameOf(path) : undefined;
    if (chunk) chunks.set(chunk, new Set([...(chunks.get(chunk) ?? []), path]));
  }
}
for (const [chunk, specifiers] of chunks) {
  await build({
    ...common,
    stdin: {
      // Getters, so each module still starts on its own first require, as it did inside the CLI bundle.
      contents: [...specifiers].map((s) => `Object.defineProperty(exports, ${JSON.stringify(s)}, { enumerable: true, get: () => require(${JSON.stringify(s)}) });`).join('\n'),
      resolveDir: root,
      sourcefile: `${chunk}-exports.js`,
      loader: 'js',
    },
    plugins: [lazyRequires],
    outfile: join(dist, `${chunk}.cjs`),
  });
}

await build({
  entryPoints: [join(root, 'src', 'launcher.ts')],
  outfile: join(dist, 'main.js'),
  platform: 'node',
  // CommonJS, with dist/package.json saying so: Node then starts without its ES module loader,
  // which cost ~6 ms of every run.
  format: 'cjs',
  target: 'node20',
  define: {
    'import.meta.url': '__launcherUrl',
    __BUNDLE_CHUNKS__: JSON.stringify(Object.fromEntries([...chunks].flatMap(([chunk, specifiers]) => [...specifiers].map((s) => [s, chunk])))),
  },
  banner: { js: 'var __launcherUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});
writeFileSync(join(dist, 'package.json'), '{ "type": "commonjs" }\n');
chmodSync(join(dist, 'main.js'), 0o755);

const bundles = ['cli', ...chunks.keys()];
// V8 keeps a source with one non-ASCII character as two-byte text: twice the memory, slower to read.
for (const name of bundles) {
  const bundleBytes = readFileSync(join(dist, `${name}.cjs`));
  const nonAscii = bundleBytes.findIndex((byte) => byte > 0x7f);
  if (nonAscii !== -1) {
    const line = bundleBytes.subarray(0, nonAscii).toString('latin1').split('\n').length;
    process.stderr.write(`bundle: dist/${name}.cjs has a non-ASCII character on line ${line}; write it as an escape in the source\n`);
    process.exit(1);
  }
}

/*
 * The code cache holds what one run compiled, so the run should be a typical one that succeeds: a
 * Flux ImageRepository and ImagePolicy, a marked Deployment pinned through the registry client,
 * results written. Functions the warm-up never reached are compiled from source at every run.
 * The build needs no network, so the registry is a few lines of node:http on loopback that answer
 * the distribution API calls such a run makes (a tag list and a manifest); it exists only to walk
 * the code, the tests run against a real registry.
 */
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 },
  layers: [],
});
const MANIFEST_DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;
const warmUpRegistry = createServer((request, response) => {
  const path = (request.url ?? '').split('?')[0];
  if (path === '/v2/' || path === '/v2') {
    response.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' }).end('{}');
  } else if (path === '/v2/warm-up/app/tags/list') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'warm-up/app', tags: ['1.0.0', '1.1.0', 'latest'] }));
  } else if (path.startsWith('/v2/warm-up/app/manifests/')) {
    response.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': MANIFEST_DIGEST, 'content-length': Buffer.byteLength(MANIFEST) });
    response.end(request.method === 'HEAD' ? undefined : MANIFEST);
  } else {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN","message":"unknown"}]}');
  }
});
await new Promise((resolve) => warmUpRegistry.listen(0, '127.0.0.1', resolve));
const registryHost = `127.0.0.1:${warmUpRegistry.address().port}`;

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
          image: ${registryHost}/warm-up/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
- apiVersion: image.toolkit.fluxcd.io/v1
  kind: ImageRepository
  metadata:
    name: app
    namespace: flux-system
  spec:
    image: ${registryHost}/warm-up/app
    interval: 5m
- apiVersion: image.toolkit.fluxcd.io/v1
  kind: ImagePolicy
  metadata:
    name: app
    namespace: flux-system
  spec:
    imageRepositoryRef:
      name: app
    filterTags:
      pattern: '^[0-9.]+$'
    policy:
      semver:
        range: '>=1.0.0'
`;
const scratch = mkdtempSync(join(tmpdir(), 'aip-code-cache-'));
try {
  const run = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dist, 'main.js'), '--timeout', '20s'], {
      env: { ...process.env, APPLY_IMAGE_POLICIES_WRITE_CODE_CACHE: dist, XDG_CACHE_HOME: scratch, HOME: scratch, DOCKER_CONFIG: scratch },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', reject).on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(WARM_UP);
  });
  // A cache of a run that failed early would hold little: the warm-up must have pinned, through
  // the registry client and a tag filter, so that every bundle was loaded and has its cache.
  const missing = bundles.filter((name) => !existsSync(join(dist, `${name}.cache`)));
  if (run.status !== 0 || !run.stdout.includes(`${registryHost}/warm-up/app:1.1.0@${MANIFEST_DIGEST}`) || missing.length > 0) {
    if (missing.length > 0) process.stderr.write(`bundle: the code-cache run wrote no cache for ${missing.join(', ')}\n`);
    process.stderr.write(`bundle: the code-cache run did not pin (exit ${run.status}):\n${run.stderr}`);
    process.exit(1);
  }
} finally {
  warmUpRegistry.close();
  rmSync(scratch, { recursive: true, force: true });
}

/*
 * A fresh Node, with no flag set, must accept each cache the way src/launcher.ts offers it (the
 * same wrapper around the bundle); a cache V8 refuses costs every run a full compile, silently.
 */
for (const name of bundles) {
  const accepted = spawnSync(
    process.execPath,
    [
      '-e',
      `const { readFileSync } = require('node:fs');
const { Script } = require('node:vm');
const source = readFileSync(process.argv[1], 'latin1');
const script = new Script('(function (exports, require, module, __filename, __dirname) {' + source + '\\n})', { filename: process.argv[1], cachedData: readFileSync(process.argv[2]) });
process.exit(script.cachedDataRejected ? 1 : 0);`,
      join(dist, `${name}.cjs`),
      join(dist, `${name}.cache`),
    ],
    { stdio: 'inherit' },
  );
  if (accepted.status !== 0) {
    process.stderr.write(`bundle: V8 refuses dist/${name}.cache in a run with default flags\n`);
    process.exit(1);
  }
}
const kib = (file) => `${(statSync(join(dist, file)).size / 1024).toFixed(0)} KiB`;
process.stdout.write(`bundle: ${bundles.map((name) => `dist/${name}.cjs ${kib(`${name}.cjs`)}, code cache ${kib(`${name}.cache`)}`).join('; ')}\n`);
