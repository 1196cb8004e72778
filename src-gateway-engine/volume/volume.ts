/**
 * A volume: joins the write log, the overlay, the cache (cached mode) or the primary disk
 * (stored mode), the remote image and the uploader behind the BlockDevice interface.
 * Cached and stored modes differ only in where reads of uploaded data come from and in
 * keeping the primary disk up to date.
 *
 * Every change becomes one block-aligned log record (partial blocks are read-modify-written
 * under a range lock), so everything below the volume works on whole 4 KiB blocks.
 *
 * Read order, cached mode: overlay (log) → pending trim → cache → block map → the body of a
 * just-committed object still in memory (until its warm lands), else a ranged GET (fills
 * the cache) → zeroes. Stored mode reads the primary disk, which every write updates
 * before it is acknowledged.
 *
 * Cached mode does not copy writes into the cache: until their commit, reads find them in the
 * log through the overlay. A commit warms the cache from the uploaded object bodies (whose
 * data region is already one contiguous buffer, so an object is about one pwrite), as CLEAN
 * blocks, skipping every block a newer change touched. The cache is disposable (invariant
 * 4): a block that is not warmed is simply read from the store.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ErrorCode, TidegateError, hasCode } from '../errors/index.js';
import type { BlockDevice, BlockExtent, WriteOptions, WriteZeroesOptions } from '../device/block-device.js';
import { locationObject, locationOffset } from '../remote/block-map.js';
import { BLOCK_SIZE, ExtentKind } from '../remote/remote-format.js';
import type { RemoteVolume } from '../remote/remote-volume.js';
import type { VolumeHead } from '../remote/volume-head.js';
import { Uploader, type CommittedObject, type UploaderOptions } from '../upload/uploader.js';
import type { WriteLog } from '../writelog/write-log.js';
import { RecordKind } from '../writelog/write-log-format.js';
import type { PrimaryDisk } from './primary-disk.js';
import { RangeLock } from './range-lock.js';
import { WriteOverlay } from './write-overlay.js';

/** What the volume needs of the block cache. */
export interface VolumeCache {
  get(volumeId: string, block: number): Promise<Buffer | undefined>;
  /** Read the cached prefix of `count` blocks into `out` at `outOffset`; resolves with the number of blocks served. */
  getRun(volumeId: string, firstBlock: number, count: number, out: Buffer, outOffset: number): Promise<number>;
  /** Cache consecutive blocks (`data` is a whole number of blocks) as CLEAN, each block registered when called. */
  putRun(volumeId: string, firstBlock: number, data: Buffer): Promise<boolean>;
  /** Cache `blocks[k]` (-1: skip) as `data`'s k-th block, CLEAN, each block registered when called. */
  putBlocks(volumeId: string, blocks: ArrayLike<number>, data: Buffer): Promise<boolean>;
  invalidate(volumeId: string, block: number): void | Promise<void>;
  invalidateRange(volumeId: string, firstBlock: number, count: number): void | Promise<void>;
}

export interface VolumeLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface VolumeParts {
  remote: RemoteVolume;
  log: WriteLog;
  /** Records found in the log at open, in sequence order. */
  replayed: Array<{ seq: number; kind: RecordKind; offset: number; length: number; segmentNo: number; dataPosition: number }>;
  cache: VolumeCache | undefined;
  primary: PrimaryDisk | undefined;
  upload: UploaderOptions;
  durableEveryWrite: boolean;
  logger: VolumeLogger;
  /**
   * How often to confirm ownership in the store (0 = never). A forced takeover is otherwise
   * noticed only at the next upload; this bounds how long a fenced-out gateway goes on
   * acknowledging writes that the new owner will never see.
   */
  ownerCheckIntervalMs?: number;
}

/** Counters of one volume. */
export interface VolumeCounters {
  readOps: number;
  writeOps: number;
  readBytes: number;
  writeBytes: number;
  cacheHits: number;
  cacheMisses: number;
  cloudBytesDownloaded: number;
}

