import { open, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';

/**
 * The cache data file as the cache sees it: positional reads and writes of whole slots.
 * It is the seam for fault injection — tests (and a fault filter) pass their own opener
 * to `BlockCache.open` and wrap the real file.
 */
export interface CacheDataFile {
  /** Read into `buffer` from `position`; resolves with the bytes read (short only at end of file). */
  read(buffer: Buffer, position: number): Promise<number>;
  /** Write all of `buffer` at `position`. */
  write(buffer: Buffer, position: number): Promise<void>;
  /** Make every completed write durable (fdatasync). */
  datasync(): Promise<void>;
  /** Set the file length (0 drops every slot and makes the file sparse again). */
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating if missing) the data file at `path` for positional reads and writes. */
export type CacheDataFileOpener = (path: string) => Promise<CacheDataFile>;

/** The real opener: O_RDWR | O_CREAT, never O_APPEND (positional writes must stay positional). */
export const openCacheDataFile: CacheDataFileOpener = async (path) => {
  const handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  return new NodeCacheDataFile(handle);
};

class NodeCacheDataFile implements CacheDataFile {
  constructor(private readonly handle: FileHandle) {}

  async read(buffer: Buffer, position: number): Promise<number> {
    // One positional read almost always does it; loop only on a short read.
    let done = (await this.handle.read(buffer, 0, buffer.length, position)).bytesRead;
    if (done === buffer.length || done === 0) return done;
    while (done < buffer.length) {
      const { bytesRead } = await this.handle.read(buffer, done, buffer.length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  async write(buffer: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < buffer.length) {
      const { bytesWritten } = await this.handle.write(buffer, done, buffer.length - done, position + done);
      if (bytesWritten === 0) throw Object.assign(new Error('cache data file: write made no progress'), { code: 'ENOSPC' });
      done += bytesWritten;
    }
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
