/**
 * Test doubles for the cache data file: an in-memory file whose I/O can be paused and
 * interleaved (races), and a fault-injecting wrapper around any file (disk errors).
 */
import type { CacheDataFile, CacheDataFileOpener } from '../cache-data-file.js';

export type IoKind = 'read' | 'write';

/** In-memory data file. `beforeIo` is awaited before each piece of a read or write is copied. */
export class MemoryDataFile implements CacheDataFile {
  bytes = Buffer.alloc(0);
  /** Copy reads and writes in two halves, each preceded by `beforeIo` (exposes torn I/O). */
  splitHalves = false;
  beforeIo: ((kind: IoKind, position: number) => Promise<void>) | undefined;
  closed = false;

  async read(buffer: Buffer, position: number): Promise<number> {
    const pieces = this.pieces(buffer.length);
    let done = 0;
    for (const len of pieces) {
      await this.beforeIo?.('read', position);
      this.checkOpen();
      const start = position + done;
      const avail = Math.max(0, Math.min(len, this.bytes.length - start));
      this.bytes.copy(buffer, done, start, start + avail);
      done += avail;
      if (avail < len) break;
    }
    return done;
  }

  async write(buffer: Buffer, position: number): Promise<void> {
    let done = 0;
    for (const len of this.pieces(buffer.length)) {
      await this.beforeIo?.('write', position);
      this.checkOpen();
      const end = position + done + len;
      if (end > this.bytes.length) {
        const bigger = Buffer.alloc(end);
        this.bytes.copy(bigger);
        this.bytes = bigger;
      }
      buffer.copy(this.bytes, position + done, done, done + len);
      done += len;
    }
  }

  async datasync(): Promise<void> {
    this.checkOpen();
  }

  async truncate(length: number): Promise<void> {
    this.checkOpen();
    this.bytes = this.bytes.subarray(0, Math.min(length, this.bytes.length));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** An opener that always hands out this file (reopened). */
  opener(): CacheDataFileOpener {
    return async () => {
      this.closed = false;
      return this;
    };
  }

  private pieces(length: number): number[] {
    if (!this.splitHalves) return [length];
    const half = Math.floor(length / 2);
    return [half, length - half];
  }

  private checkOpen(): void {
    if (this.closed) throw Object.assign(new Error('EBADF: file closed'), { code: 'EBADF' });
  }
}

/** Which operations fail, with which errno code. */
export interface Faults {
  read?: string;
  write?: string;
  datasync?: string;
  /** Awaited before each read or write reaches the file (to hold I/O open). */
  beforeIo?: (kind: IoKind, position: number) => Promise<void>;
}

/** Wraps an opener; faults and the hook can be changed while the cache runs. `files` are the raw files opened. */
export function faultyOpener(inner: CacheDataFileOpener, faults: Faults): { opener: CacheDataFileOpener; files: CacheDataFile[] } {
  const files: CacheDataFile[] = [];
  const fail = (code: string) => Object.assign(new Error(`${code}: injected fault`), { code });
  const opener: CacheDataFileOpener = async (path) => {
    const file = await inner(path);
    files.push(file);
    return {
      read: async (buffer, position) => {
        await faults.beforeIo?.('read', position);
        if (faults.read) throw fail(faults.read);
        return file.read(buffer, position);
      },
      write: async (buffer, position) => {
        await faults.beforeIo?.('write', position);
        if (faults.write) throw fail(faults.write);
        return file.write(buffer, position);
      },
      datasync: () => (faults.datasync ? Promise.reject(fail(faults.datasync)) : file.datasync()),
      truncate: (length) => file.truncate(length),
      close: () => file.close(),
    };
  };
  return { opener, files };
}

/** A promise with its resolve function exposed. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
