import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';

const ROOT = dirname(fileURLToPath(import.meta.url));
const SCHEMA_MESSAGES = join(ROOT, 'src', 'validation', 'schema-messages.ts');
const PRECOMPILED = join(ROOT, 'node_modules', '.cache', 'apply-image-policies', 'modules', 'validation', 'precompiled.js');

/**
 * src/validation/precompiled.js has no source: `npm run build` generates it beside tsc's output
 * under node_modules/.cache (scripts/gen-validators.mjs), so tests of src/ use the one the last
 * build wrote, as the bundle does. A
 * schema edited since then has no validator there, and validateAgainst throws saying so.
 */
function precompiledValidators(): Plugin {
  return {
    name: 'precompiled-validators',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source !== './precompiled.js' || importer === undefined || resolve(importer) !== SCHEMA_MESSAGES) return null;
      if (!existsSync(PRECOMPILED)) this.error(`${PRECOMPILED} is missing: run \`npm run build\` before the tests`);
      return PRECOMPILED;
    },
  };
}

export default defineConfig({
  plugins: [precompiledValidators()],
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real registries and run kpt/kustomize; two cores only.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
