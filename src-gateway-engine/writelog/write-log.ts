/**
 * The write log (AWS calls it the upload buffer): DURABILITY IS DECIDED HERE, AND ONLY HERE.
 *
 * Every change to a volume is appended here, in sequence order, before it is acknowledged.
 * Appends are group-committed: one writer loop takes every pending record, writes them with
 * one writev at the end of the current segment (on the thread pool when large), and calls fdatasync once if any of them asked
 * for durability (FUA, or a FLUSH via `sync()`), or on every batch with syncPolicy 'always'.
 *
 * Crash semantics, in plain words:
 * - syncPolicy 'flush' (default): a write acknowledged without FUA is in the OS page cache. It
 *   survives kill -9 of the engine, but not power loss. A FUA write, and every write acked
 *   before an acked flush, survives both.
 * - syncPolicy 'always': every acknowledged write survives power loss; slower.
 * - Replay stops at the first record that is torn, fails its CRC or breaks the sequence, and
 *   discards everything after it (later segments too), so what survives is always a prefix.
 *   One exception, which loses nothing: when the next segment goes on with exactly the next
 *   sequence number, what followed the last whole record was not part of the log (a recycled
 *   file's old bytes whose truncation at seal did not reach the disk), and replay goes on.
 * - A failed write or fdatasync fail-stops the log (fsyncgate: the page cache can no longer be
 *   trusted): every pending and later append fails with VOLUME_FAILED until a restart replays.
 * - A full disk when a new segment is needed is not a fail-stop (nothing written is at stake):
 *   the appends waiting for it fail with NO_SPACE, and later appends try again.
 *
 * Segments: the open segment takes appends; at `segmentBytes` (or on `seal()`) it is fsynced,
 * closed and handed to the uploader. The next segment (prepared ahead of need) takes appends
 * while the full one is fsynced; a third waits for that sync. Sealed segments are deleted by `releaseThrough(seq)` once
 * the object store holds a recovery point covering them. The bytes of all segments on disk
 * count against `capacityBytes`; an append that does not fit waits (back-pressure), it never
 * fails for fullness.
 *
 * Released segments' files are kept, while the capacity has room for them, to hold later
 * segments (recycled-segment-files.ts says why). Such a file is truncated to its records when
 * sealed; until then its old bytes follow the new records, and records carry their segment's
 * tag so that replay never takes an old one for a new one.
 */
