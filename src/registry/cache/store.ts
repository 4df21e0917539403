/**
 * A directory of small JSON files shared by every run on the machine (pre-commit hooks, CI jobs
 * running in parallel). Each entry is written to a temp file and renamed into place, so a reader
 * sees a whole old entry or a whole new one; anything unreadable is treated as absent, never as an
 * error. When the directory cannot be created (kpt and kustomize run functions as `nobody` with
 * `HOME=/nonexistent`) the store turns itself off and says so once: a cache is an optimisation,
 * never a reason to fail.
 */
import { mkdir as mkdirCallback, readFile as readFileCallback, rename as renameCallback, rm as rmCallback, writeFile as writeFileCallback } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// fs's callback API, promisified: node:fs/promises would load a dozen modules (FileHandle,
// readline) for the few small files a run the cache answers reads.
const mkdir = promisify(mkdirCallback);
const readFile = promisify(readFileCallback);
const rename = promisify(renameCallback);
const rm = promisify(rmCallback);
const writeFile = promisify(writeFileCallback);

/** Bumped when the entry format changes; old entries are then simply not found. */
const LAYOUT = 'v1';

/**
 * An entry's file name: two 32-bit FNV-1a hashes of its key, from different starting values. The
 * name only spreads keys over files; the key stored inside is what a read trusts, so a collision
 * costs a miss, never a wrong answer. A cryptographic hash would buy nothing here and load
 * node:crypto (fifteen modules) in every run, including the ones the cache answers whole. Entries
 * under the SHA-256 names of earlier versions are not found, and are written again under these.
 */
function fileNameOf(key: string): string {
  let first = 0x811c9dc5;
  let second = 0x6c62272e;
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    first = Math.imul(first ^ unit, 0x01000193);
    second = Math.imul(second ^ unit, 0x01000193);
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return `${hex(first)}${hex(second)}.json`;
}

/** Temp files are told apart by process and by write, which is all a rename into place needs. */
let writes = 0;

export interface StoredEntry<T> {
  storedAt: number;
  value: T;
}

export interface CacheStore {
  read<T>(key: string): Promise<StoredEntry<T> | undefined>;
  write<T>(key: string, value: T): Promise<void>;
}

/** `$XDG_CACHE_HOME/apply-image-policies`, else `~/.cache/apply-image-policies`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'apply-image-policies');
}

export interface FileStoreOptions {
  /** Told once why the cache is off for this run. */
  onUnavailable?: (message: string) => void;
  now?: () => number;
}

export function fileCacheStore(dir: string, options: FileStoreOptions = {}): CacheStore {
  const now = options.now ?? Date.now;
  const root = join(dir, LAYOUT);
  let ready: Promise<boolean> | undefined;
  let off = false;
  const disable = (why: string) => {
    if (off) return;
    off = true;
    options.onUnavailable?.(`cache directory ${dir} is not usable (${why}); running without a persistent cache`);
  };
  const ensureDir = () =>
    (ready ??= mkdir(root, { recursive: true }).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        disable(error.code ?? error.message);
        return false;
      },
    ));
  const fileOf = (key: string) => join(root, fileNameOf(key));

  return {
    async read<T>(key: string): Promise<StoredEntry<T> | undefined> {
      if (off) return undefined;
      try {
        const parsed = JSON.parse(await readFile(fileOf(key), 'utf8')) as { key?: unknown; storedAt?: unknown; value?: unknown };
        // The key inside guards against a truncated or foreign file under the right name.
        if (parsed.key !== key || typeof parsed.storedAt !== 'number' || parsed.value === undefined) return undefined;
        return { storedAt: parsed.storedAt, value: parsed.value as T };
      } catch {
        return undefined;
      }
    },
    async write<T>(key: string, value: T): Promise<void> {
      if (off || !(await ensureDir())) return;
      const file = fileOf(key);
      const temp = `${file}.${process.pid}.${++writes}.tmp`;
      try {
        await writeFile(temp, JSON.stringify({ key, storedAt: now(), value }), { mode: 0o600 });
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true }).catch(() => {});
        disable((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      }
    },
  };
}
