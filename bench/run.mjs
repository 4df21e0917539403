// Entry for `npm run bench`. The benchmarks reuse the TypeScript test harness (the real registry),
// so they are compiled with tsconfig.scripts.json first; Node 20 cannot run .ts files itself.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.scripts.json')], { stdio: 'inherit', cwd: root });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const outDir = join(root, 'node_modules/.cache/apply-image-policies/scripts');
const { main } = await import(pathToFileURL(join(outDir, 'bench/main.js')).href);
process.exitCode = await main(process.argv.slice(2));