import { mkdir, open, readdir, readFile, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import { writevSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ENGINE_DEFAULTS } from '../config/defaults.js';
import { ErrorCode, TidegateError, errnoCode } from '../errors/index.js';
import { SyncFirstGate, readFully, readFullySync } from '../cache/sync-first-io.js';
import {
  RECORD_HEADER_BYTES,
  RECORD_MAGIC,
  RecordKind,
  SEGMENT_FLAG_RECYCLED,
  SEGMENT_FORMAT_VERSION,
  SEGMENT_FORMAT_VERSION_UNTAGGED,
  SEGMENT_HEADER_BYTES,
  SEGMENT_SIGNATURE,
  parseSegmentFileName,
  recordSegmentTag,
  segmentFileName,
} from './write-log-format.js';
import { SegmentRecords, type LogRecord } from './segment-records.js';
import { RecycledSegmentFiles } from './recycled-segment-files.js';

/** Batches from this size on are appended through the thread pool (see writeBatches). */
const ASYNC_APPEND_BYTES = 256 * 1024;

/** The page size the kernel caches files in (4 KiB on the platforms Tidegate runs on). */
const PAGE_BYTES = 4096;
/** Zeros that finish a batch's last page inside a recycled file (see pageTail). */
const ZERO_PAGE = Buffer.alloc(PAGE_BYTES);

export type { LogRecord } from './segment-records.js';

/** A sealed segment waiting for upload. */
export interface SealedSegment {
  segmentNo: number;
  firstSeq: number;
  lastSeq: number;
  bytes: number;
}

/** Hooks for tests to make the disk fail. */
export interface WriteLogFaults {
  failWrite?: () => boolean;
  failSync?: () => boolean;
  /** The next segment file cannot be created: the disk is full (ENOSPC). */
  failCreate?: () => boolean;
}

export interface WriteLogOptions {
  dir: string;
  capacityBytes: number;
  segmentBytes: number;
  syncPolicy: 'flush' | 'always';
  /** New records are numbered after this (the remote's newest sequence), or after the log's own newest. */
  afterSeq: number;
  /** Most bytes of uploaded segments' files kept for reuse (default: the engine's, a sixteenth of memory; see recycled-segment-files.ts). */
  keptFilesMaxBytes?: number;
  faults?: WriteLogFaults;
  onWarning?: (msg: string, fields: Record<string, unknown>) => void;
}

interface Pending {
  header: Buffer;
  data: Buffer | undefined;
  record: LogRecord;
  durable: boolean;
  resolve: (r: LogRecord) => void;
  reject: (e: unknown) => void;
}

interface OpenSegment {
  segmentNo: number;
  fh: FileHandle;
  size: number;
  /** The file's size: a recycled file's old size (else the header's), or more once page tails went past it. */
  fileBytes: number;
  firstSeq: number;
  lastSeq: number;
}

/** The result of opening a log: the log, and the records found on disk in sequence order. */
export interface OpenedWriteLog {
  log: WriteLog;
  replayed: LogRecord[];
  /** Bytes of torn or corrupt tail that replay discarded. */
  discardedBytes: number;
}

export class WriteLog {
  private readonly opts: WriteLogOptions;
  /** Bytes of disk the log may use; changeable at runtime (setCapacity). */
  private capacity: number;
  private nextSeq: number;
  private current: OpenSegment | undefined;
  private readonly sealed: SealedSegment[] = [];
  private segmentBytesOnDisk = new Map<number, number>();
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private writing = false;
  private syncWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  /** seal() callers: each wants every record up to `throughSeq` in a sealed segment. */
  private sealWaiters: Array<{ throughSeq: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  private spaceWaiters: Array<() => void> = [];
  private failure: TidegateError | undefined;
  private closed = false;
  private readHandles = new Map<number, Promise<FileHandle>>();
  /** Opened read handles, for synchronous reads (the same handles as readHandles). */
  private readFds = new Map<number, FileHandle>();
  /** Reads of recent records usually hit the page cache: try them synchronously first. */
  private readonly readGate = new SyncFirstGate();
  private nextSegmentNo: number;
  /** The next segment, created ahead of need (see openNewSegment). */
  private spare: Promise<OpenSegment> | undefined;
  /** The newest seal whose fdatasync may still be under way (each seal waits for the one before). */
  private sealInFlight: Promise<void> | undefined;

  /** Uploaded segments' files waiting to hold new segments. */
  private readonly kept: RecycledSegmentFiles;

  private constructor(opts: WriteLogOptions, nextSeq: number, nextSegmentNo: number, kept: RecycledSegmentFiles) {
    this.opts = opts;
    this.capacity = opts.capacityBytes;
    this.nextSeq = nextSeq;
    this.nextSegmentNo = nextSegmentNo;
    this.kept = kept;
  }

  /** Open (or create) a log folder and replay it. */
  static async open(opts: WriteLogOptions): Promise<OpenedWriteLog> {
    await mkdir(opts.dir, { recursive: true });
    const names = await readdir(opts.dir);
    const segmentNos = names.flatMap((n) => parseSegmentFileName(n) ?? []).sort((a, b) => a - b);
    const replayed: LogRecord[] = [];
    const sealed: SealedSegment[] = [];
    const sizes = new Map<number, number>();
    let discardedBytes = 0;
    let expectSeq: number | undefined;
    let broken = false;
    // A segment whose records ended before its bytes did. The next segment decides what that
    // was: if it goes on with exactly the next sequence number, nothing was lost there.
    let stopped: SegmentStop | undefined;
    const endLogAt = (stop: SegmentStop): void => {
      broken = true;
      if (stop.leftovers) return; // a recycled file's old bytes: nothing of this log
      discardedBytes += stop.bytes;
      opts.onWarning?.('write log: torn or corrupt tail discarded', { segmentNo: stop.segmentNo, validBytes: stop.validBytes, discardedBytes: stop.bytes, reason: stop.reason });
    };
    for (const segmentNo of segmentNos) {
      const path = join(opts.dir, segmentFileName(segmentNo));
      if (broken) {
        const buf = await readFile(path);
        // A spare (header only, or a recycled file's old bytes) holds nothing to warn about.
        if (scanSegment(buf, segmentNo, undefined).records.count > 0) {
          discardedBytes += buf.length;
          opts.onWarning?.('write log: discarding segment after a torn record', { segmentNo, bytes: buf.length });
        }
        await rm(path, { force: true });
        continue;
      }
      const buf = await readFile(path);
      const scan = scanSegment(buf, segmentNo, expectSeq);
      const found = scan.records;
      // A first record here must be expectSeq: with none, the segment before ends the log.
      if (stopped && found.count === 0) endLogAt(stopped);
      else if (stopped && !stopped.leftovers) {
        opts.onWarning?.('write log: bytes after the last record cut (the next segment goes on from it: nothing was lost)', { segmentNo: stopped.segmentNo, validBytes: stopped.validBytes, cutBytes: stopped.bytes, reason: stopped.reason });
      }
      stopped = undefined;
      for (let i = 0; i < found.count; i++) replayed.push(found.record(i));
      if (found.count > 0) expectSeq = found.seq[found.count - 1]! + 1;
      if (scan.validBytes < buf.length) {
        const stop: SegmentStop = {
          segmentNo,
          validBytes: scan.validBytes,
          bytes: buf.length - scan.validBytes,
          reason: scan.stopReason!,
          leftovers: scan.recycled && !scan.stoppedAtOwnRecord,
        };
        // With no record seen yet, no later segment can prove that nothing was lost here.
        if (expectSeq === undefined || broken) endLogAt(stop);
        else stopped = stop;
        if (scan.validBytes < SEGMENT_HEADER_BYTES) {
          await rm(path, { force: true });
          continue;
        }
        await truncate(path, scan.validBytes);
      }
      if (found.count === 0) {
        await rm(path, { force: true });
        continue;
      }
      // The previous process may have died with these records only in the page cache; they
      // are about to be served and followed by new records, so make them durable first (a
      // flush acknowledged later must not depend on pages nobody will ever sync).
      await fdatasyncFile(path);
      sizes.set(segmentNo, scan.validBytes);
      sealed.push({
        segmentNo,
        firstSeq: found.seq[0]!,
        lastSeq: found.seq[found.count - 1]!,
        bytes: scan.validBytes,
      });
    }
    if (stopped) endLogAt(stopped);
    const lastLocal = replayed.length > 0 ? replayed[replayed.length - 1]!.seq : 0;
    const nextSeq = Math.max(lastLocal, opts.afterSeq) + 1;
    const kept = await RecycledSegmentFiles.load(opts.dir, names);
    // Numbers never repeat while a file that held them exists: a record's tag must not match
    // a later segment in the same file.
    const nextSegmentNo = Math.max(0, ...segmentNos, kept.newestSegmentNo) + 1;
    const log = new WriteLog(opts, nextSeq, nextSegmentNo, kept);
    log.sealed.push(...sealed);
    log.segmentBytesOnDisk = sizes;
    await kept.trimTo(log.roomForKeptFiles());
    await fsyncDir(opts.dir);
    return { log, replayed, discardedBytes };
  }

  /** Sequence number the next append will get. */
  get nextSequence(): number {
    return this.nextSeq;
  }

  /** Newest sequence number handed out (0 when none). */
  get lastSequence(): number {
    return this.nextSeq - 1;
  }

  /** Bytes of log on disk plus bytes queued for it. */
  get usedBytes(): number {
    let total = this.pendingBytes;
    for (const b of this.segmentBytesOnDisk.values()) total += b;
    return total;
  }

  get capacityBytes(): number {
    return this.capacity;
  }

  /**
   * Change the capacity while the log runs (at least two segments). Growing lets waiting
   * writers go on at once. Shrinking below what the log holds drops nothing: appends simply
   * wait until uploads free room (the engine refuses such a shrink anyway).
   */
  setCapacity(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes < 2 * this.opts.segmentBytes) {
      throw new TidegateError(ErrorCode.InvalidArgument, `write log capacity must be an integer of at least two segments (${2 * this.opts.segmentBytes} bytes), got ${bytes}`);
    }
    this.capacity = bytes;
    this.kept.trimTo(this.roomForKeptFiles()).catch((err: unknown) => this.opts.onWarning?.('write log: could not delete a kept segment file', { error: String(err) }));
    this.wakeSpaceWaiters();
  }

  /** Bytes the kept files may hold: what the capacity leaves besides the log's records, up to their own bound. */
  private roomForKeptFiles(): number {
    return Math.min(this.capacity - this.usedBytes, this.opts.keptFilesMaxBytes ?? ENGINE_DEFAULTS.writeLog.keptFilesMaxBytes);
  }

  /** Bytes and number of uploaded segments' files kept for reuse (recycled-segment-files.ts). */
  get keptFiles(): { count: number; bytes: number } {
    return { count: this.kept.count, bytes: this.kept.bytes };
  }

  /** Appends waiting for log space (back-pressure in effect when > 0). */
  get queuedWrites(): number {
    return this.spaceWaiters.length;
  }

  /** Set once the log has fail-stopped. */
  get failed(): TidegateError | undefined {
    return this.failure;
  }

  /** Sealed segments not yet released, oldest first. */
  get sealedSegments(): readonly SealedSegment[] {
    return this.sealed;
  }

  /** True when the open segment holds records that are not sealed yet. */
  get hasUnsealedRecords(): boolean {
    return this.current !== undefined && this.current.lastSeq >= this.current.firstSeq;
  }

  /**
   * Append one record. Resolves once it is written (and, if `durable` or policy 'always',
   * fdatasynced). Records are numbered and written in call order.
   */
  async append(kind: RecordKind, offset: number, length: number, data: Buffer | undefined, durable: boolean): Promise<LogRecord> {
    this.throwIfUnusable();
    const size = RECORD_HEADER_BYTES + (data?.length ?? 0);
    if (size > this.opts.segmentBytes) {
      throw new TidegateError(ErrorCode.InvalidArgument, `write log: a ${size}-byte record exceeds the segment size ${this.opts.segmentBytes}`);
    }
    if (this.spaceWaiters.length > 0 || this.usedBytes + size > this.capacity) {
      await this.waitForSpace(size);
      this.throwIfUnusable();
    }
    const seq = this.nextSeq++;
    const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
    const dataCrc = data && data.length > 0 ? crc32(data) : 0;
    encodeRecordHeader(header, kind, seq, offset, length, dataCrc);
    const record: LogRecord = { seq, kind, offset, length, segmentNo: 0, dataPosition: 0 };
    this.pendingBytes += size;
    return new Promise<LogRecord>((resolve, reject) => {
      this.pending.push({ header, data, record, durable, resolve, reject });
      this.pump();
    });
  }

  /** Make every record appended so far durable (the FLUSH path). */
  async sync(): Promise<void> {
    this.throwIfUnusable();
    return new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      this.pump();
    });
  }

  /**
   * Seal the open segment if it holds records, so the uploader can take it. Resolves once
   * every record appended before the call is in a sealed (fdatasynced) segment. The writer
   * loop switches segments between batches and goes on appending to the next one while this
   * one is fdatasynced: a seal never stalls writers behind a sync of everything they wrote.
   */
  async seal(): Promise<void> {
    this.throwIfUnusable();
    return new Promise<void>((resolve, reject) => {
      this.sealWaiters.push({ throughSeq: this.nextSeq - 1, resolve, reject });
      this.pump();
    });
  }

  /**
   * Read every record of a sealed segment, with its data and the data's CRC-32 (verified).
   * The file is read into one buffer of its size from `allocate` (no chunk list to
   * concatenate; a caller may hand out the same memory each time, and then owns the records'
   * data views only until it does), and the scan gives the event loop back every few MiB so
   * commands keep being served meanwhile.
   */
  async readSegment(segmentNo: number, allocate: (bytes: number) => Buffer = Buffer.allocUnsafe): Promise<SegmentRecords> {
    const buf = await readWholeFile(join(this.opts.dir, segmentFileName(segmentNo)), allocate);
    const scan = await scanSegmentYielding(buf, segmentNo);
    if (scan.stopReason !== undefined) {
      // A sealed segment was whole when it was sealed (or replayed): damage since then must
      // stop the volume, never let the uploader skip what follows the damaged record.
      throw new TidegateError(
        ErrorCode.VolumeFailed,
        `write log segment ${segmentNo} is damaged at byte ${scan.validBytes} (${scan.stopReason}); the volume stopped so nothing after it is uploaded out of order`,
      );
    }
    return scan.records;
  }

  /**
   * Read `length` bytes of record data at a file position. Throws NOT_FOUND when the segment
   * was released meanwhile (the caller looks the block up again: it is in the store by then).
   */
  async readData(segmentNo: number, position: number, length: number): Promise<Buffer> {
    const fh = this.readFds.get(segmentNo) ?? (await this.openForRead(segmentNo));
    const out = Buffer.allocUnsafe(length);
    const bytesRead = await this.readGate.run(
      length,
      () => readFullySync(fh.fd, out, position),
      () => readFully(fh, out, position),
    ).catch((err: unknown) => {
      // A handle closed under the read means the segment was released (uploaded) meanwhile.
      if (!this.readHandles.has(segmentNo)) throw new TidegateError(ErrorCode.NotFound, `write log: segment ${segmentNo} is gone`, { cause: err });
      throw err;
    });
    if (bytesRead !== length) throw new TidegateError(ErrorCode.NotFound, `write log: segment ${segmentNo} is gone`);
    return out;
  }

  private async openForRead(segmentNo: number): Promise<FileHandle> {
    let fhp = this.readHandles.get(segmentNo);
    if (!fhp) {
      fhp = open(join(this.opts.dir, segmentFileName(segmentNo)), 'r');
      this.readHandles.set(segmentNo, fhp);
      fhp.then(
        (fh) => {
          if (this.readHandles.get(segmentNo) === fhp) this.readFds.set(segmentNo, fh);
        },
        () => this.readHandles.delete(segmentNo),
      );
    }
    try {
      return await fhp;
    } catch (err) {
      throw new TidegateError(ErrorCode.NotFound, `write log: segment ${segmentNo} is gone`, { cause: err });
    }
  }

  /** Delete sealed segments whose every record is at or below `seq` (they are in the store). */
  async releaseThrough(seq: number): Promise<number> {
    let released = 0;
    while (this.sealed.length > 0 && this.sealed[0]!.lastSeq <= seq) {
      const seg = this.sealed.shift()!;
      const fhp = this.readHandles.get(seg.segmentNo);
      this.readHandles.delete(seg.segmentNo);
      this.readFds.delete(seg.segmentNo);
      if (fhp) await fhp.then((fh) => fh.close()).catch(() => undefined);
      this.segmentBytesOnDisk.delete(seg.segmentNo);
      // Sealed files hold exactly their records (finishSeal truncates), so seg.bytes is the file's size.
      await this.kept.offer(join(this.opts.dir, segmentFileName(seg.segmentNo)), seg.segmentNo, seg.bytes, this.roomForKeptFiles());
      released += seg.bytes;
    }
    if (released > 0) this.wakeSpaceWaiters();
    return released;
  }

  /** Flush, seal and close. Records stay on disk for the next open. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.failure) await this.sync().catch(() => undefined);
    // A failed log's writer may still be waiting for a new segment: let it finish, so the
    // spare it then prepares is discarded below instead of appearing after close.
    if (this.writing) await this.idle();
    if (!this.failure) await this.sealCurrent().catch(() => undefined);
    this.closed = true;
    for (const fhp of this.readHandles.values()) await fhp.then((fh) => fh.close()).catch(() => undefined);
    this.readHandles.clear();
    this.readFds.clear();
    if (this.current) await this.current.fh.close().catch(() => undefined);
    this.current = undefined;
    await this.discardSpare();
    const err = new TidegateError(ErrorCode.ShuttingDown, 'write log closed');
    for (const w of this.spaceWaiters.splice(0)) w();
    for (const p of this.pending.splice(0)) p.reject(err);
    for (const w of this.sealWaiters.splice(0)) w.reject(err);
  }

  private throwIfUnusable(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new TidegateError(ErrorCode.ShuttingDown, 'write log closed');
  }

  private waitForSpace(size: number): Promise<void> {
    // The uploader can only drain sealed segments: seal the open one so it can make room.
    if (this.hasUnsealedRecords && !this.writing) void this.sealCurrent().catch((e) => this.fail(e, 'seal'));
    return new Promise<void>((resolve) => {
      const tryGo = (): void => {
        if (this.closed || this.failure || this.usedBytes + size <= this.capacity || this.logIsEmpty()) {
          this.spaceWaiters = this.spaceWaiters.filter((w) => w !== tryGo);
          resolve();
          // Let the next waiter check too: there may be room for both.
          queueMicrotask(() => this.wakeSpaceWaiters());
        }
      };
      this.spaceWaiters.push(tryGo);
    });
  }

  private logIsEmpty(): boolean {
    return this.usedBytes === 0;
  }

  private wakeSpaceWaiters(): void {
    const first = this.spaceWaiters[0];
    if (first) first();
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.writing) resolve();
        else setImmediate(check);
      };
      check();
    });
  }

  /** The single writer loop: group commit. */
  private pump(): void {
    if (this.writing || this.failure) return;
    if (!this.hasWork()) return;
    this.writing = true;
    void this.writeBatches().finally(() => {
      this.writing = false;
      if (this.hasWork()) this.pump();
    });
  }

  private hasWork(): boolean {
    return this.pending.length > 0 || this.syncWaiters.length > 0 || this.sealWaiters.length > 0;
  }

  private async writeBatches(): Promise<void> {
    while (this.hasWork() && !this.failure) {
      // Seals asked for once the records they cover are written (pending is in sequence order).
      const firstPendingSeq = this.pending.length > 0 ? this.pending[0]!.record.seq : Infinity;
      if (this.sealWaiters.length > 0 && this.sealWaiters[0]!.throughSeq < firstPendingSeq) {
        this.startRequestedSeal(firstPendingSeq);
        continue;
      }
      let seg = this.current;
      if (this.pending.length === 0 && (!seg || seg.size >= this.opts.segmentBytes)) {
        // A flush with no room or no open segment: seal a full one, and wait for seals under
        // way (a seal fdatasyncs its segment). Do not create an empty segment just to sync it.
        const waiters = this.syncWaiters.splice(0);
        try {
          if (seg) await this.sealCurrent();
          else await this.sealInFlight;
        } catch (err) {
          this.fail(err, 'seal');
          for (const w of waiters) w.reject(this.failure!);
          return;
        }
        for (const w of waiters) w.resolve();
        continue;
      }
      if (!seg || seg.size >= this.opts.segmentBytes) {
        if (seg) {
          // Pipelined: the next segment fills while this one is fdatasynced. Wait only for the
          // seal before it, so at most one full segment's sync is behind the writer. Nothing is
          // promised meanwhile: a flush waits for every seal in flight, a failed seal fail-stops.
          const previous = this.sealInFlight;
          this.sealCurrent().catch((e) => this.fail(e, 'seal'));
          if (previous) await previous.catch(() => undefined);
        }
        if (this.failure) return;
        let noSpace: unknown;
        seg = await this.openNewSegment().catch((e: unknown) => {
          if (isOutOfSpace(e)) noSpace = e;
          else this.fail(e, 'create segment');
          return undefined;
        });
        if (noSpace !== undefined) {
          this.refuseForSpace(noSpace);
          continue;
        }
        if (!seg) return;
      }
      // Take records up to the segment's end; the rest waits for the next segment.
      const batch: Pending[] = [];
      const buffers: Buffer[] = [];
      let bytes = 0;
      while (this.pending.length > 0) {
        const p = this.pending[0]!;
        const size = pendingSize(p);
        if (batch.length > 0 && seg.size + bytes + size > this.opts.segmentBytes) break;
        this.pending.shift();
        p.record.segmentNo = seg.segmentNo;
        stampRecordHeader(p.header, seg.segmentNo);
        p.record.dataPosition = seg.size + bytes + p.header.length;
        batch.push(p);
        buffers.push(p.header);
        if (p.data && p.data.length > 0) buffers.push(p.data);
        bytes += size;
      }
      const waiters = this.syncWaiters.splice(0);
      const needSync = waiters.length > 0 || this.opts.syncPolicy === 'always' || batch.some((p) => p.durable);
      try {
        if (bytes > 0) {
          if (this.opts.faults?.failWrite?.()) throw new Error('injected write failure');
          // Small batches synchronously: a copy into the page cache is cheaper than a
          // thread-pool round trip. Large ones on the thread pool: they can block for a long
          // time in the kernel (dirty-page throttling, journal commits of the fsyncs around
          // us), which must not stop the event loop. Either way this loop is the only writer
          // and waits for the batch, so order is kept. Durability is only the fdatasync below.
          const tail = pageTail(seg, seg.size + bytes);
          if (tail > 0) {
            buffers.push(ZERO_PAGE.subarray(0, tail));
            seg.fileBytes = Math.max(seg.fileBytes, seg.size + bytes + tail);
          }
          if (bytes < ASYNC_APPEND_BYTES) writeAllvSync(seg.fh.fd, buffers, seg.size);
          else await writeAllv(seg.fh, buffers, seg.size);
        }
        if (needSync) {
          // A segment sealed concurrently (back-pressure, seal()) holds earlier records: a flush covers them too.
          if (this.sealInFlight) await this.sealInFlight;
          if (this.opts.faults?.failSync?.()) throw new Error('injected fdatasync failure');
          await seg.fh.datasync();
        }
      } catch (err) {
        this.pendingBytes -= bytes;
        this.fail(err, needSync ? 'fdatasync' : 'write');
        const e = this.failure!;
        for (const p of batch) p.reject(e);
        for (const w of waiters) w.reject(e);
        return;
      }
      this.pendingBytes -= bytes;
      seg.size += bytes;
      this.segmentBytesOnDisk.set(seg.segmentNo, seg.size);
      if (batch.length > 0) {
        if (seg.firstSeq === 0) seg.firstSeq = batch[0]!.record.seq;
        seg.lastSeq = batch[batch.length - 1]!.record.seq;
      }
      for (const p of batch) p.resolve(p.record);
      for (const w of waiters) w.resolve();
    }
  }

  /** Seal for the waiters whose records are all written; their promise follows the fdatasync. */
  private startRequestedSeal(firstPendingSeq: number): void {
    const waiters: typeof this.sealWaiters = [];
    while (this.sealWaiters.length > 0 && this.sealWaiters[0]!.throughSeq < firstPendingSeq) waiters.push(this.sealWaiters.shift()!);
    // No open segment with records: a seal under way (a full segment's) may still hold theirs.
    const sealed = this.hasUnsealedRecords ? this.sealCurrent() : (this.sealInFlight ?? Promise.resolve());
    sealed.then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        this.fail(err, 'seal');
        for (const w of waiters) w.reject(this.failure!);
      },
    );
  }

  /**
   * No room on the disk for the next segment. The records waiting for it are refused with
   * NO_SPACE and their sequence numbers given back: they were never written, and a gap in the
   * numbers would end replay there. Nothing written is touched, so this is not a fail-stop:
   * the next append tries a new segment again (once space is freed it succeeds).
   */
  private refuseForSpace(err: unknown): void {
    const refused = this.pending.splice(0);
    if (refused.length > 0) this.nextSeq = refused[0]!.record.seq;
    for (const p of refused) this.pendingBytes -= pendingSize(p);
    const msg = err instanceof Error ? err.message : String(err);
    const e = new TidegateError(
      ErrorCode.NoSpace,
      `write log: no space on the disk for a new segment in ${this.opts.dir} (${msg}); the write was not logged, acknowledged writes are safe — free space and write again`,
      { cause: err },
    );
    this.opts.onWarning?.('write log: disk full, writes refused until a new segment can be created', { dir: this.opts.dir, refused: refused.length });
    for (const p of refused) p.reject(e);
  }

  private fail(err: unknown, what: string): void {
    if (this.failure) return;
    const msg = err instanceof Error ? err.message : String(err);
    this.failure = new TidegateError(ErrorCode.VolumeFailed, `write log ${what} failed (${msg}); the volume stopped to protect its data — restart to replay the log`, { cause: err });
    for (const p of this.pending.splice(0)) p.reject(this.failure);
    for (const w of this.syncWaiters.splice(0)) w.reject(this.failure);
    for (const w of this.sealWaiters.splice(0)) w.reject(this.failure);
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  private async openNewSegment(): Promise<OpenSegment> {
    const next = this.spare ?? this.createSegment();
    this.spare = undefined;
    const seg = await next;
    this.current = seg;
    this.segmentBytesOnDisk.set(seg.segmentNo, seg.size);
    // Prepare the one after it now, off the writer's path: making a new file's directory
    // entry durable waits for a journal commit (on ext4, for much of what is dirty), which
    // must not stall appends when this segment fills. Its error, if any, surfaces on use.
    this.spare = this.createSegment();
    this.spare.catch(() => undefined);
    return seg;
  }

  /**
   * A new, empty segment (header only), durable with its directory entry: a kept file when
   * there is one (its old bytes stay behind the header, see recycled-segment-files.ts), else a new file.
   */
  private async createSegment(): Promise<OpenSegment> {
    const segmentNo = this.nextSegmentNo++;
    const path = join(this.opts.dir, segmentFileName(segmentNo));
    const recycled = this.kept.take();
    if (recycled) {
      await rename(recycled.path, path).catch(async (err: unknown) => {
        await rm(recycled.path, { force: true }).catch(() => undefined);
        throw err;
      });
    }
    const fh = await open(path, recycled ? 'r+' : 'wx');
    try {
      if (this.opts.faults?.failCreate?.()) throw Object.assign(new Error('injected: no space left on device'), { code: 'ENOSPC' });
      const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
      SEGMENT_SIGNATURE.copy(header, 0);
      header.writeUInt32LE(SEGMENT_FORMAT_VERSION, 8);
      header.writeUInt32LE(recycled ? SEGMENT_FLAG_RECYCLED : 0, 12);
      writeU64(header, 16, segmentNo);
      writeU64(header, 24, Date.now());
      await writeAllv(fh, [header], 0);
      await fh.datasync();
      // The new file's directory entry must be durable before any record in it counts as durable.
      await fsyncDir(this.opts.dir);
    } catch (err) {
      await fh.close().catch(() => undefined);
      // No half-made segment is left behind: the next one gets a new number.
      await rm(path, { force: true }).catch(() => undefined);
      throw err;
    }
    return { segmentNo, fh, size: SEGMENT_HEADER_BYTES, fileBytes: Math.max(SEGMENT_HEADER_BYTES, recycled?.bytes ?? 0), firstSeq: 0, lastSeq: -1 };
  }

  /** Close the prepared segment and keep its file for the next open (it holds no record). */
  private async discardSpare(): Promise<void> {
    const spare = this.spare;
    this.spare = undefined;
    const seg = await spare?.catch(() => undefined);
    if (!seg) return;
    await seg.fh.close().catch(() => undefined);
    await this.kept.offer(join(this.opts.dir, segmentFileName(seg.segmentNo)), seg.segmentNo, seg.fileBytes, this.roomForKeptFiles()).catch(() => undefined);
  }

  private sealCurrent(): Promise<void> {
    const seg = this.current;
    if (!seg || seg.lastSeq < seg.firstSeq || seg.firstSeq === 0) return Promise.resolve();
    this.current = undefined;
    const before = this.sealInFlight;
    const p = this.finishSeal(seg, before);
    this.sealInFlight = p;
    const clear = (): void => {
      if (this.sealInFlight === p) this.sealInFlight = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  private async finishSeal(seg: OpenSegment, before: Promise<void> | undefined): Promise<void> {
    // Seals complete in segment order, so `sealed` stays ordered and a flush can wait for the
    // newest. A failed seal fails every seal after it: no later segment may reach the uploader.
    if (before) {
      await before.catch(async (err: unknown) => {
        await seg.fh.close().catch(() => undefined);
        throw err;
      });
    }
    // A recycled file's old bytes past the records go now, so a sealed file is exactly its records.
    if (seg.fileBytes > seg.size) await seg.fh.truncate(seg.size);
    if (this.opts.faults?.failSync?.()) throw new Error('injected fdatasync failure');
    await seg.fh.datasync();
    await seg.fh.close();
    this.sealed.push({ segmentNo: seg.segmentNo, firstSeq: seg.firstSeq, lastSeq: seg.lastSeq, bytes: seg.size });
  }
}

interface SegmentScan {
  records: SegmentRecords;
  validBytes: number;
  stopReason?: string;
  /** The tag every record must carry (version 2; undefined for untagged version 1 files). */
  tag?: number;
  /** The file held an earlier segment: bytes past its last record may be that segment's. */
  recycled: boolean;
  /** The scan stopped at a record of this segment's own (see scanRecords), not at old bytes. */
  stoppedAtOwnRecord: boolean;
}

/** Where a segment's records ended before its bytes did (WriteLog.open). */
interface SegmentStop {
  segmentNo: number;
  validBytes: number;
  /** Bytes after the last whole record. */
  bytes: number;
  reason: string;
  /** Those bytes are what a recycled file held before: no record of this log is among them. */
  leftovers: boolean;
}

/** Bytes of records verified between two returns to the event loop (scanSegmentYielding). */
const SCAN_SLICE_BYTES = 4 * 1024 * 1024;

/** Scan one segment buffer; stops at the first invalid record. */
function scanSegment(buf: Buffer, segmentNo: number, expectSeq: number | undefined): SegmentScan {
  const scan = newScan(buf, segmentNo);
  if (!scanSegmentHeader(buf, scan)) return scan;
  scanRecords(buf, expectSeq, scan, Infinity);
  return scan;
}

/** scanSegment in slices, yielding to the event loop between them (a 64 MiB segment's CRCs take tens of ms). */
async function scanSegmentYielding(buf: Buffer, segmentNo: number): Promise<SegmentScan> {
  const scan = newScan(buf, segmentNo);
  if (!scanSegmentHeader(buf, scan)) return scan;
  while (!scanRecords(buf, undefined, scan, SCAN_SLICE_BYTES)) await yieldToEventLoop();
  return scan;
}

function newScan(buf: Buffer, segmentNo: number): SegmentScan {
  return { records: new SegmentRecords(segmentNo, buf), validBytes: 0, recycled: false, stoppedAtOwnRecord: false };
}

function scanSegmentHeader(buf: Buffer, scan: SegmentScan): boolean {
  if (buf.length < SEGMENT_HEADER_BYTES || !buf.subarray(0, 8).equals(SEGMENT_SIGNATURE)) {
    scan.stopReason = 'bad segment header';
    return false;
  }
  const version = buf.readUInt32LE(8);
  if (version !== SEGMENT_FORMAT_VERSION && version !== SEGMENT_FORMAT_VERSION_UNTAGGED) {
    scan.stopReason = `unsupported segment version ${version}`;
    return false;
  }
  const segmentNo = scan.records.segmentNo;
  if (readU64(buf, 16) !== segmentNo) {
    // A kept file renamed for a new segment whose header was not rewritten yet: all old bytes.
    scan.stopReason = `the header names segment ${readU64(buf, 16)}`;
    scan.recycled = true;
    return false;
  }
  if (version === SEGMENT_FORMAT_VERSION) {
    scan.tag = recordSegmentTag(segmentNo);
    scan.recycled = (buf.readUInt32LE(12) & SEGMENT_FLAG_RECYCLED) !== 0;
  }
  scan.validBytes = SEGMENT_HEADER_BYTES;
  return true;
}

/**
 * Verify records from `scan.validBytes` on, about `sliceBytes` of them; true once the scan is
 * over (end of buffer or an invalid record, named in `stopReason`).
 */
function scanRecords(buf: Buffer, expectSeq: number | undefined, scan: SegmentScan, sliceBytes: number): boolean {
  const { records } = scan;
  // ownRecord: the stop is at a whole, valid header of this segment's (a torn or damaged record, not old bytes).
  const stop = (pos: number, reason: string, ownRecord = false): true => {
    scan.validBytes = pos;
    scan.stopReason = reason;
    scan.stoppedAtOwnRecord = ownRecord;
    return true;
  };
  let pos = scan.validBytes;
  const sliceEnd = pos + sliceBytes;
  let expect = records.count > 0 ? records.seq[records.count - 1]! + 1 : expectSeq;
  while (pos < buf.length) {
    if (pos >= sliceEnd) {
      scan.validBytes = pos;
      return false;
    }
    if (buf.length - pos < RECORD_HEADER_BYTES) return stop(pos, 'torn record header');
    if (buf.readUInt32LE(pos) !== RECORD_MAGIC) return stop(pos, 'bad record magic');
    if (crc32(buf.subarray(pos, pos + 36)) !== buf.readUInt32LE(pos + 36)) return stop(pos, 'record header CRC mismatch');
    if (scan.tag !== undefined && buf.readUInt32LE(pos + 32) !== scan.tag) return stop(pos, `a record of segment ${buf.readUInt32LE(pos + 32)} (an earlier use of the file)`);
    const kind = buf.readUInt8(pos + 4) as RecordKind;
    const seq = readU64(buf, pos + 8);
    const offset = readU64(buf, pos + 16);
    const length = buf.readUInt32LE(pos + 24);
    const dataCrc = buf.readUInt32LE(pos + 28);
    if (expect !== undefined && seq !== expect) return stop(pos, `sequence gap (${seq} after ${expect - 1})`, true);
    const dataLen = kind === RecordKind.Write ? length : 0;
    const dataPos = pos + RECORD_HEADER_BYTES;
    if (buf.length - dataPos < dataLen) return stop(pos, 'torn record data', true);
    if (dataLen > 0 && crc32(buf.subarray(dataPos, dataPos + dataLen)) !== dataCrc) return stop(pos, 'record data CRC mismatch', true);
    records.push(seq, kind, offset, length, dataPos, dataCrc);
    expect = seq + 1;
    pos = dataPos + dataLen;
  }
  scan.validBytes = pos;
  return true;
}

/** Largest read the uploader issues while reading a segment back (see readWholeFile). */
const SEGMENT_READ_BYTES = 512 * 1024;

/**
 * A whole file in one buffer of its size from `allocate` (readFile collects chunks and copies them together).
 * Read in pieces, as readFile does: with one 64 MiB read per segment the upload kept pace
 * with a burst of sequential writes at the writers' expense (measured: their throughput
 * halved, 200 -> 100 MB/s over iSCSI); the write log is there to absorb the burst.
 */
async function readWholeFile(path: string, allocate: (bytes: number) => Buffer): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = allocate((await fh.stat()).size);
    return buf.subarray(0, await readFully(fh, buf, 0, SEGMENT_READ_BYTES));
  } finally {
    await fh.close();
  }
}

