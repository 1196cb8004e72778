/**
 * The one place the embedded state decides durability. `writeFileAtomic` writes a temp file
 * beside the target (mode 0600), fsyncs it, renames it over the target and fsyncs the folder.
 * Crash semantics: after it resolves the new content survives a power cut; if the process or
 * machine dies before, the old content is intact and at worst a `*.tmp` file is left behind
 * (`removeTempFiles` clears those on open). A failed write or sync rejects and leaves the old
 * file in place; callers report the failure rather than carry on as if it were stored.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';

/** Suffix of the temp files `writeFileAtomic` leaves behind only when it crashed midway. */
export const TEMP_SUFFIX = '.tmp';

/** Replaces `file` with `data` atomically and durably (file 0600). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDirectory(path.dirname(file));
}

/** Makes a rename or unlink in `dir` durable. Windows cannot fsync a folder; there NTFS journals the rename. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (process.platform === 'win32') return;
    throw err;
  } finally {
    await handle?.close();
  }
}

/** Deletes temp files a crashed `writeFileAtomic` left in `dir`. */
export async function removeTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.endsWith(TEMP_SUFFIX)) await rm(path.join(dir, name), { force: true });
  }
}
