import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Copies a committed fixture folder (flat) to `to`, replacing the registry it names with the test
 * registry's address: every other byte stays as users see it in the docs.
 */
export function copyFixture(from: string, to: string, registry: { named: string; actual: string }): string {
  cpSync(from, to, { recursive: true });
  for (const file of readdirSync(to)) {
    const path = join(to, file);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll(registry.named, registry.actual));
  }
  return to;
}
