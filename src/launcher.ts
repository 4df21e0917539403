#!/usr/bin/env node
/**
 * The installed command: runs the bundled CLI (dist/cli.cjs, built from src/main.ts by
 * scripts/bundle.mjs) from V8's code cache (dist/cli.cache, written at build time).
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

const bundle = new URL('./cli.cjs', import.meta.url);
const codeCache = new URL('./cli.cache', import.meta.url);

const writeCacheTo = process.env.APPLY_IMAGE_POLICIES_WRITE_CODE_CACHE;
let cachedData: Buffer | undefined;
if (writeCacheTo === undefined) {
  try {
    cachedData = readFileSync(codeCache);
  } catch {
    // No cache (a build without one): compile from source.
  }
}

const filename = fileURLToPath(bundle);
// The same wrapper Node gives a CommonJS module, so the bundle sees require, module and __filename.
// latin1 reads the bytes as they are, faster than decoding UTF-8; the build fails on a non-ASCII bundle.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, 'latin1')}\n})`, {
  filename,
  ...(cachedData ? { cachedData } : {}),
  // Node < 20.12 lacks the constant; the bundle's own import() calls are all compiled to require().
  ...(vmConstants?.USE_MAIN_CONTEXT_DEFAULT_LOADER ? { importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
});
if (writeCacheTo !== undefined) {
  // After the run, so the cache holds every function the run compiled, not only the top level.
  process.once('exit', () => {
    /*
     * V8 accepts a code cache only under the flags it was made with. The registry code sets
     * --liftoff-only when it loads (src/registry/dispatcher.ts says why), which this run did and
     * a run the cache answers never does; every run reads the cache before that, under default
     * flags, so the cache is made under them too: the flag and the two it turned off are reset.
     * The build checks that a default run accepts the cache. node:v8 loads at build time only.
     */
    (createRequire(filename)('node:v8') as typeof import('node:v8')).setFlagsFromString('--no-liftoff-only --wasm-tier-up --wasm-dynamic-tiering');
    writeFileSync(writeCacheTo, script.createCachedData());
  });
}
const module = { exports: {} };
const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
run(module.exports, createRequire(filename), module, filename, fileURLToPath(new URL('.', bundle)));