export class Volume implements BlockDevice {
  readonly name: string;
  readonly size: number;
  readonly blockSize = BLOCK_SIZE;
  readonly mode: 'cached' | 'stored';
  readonly counters: VolumeCounters = { readOps: 0, writeOps: 0, readBytes: 0, writeBytes: 0, cacheHits: 0, cacheMisses: 0, cloudBytesDownloaded: 0 };
  readonly remote: RemoteVolume;
  readonly log: WriteLog;
  readonly uploader: Uploader;
  private readonly overlay = new WriteOverlay();
  private readonly cache: VolumeCache | undefined;
  private readonly primary: PrimaryDisk | undefined;
  private readonly locks = new RangeLock();
  private readonly durableEveryWrite: boolean;
  private readonly logger: VolumeLogger;
  private failure: TidegateError | undefined;
  /** Bumped by every change; a read only fills the cache if no change raced it. */
  private changeCounter = 0;
  /**
   * Bodies of just-committed objects whose cache warm is still being written (object number
   * → body): between the overlay letting go of their blocks and the warm landing, a read of
   * them is served from memory instead of going to the store.
   */
  private readonly warming = new Map<number, Buffer>();
  private closed = false;

  private constructor(p: VolumeParts) {
    this.remote = p.remote;
    this.log = p.log;
    this.cache = p.cache;
    this.primary = p.primary;
    this.durableEveryWrite = p.durableEveryWrite;
    this.logger = p.logger;
    this.name = p.remote.descriptor.name;
    this.size = p.remote.descriptor.sizeBytes;
    this.mode = p.remote.descriptor.mode;
    this.uploader = new Uploader(p.log, p.remote, {
      onCommitted: (head, objects) => this.onCommitted(head, objects),
      beforeRelease: async () => {
        await this.primary?.sync();
      },
      onFatal: (err) => this.failStop(err),
      onWarning: (msg, fields) => this.logger.warn(msg, { volume: this.name, ...fields }),
      foregroundTotals: () => {
        const c = this.counters;
        return { ops: c.readOps + c.writeOps, bytes: c.readBytes + c.writeBytes };
      },
    }, p.upload);
  }

  /** Assemble a volume from its opened parts and replay the log into the overlay (and disk). */
  static async assemble(p: VolumeParts): Promise<Volume> {
    const v = new Volume(p);
    const committed = p.remote.head.lastSeq;
    let applied = 0;
    for (const r of p.replayed) {
      // Every record goes onto the primary disk again, committed ones too: the disk is synced
      // only before a release, so after a power loss it may lack them (in order, idempotent).
      if (v.primary) {
        if (r.kind === RecordKind.Write) await v.primary.write(r.offset, await p.log.readData(r.segmentNo, r.dataPosition, r.length));
        else await v.primary.zero(r.offset, r.length);
      }
      if (r.seq <= committed) continue;
      applied++;
      const first = r.offset / BLOCK_SIZE;
      const count = r.length / BLOCK_SIZE;
      if (r.kind === RecordKind.Write) v.overlay.setWrite(first, count, r.seq, r.segmentNo, r.dataPosition, BLOCK_SIZE);
      else v.overlay.setTrim(first, count, r.seq);
      if (v.cache) await v.cache.invalidateRange(p.remote.descriptor.volumeId, first, count);
    }
    if (applied > 0) p.logger.info('write log replayed', { volume: v.name, records: applied, afterSeq: committed });
    v.uploader.start();
    if (p.ownerCheckIntervalMs) v.watchOwner(p.ownerCheckIntervalMs);
    return v;
  }

  private ownerTimer: NodeJS.Timeout | undefined;

