#!/usr/bin/env node
/**
 * The installed command: runs the bundled CLI (dist/cli.cjs, built from src/main.ts by
 * scripts/bundle.mjs) from V8's code cache (dist/cli.cache, written at build time), and the
 * bundles of the dependencies it loads on first use the same way.
 *
 * A pin costs about one Node start only if the function adds little to it. Loading ~100 ES
 * modules cost ~100 ms in resolution alone, which the bundle removes; compiling the bundle's
 * 1.5 MB cost another ~40 ms, which the code cache removes: V8 deserializes the functions a
 * typical run compiled instead of parsing their source again. Node 20 has no code cache for ES
 * modules (`module.enableCompileCache` is Node 22), so the bundle is CommonJS run through
 * `vm.Script`, which takes `cachedData`.
 *
 * V8 refuses a cache made by another V8 version or with other flags (`cachedDataRejected`); the
 * bundle then compiles from source as usual, only slower. Nothing here decides behaviour.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script, constants as vmConstants } from 'node:vm';

/*
 * Dependencies only some runs load (undici for a run that reaches a registry, re2js for a tag
 * filter) are bundles of their own beside cli.cjs, each with its code cache: a run the cache
 * answers then reads and deserializes none of them. The build fills this in: each specifier the
 * CLI bundle left to `require`, with the bundle that exports it.
 */
declare const __BUNDLE_CHUNKS__: Record<string, string>;
const chunkOf: Record<string, string> = typeof __BUNDLE_CHUNKS__ === 'object' ? __BUNDLE_CHUNKS__ : {};

const dist = fileURLToPath(new URL('.', import.meta.url));
// Set by the build's warm-up run only: the directory to write each bundle's cache to, at exit.
const writeCacheTo = process.env.APPLY_IMAGE_POLICIES_WRITE_CODE_CACHE;
const compiled: Array<{ script: Script; cache: string }> = [];

/** Runs `dist/<name>.cjs` as Node runs a CommonJS module, from `dist/<name>.cache` when there is one. */
function runBundle(name: string, module: { exports: object }): void {
  const filename = `${dist}${name}.cjs`;
  const cache = `${dist}${name}.cache`;
  let cachedData: Buffer | undefined;
  if (writeCacheTo === undefined) {
    try {
      cachedData = readFileSync(cache);
    } catch {
      // No cache (a build without one): compile from source.
    }
  }
  // The same wrapper Node gives a CommonJS module, so the bundle sees require, module and __filename.
  // latin1 reads the bytes as they are, faster than decoding UTF-8; the build fails on a non-ASCII bundle.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(filename, 'latin1')}\n})`, {
    filename,
    ...(cachedData ? { cachedData } : {}),
    // Node < 20.12 lacks the constant; the bundle's own import() calls are all compiled to require().
    ...(vmConstants?.USE_MAIN_CONTEXT_DEFAULT_LOADER ? { importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
  });
  if (writeCacheTo !== undefined) compiled.push({ script, cache: `${writeCacheTo}/${name}.cache` });
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  run(module.exports, bundleRequire, module, filename, dist);
}

const loaded = new Map<string, { exports: Record<string, unknown> }>();
const nodeRequire = createRequire(`${dist}cli.cjs`);
/** Node's require, except for the specifiers a bundle of ours exports. */
const bundleRequire: NodeJS.Require = Object.assign((id: string): unknown => {
  const chunk = chunkOf[id];
  if (chunk === undefined) return nodeRequire(id);
  let module = loaded.get(chunk);
  if (!module) {
    // As Node does for a module: known before it runs (a cycle sees its exports so far), forgotten if it throws.
    loaded.set(chunk, (module = { exports: {} }));
    try {
      runBundle(chunk, module);
    } catch (error) {
      loaded.delete(chunk);
      throw error;
    }
  }
  if (!(id in module.exports)) throw new Error(`dist/${chunk}.cjs does not export ${id}: rebuild with npm run build`);
  return module.exports[id];
}, nodeRequire);

if (writeCacheTo !== undefined) {
  // After the run, so each cache holds every function the run compiled, not only the top level.
  process.once('exit', () => {
    /*
     * V8 accepts a code cache only under the flags it was made with. The registry code sets
     * --liftoff-only when it loads (src/registry/dispatcher.ts says why), which this run did and
     * a run the cache answers never does. The CLI's cache and undici's are read before that,
     * under default flags, so the caches are made under them too: the flag and the two it turned
     * off are reset. The build checks that a default run accepts each cache. (re2js is read when
     * a policy's patterns are prepared, before the registry code loads; a pattern first compiled
     * after that, as a signature identity can be, compiles re2js from source: slower, never
     * different.)
     * node:v8 loads at build time only.
     */
    (nodeRequire('node:v8') as typeof import('node:v8')).setFlagsFromString('--no-liftoff-only --wasm-tier-up --wasm-dynamic-tiering');
    for (const { script, cache } of compiled) writeFileSync(cache, script.createCachedData());
  });
}
runBundle('cli', { exports: {} });
