/**
 * Size and free space of the filesystem holding a path (statfs), plus its device number so
 * callers can tell when the cache and the upload buffer share one filesystem.
 */
import { stat, statfs } from 'node:fs/promises';

/** One filesystem as seen from a path on it. */
export interface FilesystemSpace {
  /** Device id of the filesystem (st_dev): equal ids = the same filesystem. */
  device: number;
  totalBytes: number;
  /** Space an unprivileged process may still use (f_bavail: excludes root's reserve). */
  freeBytes: number;
}

/** statfs of the filesystem holding `path` (which must exist). */
export async function filesystemSpace(path: string): Promise<FilesystemSpace> {
  const [fs, st] = await Promise.all([statfs(path), stat(path)]);
  return { device: st.dev, totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize };
}