  /** Fail-stop as soon as the store names another owner; store errors are left to the uploader. */
  private watchOwner(intervalMs: number): void {
    const tick = (): void => {
      this.ownerTimer = undefined;
      if (this.closed || this.failed) return;
      this.remote.checkOwner().then(
        () => this.scheduleOwnerCheck(tick, intervalMs),
        (err: unknown) => {
          if (hasCode(err, ErrorCode.VolumeOwned)) this.failStop(err);
          else this.scheduleOwnerCheck(tick, intervalMs);
        },
      );
    };
    this.scheduleOwnerCheck(tick, intervalMs);
  }

  private scheduleOwnerCheck(tick: () => void, intervalMs: number): void {
    if (this.closed) return;
    this.ownerTimer = setTimeout(tick, intervalMs);
    this.ownerTimer.unref();
  }

  /** The volume's fail-stop error, if it stopped. */
  get failed(): TidegateError | undefined {
    return this.failure ?? this.log.failed;
  }

  /** Blocks with changes not yet in the store. */
  get dirtyBlocks(): number {
    return this.overlay.blockCount;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.throwIfFailed();
    this.counters.readOps++;
    this.counters.readBytes += length;
    if (length === 0) return Buffer.alloc(0);
    if (this.primary) return this.primary.read(offset, length);
    const first = Math.floor(offset / BLOCK_SIZE);
    const last = Math.floor((offset + length - 1) / BLOCK_SIZE);
    const blocks = await this.readBlocks(first, last - first + 1);
    const start = offset - first * BLOCK_SIZE;
    return blocks.subarray(start, start + length);
  }

  async write(offset: number, data: Buffer, options?: WriteOptions): Promise<void> {
    this.throwIfFailed();
    this.counters.writeOps++;
    this.counters.writeBytes += data.length;
    if (data.length === 0) return;
    await this.change(RecordKind.Write, offset, data.length, data, options?.fua ?? false);
  }

  async flush(): Promise<void> {
    this.throwIfFailed();
    await this.log.sync();
  }

  async trim(offset: number, length: number, options?: WriteOptions): Promise<void> {
    this.throwIfFailed();
    if (length === 0) return;
    await this.change(RecordKind.Trim, offset, length, undefined, options?.fua ?? false);
  }

  async writeZeroes(offset: number, length: number, options?: WriteZeroesOptions): Promise<void> {
    this.throwIfFailed();
    if (length === 0) return;
    await this.change(RecordKind.Zero, offset, length, undefined, options?.fua ?? false);
  }

  async blockStatus(offset: number, length: number): Promise<BlockExtent[]> {
    this.throwIfFailed();
    const first = Math.floor(offset / BLOCK_SIZE);
    // Answer at most 64 Ki blocks (256 MiB) per call: NBD clients ask again for the rest.
    const last = Math.min(Math.floor((offset + length - 1) / BLOCK_SIZE), first + 65535);
    const out: BlockExtent[] = [];
    let pos = offset;
    for (let b = first; b <= last; b++) {
      const allocated = this.overlay.get(b) !== undefined || (!this.overlay.trimmed(b) && this.remote.map.get(b) !== 0);
      const end = Math.min((b + 1) * BLOCK_SIZE, offset + length);
      const prev = out[out.length - 1];
      if (prev && prev.hole === !allocated) prev.length += end - pos;
      else out.push({ length: end - pos, hole: !allocated, zero: !allocated });
      pos = end;
    }
    return out;
  }

  /**
   * `volume sync`: resolve once every write acknowledged before the call is inside a committed
   * recovery point; returns that head.
   */
  async sync(): Promise<VolumeHead> {
    this.throwIfFailed();
    return this.uploader.waitForCommit(this.log.lastSequence);
  }

  /** Stop uploading, flush the log. Un-uploaded data stays in the log for the next open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.ownerTimer);
    await this.uploader.stop();
    await this.log.close();
    await this.primary?.sync().catch(() => undefined);
    await this.primary?.close();
  }

  /** Restore: write data straight to a stored volume's primary disk (not logged: it is already in the store). */
  async writeThroughToPrimary(offset: number, data: Buffer): Promise<void> {
    if (!this.primary) throw new TidegateError(ErrorCode.NotSupported, `volume ${this.name} has no primary disk`);
    await this.primary.write(offset, data);
  }

