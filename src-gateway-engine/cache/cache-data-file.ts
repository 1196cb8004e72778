import { open, type FileHandle } from 'node:fs/promises';
import { constants, writeSync } from 'node:fs';
import { SyncFirstGate, readFully, readFullySync } from './sync-first-io.js';

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

/**
 * The real opener: O_RDWR | O_CREAT, never O_APPEND (positional writes must stay positional).
 * Small reads and writes are sync-first (see sync-first-io.ts): a warm slot is one `pread`
 * on the event loop, not a thread-pool round trip.
 */
export const openCacheDataFile: CacheDataFileOpener = async (path) => {
  const handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  return new NodeCacheDataFile(handle);
};

class NodeCacheDataFile implements CacheDataFile {
  private readonly reads = new SyncFirstGate();
  // Dirtying a clean page can wait for its writeback; allow more before falling back.
  private readonly writes = new SyncFirstGate({ slowMicros: 300 });

  constructor(private readonly handle: FileHandle) {}

  read(buffer: Buffer, position: number): Promise<number> {
    return this.reads.run(buffer.length, () => readFullySync(this.handle.fd, buffer, position), () => readFully(this.handle, buffer, position));
  }

  write(buffer: Buffer, position: number): Promise<void> {
    return this.writes.run(buffer.length, () => this.writeSync(buffer, position), () => this.writeAsync(buffer, position));
  }

  private writeSync(buffer: Buffer, position: number): void {
    const fd = this.handle.fd;
    let done = 0;
    while (done < buffer.length) {
      const n = writeSync(fd, buffer, done, buffer.length - done, position + done);
      if (n === 0) throw Object.assign(new Error('cache data file: write made no progress'), { code: 'ENOSPC' });
      done += n;
    }
  }

  private async writeAsync(buffer: Buffer, position: number): Promise<void> {
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
