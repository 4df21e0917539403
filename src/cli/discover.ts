import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';

/** Flux's image automation reads the same files: YAML by extension, plus kustomize's `Kustomization`. */
export function isManifestFile(path: string): boolean {
  const name = basename(path);
  return name.endsWith('.yaml') || name.endsWith('.yml') || name === 'Kustomization';
}

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules', '.hg', '.svn']);

/**
 * Expands the paths a user (or pre-commit) gave into manifest files, each once however it was
 * spelled (`a.yaml`, `./a.yaml`, a folder holding it): two copies of one file would be written
 * twice. A file named explicitly is taken whatever its extension: the user asked for it.
 */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const found = new Map<string, string>();
  const add = (path: string): void => {
    if (!found.has(resolve(path))) found.set(resolve(path), path);
  };
  for (const path of paths) {
    const info = await stat(path);
    if (info.isDirectory()) {
      for (const file of await walk(path)) add(file);
    } else {
      add(path);
    }
  }
  return [...found.values()].sort();
}

async function walk(directory: string): Promise<string[]> {
  const files: string[] = [];
  const entries = await readdir(directory, { withFileTypes: true });
  for (const entry of entries) {
    const full = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) files.push(...(await walk(full)));
    } else if (entry.isFile() && isManifestFile(entry.name)) {
      files.push(full);
    }
  }
  return files;
}

export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}
