/**
 * Small files only this user may read (the gateway's key, its control-plane credentials),
 * written atomically: a temp file in the same folder, fsynced, then renamed (or linked, when
 * an existing file must win) over the final name, then the folder fsynced. After a crash the
 * file is either the old one or the new one, never a torn mix.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Creates `dir` (and parents) with mode 0700, and tightens it to 0700 when it already exists. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Writes `data` to `path` atomically with mode 0600. With `exclusive`, an existing file is
 * kept and the call returns false (two creators racing: the first one wins).
 */
export async function writePrivateFile(path: string, data: string | Uint8Array, options: { exclusive?: boolean } = {}): Promise<boolean> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, data, { mode: 0o600, flag: 'wx', flush: true });
  try {
    if (options.exclusive) {
      try {
        await link(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      }
    } else {
      await rename(tmp, path);
    }
  } finally {
    await rm(tmp, { force: true });
  }
  await syncDir(dir);
  return true;
}

/** Removes a file; a missing one is fine. */
export async function removePrivateFile(path: string): Promise<void> {
  await rm(path, { force: true });
  await syncDir(dirname(path));
}

/** fsync a folder so a rename in it survives power loss (best effort: some file systems refuse). */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Not every platform lets a directory be fsynced; the rename is still atomic.
  }
}
