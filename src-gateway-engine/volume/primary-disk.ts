/**
 * The local primary disk of a stored volume: a file (created sparse) or a block device. The
 * write log shadows every write to it, so it is never fsynced on the write path: the log is
 * what makes a write durable; the disk is synced only before log segments are deleted.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { readFully } from '../cache/sync-first-io.js';

export class PrimaryDisk {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  /** Open or create the disk; a file smaller than `sizeBytes` is extended (sparse). */
  static async open(path: string, sizeBytes: number): Promise<PrimaryDisk> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r+').catch(async (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return open(path, 'w+');
        throw err;
      });
    } catch (err) {
      throw new TidegateError(ErrorCode.IoError, `cannot open stored-volume disk ${path}: ${(err as Error).message}`, { cause: err });
    }
    const st = await stat(path);
    if (st.isFile() && st.size < sizeBytes) await fh.truncate(sizeBytes);
    if (!st.isFile() && !st.isBlockDevice()) {
      await fh.close();
      throw new TidegateError(ErrorCode.InvalidArgument, `${path} is neither a file nor a block device`);
    }
    return new PrimaryDisk(path, fh);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(length);
    const done = await readFully(this.fh, out, offset);
    if (done < length) out.fill(0, done); // past the end of a short file: zeroes
    return out;
  }

  async write(offset: number, data: Buffer): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
  }

  /** Write zeroes over a range, a chunk at a time. */
  async zero(offset: number, length: number): Promise<void> {
    const chunk = Buffer.alloc(Math.min(length, 1 << 20));
    for (let done = 0; done < length; done += chunk.length) {
      const n = Math.min(chunk.length, length - done);
      await this.write(offset + done, n === chunk.length ? chunk : chunk.subarray(0, n));
    }
  }

  async sync(): Promise<void> {
    await this.fh.datasync();
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