/** A record header but its segment tag and header CRC (stampRecordHeader, once the segment is known). */
function encodeRecordHeader(h: Buffer, kind: RecordKind, seq: number, offset: number, length: number, dataCrc: number): void {
  h.writeUInt32LE(RECORD_MAGIC, 0);
  h.writeUInt8(kind, 4);
  h.writeUInt8(0, 5);
  h.writeUInt16LE(0, 6);
  writeU64(h, 8, seq);
  writeU64(h, 16, offset);
  h.writeUInt32LE(length, 24);
  h.writeUInt32LE(dataCrc, 28);
}

function stampRecordHeader(h: Buffer, segmentNo: number): void {
  h.writeUInt32LE(recordSegmentTag(segmentNo), 32);
  h.writeUInt32LE(crc32(h.subarray(0, 36)), 36);
}

/** Write a u64 (exact below 2^53) as lo/hi u32. */
export function writeU64(buf: Buffer, pos: number, value: number): void {
  buf.writeUInt32LE(value % 0x1_0000_0000, pos);
  buf.writeUInt32LE(Math.floor(value / 0x1_0000_0000), pos + 4);
}

/** Read a u64 written by writeU64. */
export function readU64(buf: Buffer, pos: number): number {
  return buf.readUInt32LE(pos) + buf.readUInt32LE(pos + 4) * 0x1_0000_0000;
}

