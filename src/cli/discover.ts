import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import ignore, { type Ignore } from 'ignore';

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

/** A folder's `.krmignore` rules (gitignore syntax), applied below that folder. */
interface IgnoreRules {
  root: string;
  rules: Ignore;
}

/**
 * kpt reads a package's `.krmignore` and never shows the function what it lists (the examples'
 * `.expected/` copies, say); file mode on the same folder must see the same files, or a
 * second copy of every policy would be a duplicate definition.
 */
async function walk(directory: string, inherited: readonly IgnoreRules[] = []): Promise<string[]> {
  const files: string[] = [];
  const entries = await readdir(directory, { withFileTypes: true });
  const own = entries.some((entry) => entry.isFile() && entry.name === '.krmignore')
    ? [...inherited, { root: directory, rules: ignore().add(await readFile(join(directory, '.krmignore'), 'utf8')) }]
    : inherited;
  const ignored = (full: string, isDirectory: boolean): boolean =>
    own.some(({ root, rules }) => rules.ignores(relative(root, full).split('\\').join('/') + (isDirectory ? '/' : '')));
  for (const entry of entries) {
    const full = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name) && !ignored(full, true)) files.push(...(await walk(full, own)));
    } else if (entry.isFile() && isManifestFile(entry.name) && !ignored(full, false)) {
      files.push(full);
    }
  }
  return files;
}

export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}
