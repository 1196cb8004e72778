/**
 * Uploaded segments' files, kept to hold later segments (databases recycle WAL files alike).
 *
 * Why: appending to a new file lands every byte on fresh page-cache pages and new disk
 * blocks. The kernel allocates and zeroes the pages (a VM that gave its free memory back to
 * the host also faults each one in from the host on first touch) and ext4 allocates extents,
 * whose metadata the next fdatasync must commit through the journal. Overwriting an uploaded
 * segment's file reuses its cached pages and its blocks. On the bench VM: 4 KiB random writes
 * at QD32 over NBD went from 56-65k to 107-110k IOPS, 1 MiB sequential writes from 335-372 to
 * 924 MB/s (docs/performance.md).
 *
 * A released segment's file is renamed `<segmentNo>.free` and kept while the log's capacity
 * has room for it, and at most a sixteenth of the machine's memory in all; the log takes the
 * most recently kept one (the likeliest still cached) for its next segment. The bound is
 * there because a kept file's pages stay in the page cache, where their uploaded content is
 * of no use, and push out what is: with kept files bounded only by a 24 GiB upload buffer,
 * the bench's sequential writes left them holding gigabytes, the page cache ran full, and the
 * random reads after it fetched 156 MB (QD1) and 770 MB (QD32) of the read cache back from
 * the disk (tgt: 14 and 6 MB); bounded, 1.4 and 8.4 MB (docs/performance.md).
 *
 * The old records stay behind the new ones, which is why records carry their segment's tag
 * (write-log-format.ts) and replay stops at the first that does not.
 */
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { freeFileName, parseFreeFileName } from './write-log-format.js';

export interface KeptFile {
  path: string;
  bytes: number;
}

export class RecycledSegmentFiles {
  /** Oldest first: take() hands out the newest, trimTo() deletes the oldest. */
  private readonly files: KeptFile[] = [];
  private keptBytes = 0;
  /** The highest segment number a kept file was named after when loaded (0 when none). */
  newestSegmentNo = 0;

  private constructor(private readonly dir: string) {}

  /** The files a previous process kept in `dir` (listed in `names`), oldest first. */
  static async load(dir: string, names: readonly string[]): Promise<RecycledSegmentFiles> {
    const kept = new RecycledSegmentFiles(dir);
    const numbers = names.flatMap((n) => {
      const no = parseFreeFileName(n);
      return no === undefined ? [] : [no];
    });
    for (const no of numbers.sort((a, b) => a - b)) {
      const path = join(dir, freeFileName(no));
      const st = await stat(path).catch(() => undefined);
      if (st?.isFile()) kept.push({ path, bytes: st.size });
      kept.newestSegmentNo = no;
    }
    return kept;
  }

  /** Bytes of disk the kept files hold. */
  get bytes(): number {
    return this.keptBytes;
  }

  get count(): number {
    return this.files.length;
  }

  /**
   * Keep the file at `path` (segment `segmentNo`, no longer needed) for reuse if the kept
   * files, it included, stay within `maxBytes`; else delete it. Either way the segment's name
   * is gone afterwards.
   */
  async offer(path: string, segmentNo: number, bytes: number, maxBytes: number): Promise<void> {
    if (this.keptBytes + bytes > maxBytes) {
      await rm(path, { force: true });
      return;
    }
    const keptPath = join(this.dir, freeFileName(segmentNo));
    try {
      await rename(path, keptPath);
    } catch {
      await rm(path, { force: true });
      return;
    }
    this.push({ path: keptPath, bytes });
  }

  /** The most recently kept file, now the caller's (undefined when none is kept). */
  take(): KeptFile | undefined {
    const file = this.files.pop();
    if (file) this.keptBytes -= file.bytes;
    return file;
  }

  /** Delete the oldest kept files until at most `maxBytes` are kept. */
  async trimTo(maxBytes: number): Promise<void> {
    while (this.files.length > 0 && this.keptBytes > maxBytes) {
      const file = this.files.shift()!;
      this.keptBytes -= file.bytes;
      await rm(file.path, { force: true });
    }
  }

  private push(file: KeptFile): void {
    this.files.push(file);
    this.keptBytes += file.bytes;
  }
}
