import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Every entry below `dir` that is not a folder (files, links, anything else), as paths relative
 * to `dir`, in the order the folders list them. The before/after snapshots of the kpt, file-mode
 * and failure suites and the scans of caches and homes all walk a tree this way.
 */
export function filesBelow(dir: string): string[] {
  const files: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(relative(dir, full));
    }
  };
  walk(dir);
  return files;
}