  /** Time since the newest recovery point, or 0 when everything is uploaded. */
  timeSinceLastRecoveryPointMs(now = Date.now()): number {
    if (this.log.lastSequence <= this.remote.head.lastSeq) return 0;
    return Math.max(0, now - Date.parse(this.remote.head.committedAt));
  }

  private throwIfFailed(): void {
    const f = this.failed;
    if (f) throw f;
    if (this.closed) throw new TidegateError(ErrorCode.ShuttingDown, `volume ${this.name} is closed`);
  }

  private failStop(err: TidegateError): void {
    if (this.failure) return;
    this.failure = err.code === ErrorCode.VolumeOwned || err.code === ErrorCode.VolumeFailed
      ? err
      : new TidegateError(ErrorCode.VolumeFailed, `volume ${this.name} stopped: ${err.message}`, { cause: err });
    this.logger.error('volume fail-stopped', { volume: this.name, error: this.failure.message, code: this.failure.code });
  }

  /** One change (write, trim, zero): align, log, then update overlay, cache and disk. */
  private async change(kind: RecordKind, offset: number, length: number, data: Buffer | undefined, fua: boolean): Promise<void> {
    const first = Math.floor(offset / BLOCK_SIZE);
    const last = Math.floor((offset + length - 1) / BLOCK_SIZE);
    const release = this.locks.tryAcquire(first, last) ?? (await this.locks.acquire(first, last));
    try {
      this.changeCounter++;
      const alignedOffset = first * BLOCK_SIZE;
      const alignedLength = (last - first + 1) * BLOCK_SIZE;
      const aligned = offset === alignedOffset && length === alignedLength;
      let recKind = kind;
      let payload = data;
      if (!aligned) {
        // Partial blocks: read the edges, patch, and log whole blocks (a partial trim is a zero-write).
        payload = await this.readModify(first, last, offset, length, data);
        recKind = RecordKind.Write;
      }
      const durable = fua || this.durableEveryWrite;
      const rec = await this.log.append(recKind, alignedOffset, alignedLength, recKind === RecordKind.Write ? payload : undefined, durable);
      const count = last - first + 1;
      if (recKind === RecordKind.Write) this.overlay.setWrite(first, count, rec.seq, rec.segmentNo, rec.dataPosition, BLOCK_SIZE);
      else this.overlay.setTrim(first, count, rec.seq);
      if (this.cache) {
        // The block's older cached copy goes now (a fill still writing never installs); reads
        // find the new data in the overlay, and the commit that uploads it warms the cache.
        const dropped = this.cache.invalidateRange(this.remote.descriptor.volumeId, first, count);
        if (dropped) await dropped;
      }
      if (this.primary) {
        if (recKind === RecordKind.Write) await this.primary.write(alignedOffset, payload!);
        else await this.primary.zero(alignedOffset, alignedLength);
      }
      this.uploader.noteWrite();
    } catch (err) {
      if (hasCode(err, ErrorCode.VolumeFailed)) this.failStop(err);
      throw err;
    } finally {
      release();
    }
  }

  private async readModify(first: number, last: number, offset: number, length: number, data: Buffer | undefined): Promise<Buffer> {
    const buf = Buffer.alloc((last - first + 1) * BLOCK_SIZE);
    const head = this.primary ? await this.primary.read(first * BLOCK_SIZE, BLOCK_SIZE) : await this.readBlocks(first, 1);
    head.copy(buf, 0);
    if (last !== first) {
      const tail = this.primary ? await this.primary.read(last * BLOCK_SIZE, BLOCK_SIZE) : await this.readBlocks(last, 1);
      tail.copy(buf, (last - first) * BLOCK_SIZE);
    }
    const at = offset - first * BLOCK_SIZE;
    if (data) data.copy(buf, at);
    else buf.fill(0, at, at + length);
    return buf;
  }

