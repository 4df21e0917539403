// How the build's generators end (gen-schema, gen-validators, build-readme): write the text they
// made, or, with --check, write nothing and exit 1 when the file is missing or differs from it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Returns whether the file was written; an unchanged file is left as it is. */
export function writeOrCheck(target, text, staleMessage) {
  let current;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // Missing counts as stale.
  }
  if (process.argv.includes('--check')) {
    if (current !== text) {
      process.stderr.write(`${staleMessage}\n`);
      process.exit(1);
    }
    return false;
  }
  if (current === text) return false;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  return true;
}
