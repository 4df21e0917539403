/**
 * A directory of small JSON files shared by every run on the machine (pre-commit hooks, CI jobs
 * running in parallel). Each entry is written to a temp file and renamed into place, so a reader
 * sees a whole old entry or a whole new one; anything unreadable is treated as absent, never as an
 * error. When the directory cannot be created (kpt and kustomize run functions as `nobody` with
 * `HOME=/nonexistent`) the store turns itself off and says so once: a cache is an optimisation,
 * never a reason to fail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Bumped when the entry format changes; old entries are then simply not found. */
const LAYOUT = 'v1';

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
  const fileOf = (key: string) => join(root, `${createHash('sha256').update(key).digest('hex')}.json`);

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
      const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
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
