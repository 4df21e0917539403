import { chmod, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface StagedWrite {
  path: string;
  temp: string;
}

/**
 * Writes beside the target and keeps the original's mode, so the later rename
 * is atomic (same file system) and a crash leaves either the old or the new file,
 * never half of one. Staging all files before renaming any means a failure
 * (a read-only folder, a full disk) changes no file at all.
 */
export async function stageWrite(path: string, content: Uint8Array): Promise<StagedWrite> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const { mode } = await stat(path);
  const handle = await open(temp, 'wx', mode & 0o7777);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temp, mode & 0o7777);
  return { path, temp };
}

export async function commitWrites(staged: readonly StagedWrite[]): Promise<void> {
  for (const { path, temp } of staged) await rename(temp, path);
}

export async function discardWrites(staged: readonly StagedWrite[]): Promise<void> {
  await Promise.all(staged.map(({ temp }) => rm(temp, { force: true })));
}