  /** Read whole blocks (cached mode). */
  private async readBlocks(first: number, count: number): Promise<Buffer> {
    // Every path below writes all the bytes of its blocks (holes are zero-filled explicitly).
    const out = Buffer.allocUnsafe(count * BLOCK_SIZE);
    const volumeId = this.remote.descriptor.volumeId;
    const changesAtStart = this.changeCounter;
    const overlay = this.overlay;
    const cache = this.cache;
    let i = 0;
    /** Block index (relative) the cache was just asked for and missed: go straight to the store. */
    let cacheMissAt = -1;
    while (i < count) {
      const b = first + i;
      const entry = overlay.get(b);
      if (entry) {
        // Gather consecutive blocks that sit consecutively in the same segment.
        let n = 1;
        while (i + n < count) {
          const e = overlay.get(b + n);
          if (!e || e.segmentNo !== entry.segmentNo || e.position !== entry.position + n * BLOCK_SIZE) break;
          n++;
        }
        try {
          const data = await this.log.readData(entry.segmentNo, entry.position, n * BLOCK_SIZE);
          data.copy(out, i * BLOCK_SIZE);
          i += n;
        } catch (err) {
          if (!hasCode(err, ErrorCode.NotFound)) throw err;
          // The segment was released after its upload: look the block up again.
        }
        continue;
      }
      if (overlay.trimmed(b)) {
        out.fill(0, i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
        i++;
        continue;
      }
      if (cache && cacheMissAt !== i) {
        // The run of blocks the log does not hold: one cache read per stretch of adjacent slots.
        let n = 1;
        if (!overlay.isEmpty) while (i + n < count && !overlay.get(b + n) && !overlay.trimmed(b + n)) n++;
        else n = count - i;
        const hits = await cache.getRun(volumeId, b, n, out, i * BLOCK_SIZE);
        this.counters.cacheHits += hits;
        i += hits;
        if (hits < n) cacheMissAt = i;
        continue;
      }
      const loc = this.remote.map.get(b);
      if (loc === 0) {
        out.fill(0, i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
        i++;
        continue;
      }
      const objNo = locationObject(loc);
      const off = locationOffset(loc);
      let n = 1;
      while (i + n < count && n < 256) {
        const bn = b + n;
        if (overlay.get(bn) || overlay.trimmed(bn) || this.remote.map.get(bn) !== loc + n) break;
        n++;
      }
      const warmingBody = this.warming.get(objNo);
      if (warmingBody) {
        warmingBody.copy(out, i * BLOCK_SIZE, off * BLOCK_SIZE, (off + n) * BLOCK_SIZE);
        this.counters.cacheHits += n;
        i += n;
        continue;
      }
      this.counters.cacheMisses++;
      const data = await this.remote.readObjectBlocks(objNo, off, n);
      this.counters.cloudBytesDownloaded += data.length;
      data.copy(out, i * BLOCK_SIZE);
      // Fill the cache only while no change raced this read (a trim that landed meanwhile must
      // not let an old block in); a change during the fill itself is undone right after it.
      if (cache && this.changeCounter === changesAtStart) this.fillCache(b, data.subarray(0, n * BLOCK_SIZE), changesAtStart);
      i += n;
    }
    return out;
  }

  /**
   * Start a cache put of whole blocks read from the store without waiting for it; it undoes
   * itself if any change landed while it was being written (`changesAtStart`).
   */
  private fillCache(firstBlock: number, data: Buffer, changesAtStart: number): void {
    const cache = this.cache!;
    const volumeId = this.remote.descriptor.volumeId;
    const count = data.length / BLOCK_SIZE;
    cache.putRun(volumeId, firstBlock, data).then(
      () => {
        if (this.changeCounter !== changesAtStart) void Promise.resolve(cache.invalidateRange(volumeId, firstBlock, count)).catch(() => undefined);
      },
      () => undefined, // closing or closed cache: the block is simply not cached
    );
  }

  /** A head was committed: the map has the objects; drop overlay entries and warm the cache. */
  private async onCommitted(head: VolumeHead, objects: CommittedObject[]): Promise<void> {
    const volumeId = this.remote.descriptor.volumeId;
    const touched: number[] = [];
    for (const { header } of objects) {
      for (const e of header.extents) if (e.kind === ExtentKind.Data) for (let k = 0; k < e.blockCount; k++) touched.push(e.firstBlock + k);
    }
    let invalidated = false;
    try {
      // Zero extents (as the map applies them): a block they cover reads as zeroes now, so no
      // cached copy of older data may survive them.
      if (this.cache) {
        for (const { header } of objects) {
          for (const e of header.extents) if (e.kind === ExtentKind.Zero) await this.cache.invalidateRange(volumeId, e.firstBlock, e.blockCount);
        }
      }
      invalidated = true;
    } finally {
      // Always: the log segments behind these entries are released next, and reads must
      // then go to the map (the store) rather than to a deleted segment — or, until the warm
      // below lands, to the object bodies still in hand. If the cache failed above, nothing
      // is warmed and the bodies go back at once (the blocks are read from the store).
      const warm = invalidated && this.cache !== undefined && !this.closed && !this.failed;
      if (warm) for (const { header, body } of objects) this.warming.set(header.objNo, body);
      this.overlay.commitThrough(head.lastSeq, touched);
      if (warm) void this.warmCache(objects);
      else for (const o of objects) this.doneWithBody(o);
    }
  }

  /** Nothing reads a committed object's body any more: forget it and hand it back for reuse. */
  private doneWithBody(o: CommittedObject): void {
    this.warming.delete(o.header.objNo);
    o.release();
  }

  /**
   * Put the committed objects' data blocks into the cache as CLEAN, one `putBlocks` per
   * object (its data region is contiguous). Each object is checked and put in one turn of
   * the event loop, with commands served between objects (the bookkeeping of an 8 MiB
   * object's 2,048 blocks takes milliseconds). Only a block's newest copy is put, so no
   * older copy can be served between two objects' turns: skipped are blocks the map no
   * longer places in this object (a later object wrote or zeroed them) and blocks with a
   * newer change in the overlay (a write or a pending trim, newer than the head by now). A
   * change that lands while a put is writing drops it (the cache's race rule 4).
   */
  private async warmCache(objects: CommittedObject[]): Promise<void> {
    const cache = this.cache!;
    const volumeId = this.remote.descriptor.volumeId;
    const overlay = this.overlay;
    const map = this.remote.map;
    // The body is read until its put settles (or not at all): then it goes back for reuse.
    for (let i = 0; i < objects.length; i++) {
      const o = objects[i]!;
      const { header, body } = o;
      if (i > 0) await yieldToEventLoop();
      if (this.closed || this.failed) {
        for (const rest of objects.slice(i)) this.doneWithBody(rest);
        return;
      }
      const checkOverlay = !overlay.isEmpty;
      const firstDataBlock = header.headerBytes / BLOCK_SIZE;
      const blocks = new Float64Array(body.length / BLOCK_SIZE - firstDataBlock).fill(-1);
      let any = false;
      for (const e of header.extents) {
        if (e.kind !== ExtentKind.Data) continue;
        const at = e.dataBlock - firstDataBlock;
        for (let k = 0; k < e.blockCount; k++) {
          const b = e.firstBlock + k;
          if (locationObject(map.get(b)) !== header.objNo) continue;
          if (checkOverlay && (overlay.get(b) !== undefined || overlay.trimmed(b))) continue;
          blocks[at + k] = b;
          any = true;
        }
      }
      // Nothing to warm: the body is let go at once; otherwise when its put settles.
      if (!any) {
        this.doneWithBody(o);
        continue;
      }
      cache
        .putBlocks(volumeId, blocks, body.subarray(header.headerBytes))
        .catch(() => undefined) // not cached: read from the store
        .finally(() => this.doneWithBody(o));
    }
  }
}