/**
 * Zeros to write after a batch ending at `end`, so that its last page is written whole. Only
 * inside a recycled file's old bytes: there a partly written page that has left the page
 * cache must first be read back from the disk, synchronously inside the write (a bench run
 * measured 60 MB of such reads in 10 s of 4 KiB random writes, one per batch). A whole-page
 * write needs no read. The zeros are not records (replay stops at them, as at any old bytes
 * of a recycled file) and the next batch overwrites them; past a new file's end nothing is read.
 */
function pageTail(seg: OpenSegment, end: number): number {
  if (end >= seg.fileBytes || end % PAGE_BYTES === 0) return 0;
  return PAGE_BYTES - (end % PAGE_BYTES);
}

async function writeAllv(fh: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let bufs = buffers;
  let pos = position;
  while (bufs.length > 0) {
    const { bytesWritten } = await fh.writev(bufs, pos);
    pos += bytesWritten;
    bufs = unwritten(bufs, bytesWritten);
  }
}

function writeAllvSync(fd: number, buffers: Buffer[], position: number): void {
  let bufs = buffers;
  let pos = position;
  while (bufs.length > 0) {
    const bytesWritten = writevSync(fd, bufs, pos);
    if (bytesWritten === 0) throw Object.assign(new Error('write log: write made no progress'), { code: 'ENOSPC' });
    pos += bytesWritten;
    bufs = unwritten(bufs, bytesWritten);
  }
}

/** What is left of `bufs` after a (possibly short) vectored write of `written` bytes. */
function unwritten(bufs: Buffer[], written: number): Buffer[] {
  let skip = written;
  const rest: Buffer[] = [];
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}

/** fdatasync one file by path. */
async function fdatasyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** fsync a directory so that file creations and deletions in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Bytes a pending record takes in the log (header and data), as counted in pendingBytes. */
function pendingSize(p: Pending): number {
  return p.header.length + (p.data?.length ?? 0);
}

/** A full disk (or quota): the one failure to create a segment that leaves the log usable. */
function isOutOfSpace(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOSPC' || code === 'EDQUOT';
}
