#!/usr/bin/env node
// Writes fn-config/schema/apply-image-policies.schema.json from the schema the function itself
// validates with (src/config/schema.ts, compiled by tsc under node_modules/.cache), so editors (yaml-language-server) and
// the function can never disagree. Runs after `tsc` in `npm run build`.
//   --check   write nothing; exit 1 when the committed file is stale.
import { writeOrCheck } from './generated-file.mjs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'fn-config', 'schema', 'apply-image-policies.schema.json');
const { functionConfigSchema } = await import(pathToFileURL(join(root, 'node_modules', '.cache', 'apply-image-policies', 'modules', 'config', 'schema.js')).href);
const text = `${JSON.stringify(functionConfigSchema, null, 2)}\n`;

writeOrCheck(target, text, `${target} is stale: run \`npm run build\` and commit it`);
