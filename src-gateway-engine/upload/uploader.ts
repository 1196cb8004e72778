/**
 * The uploader drains sealed write-log segments to the object store, in sequence order:
 *
 *   sealed segment → packObjects → data objects (numbered) → PUT, several in flight
 *                  → once objects 1..k are all durable: commit head k (the recovery point)
 *                  → host applies them (map, cache, overlay) → log segments released
 *
 * Deferring uploads: while the volume's clients keep it busy (ForegroundLoad), no new segment
 * is packed, so a burst of I/O does not share the CPU and the disk with uploads — as the
 * kernel lets dirty pages wait up to 30 s (dirty_expire_centisecs) before writing them back.
 * The data is durable in the log meanwhile; only the recovery point ages. Deferring ends when
 * the clients go quiet, when the oldest write not in a recovery point is `deferWhileBusyMs`
 * old (then uploads run until everything is uploaded), when the log is half full, or when
 * anyone waits for a recovery point (volume sync, snapshot). `deferWhileBusyMs` 0 = never.
 *
 * A failed PUT is retried forever with backoff and jitter: data is never dropped, and the
 * status shows the error. Only fencing (another owner) stops it, and that fail-stops the
 * volume. The head never names an object that is not durable, so the store's committed
 * state is always a crash-consistent prefix (invariants 2 and 3).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ErrorCode, TidegateError, hasCode } from '../errors/index.js';
import { backoffDelay } from '../objectstore/index.js';
import { encodeDataObject, type DataObjectHeader } from '../remote/data-object.js';
import type { RemoteVolume } from '../remote/remote-volume.js';
import type { VolumeHead } from '../remote/volume-head.js';
import type { WriteLog } from '../writelog/write-log.js';
import { BandwidthLimiter } from './bandwidth-limiter.js';
import { BufferPool } from '../memory/buffer-pool.js';
import { ForegroundLoad, type ForegroundTotals } from './foreground-load.js';
import { packObjects } from './segment-packer.js';

/** The pooled buffers are let go after this long with nothing to pack. */
const POOL_IDLE_MS = 10_000;

/** Room for an object's header and its last record beyond objectBytes, so most bodies fit a pooled buffer. */
const BODY_HEADROOM_BYTES = 1024 * 1024;

/** How often an idle loop looks for work nobody woke it for (a segment sealed with no write after it, log failure). */
const IDLE_POLL_MS = 200;

/** How often a deferring loop looks again whether the clients are still busy. */
const DEFER_POLL_MS = 100;

/** Uploads are never deferred once the log is this full, so deferring cannot make writers wait for space. */
const DEFER_MAX_LOG_FRACTION = 0.5;

/** Refusals in a row after which `waitForCommit` callers are told instead of left waiting. */
const REFUSALS_BEFORE_FAILING_WAITERS = 5;

export interface UploaderOptions {
  concurrency: number;
  objectBytes: number;
  bandwidthBytesPerSec: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Seal the open segment after this long with unsealed records, so quiet volumes upload too. */
  sealIntervalMs: number;
  /** Write a block-map checkpoint once this many objects follow the last one. */
  checkpointEveryObjects: number;
  /** Idle loop's polling period (default 200 ms); tests set it long to see what wakes the loop. */
  idlePollMs?: number;
  /**
   * Longest a write may wait for its upload while the clients keep the volume busy (see the
   * file-top comment); 0 or absent = uploads never wait for the clients.
   */
  deferWhileBusyMs?: number;
  /** How the volume's load is judged busy (tests). */
  foreground?: ConstructorParameters<typeof ForegroundLoad>[1];
}

export interface UploaderHost {
  /** Called after a head commit, before log segments are released. */
  onCommitted(head: VolumeHead, objects: CommittedObject[]): Promise<void>;
  /** Make anything derived from the log durable before segments are deleted (stored volumes). */
  beforeRelease(): Promise<void>;
  /** The uploader cannot go on (fenced, failed log). */
  onFatal(err: TidegateError): void;
  onWarning(msg: string, fields: Record<string, unknown>): void;
  /** The volume's client I/O so far: tells whether uploads should wait for a quieter moment. */
  foregroundTotals(): ForegroundTotals;
}

/** An object a commit made part of the recovery point, as the host gets it. */
export interface CommittedObject {
  header: DataObjectHeader;
  body: Buffer;
  /**
   * Hand the body back for reuse once nothing reads it any more (a cache write from it has
   * settled). Reading it afterwards reads another object's data. Never calling it is safe:
   * the body is then simply garbage-collected.
   */
  release(): void;
}

interface QueuedObject {
  header: DataObjectHeader;
  body: Buffer;
  done: boolean;
}

/** Counters for status and metrics. */
export interface UploaderStats {
  cloudBytesUploaded: number;
  objectsUploaded: number;
  inFlight: number;
  retries: number;
  lastError: string | undefined;
  lastErrorAt: string | undefined;
  lastCommitAt: string | undefined;
  /** When the current run of failures began (ms since the epoch); undefined after any success. */
  failingSinceMs: number | undefined;
  /** Uploads are waiting for the clients to quiet down (see the file-top comment). */
  deferring: boolean;
  /** Milliseconds spent deferring since start. */
  deferredMs: number;
}

export class Uploader {
  readonly stats: UploaderStats = {
    cloudBytesUploaded: 0,
    objectsUploaded: 0,
    inFlight: 0,
    retries: 0,
    lastError: undefined,
    lastErrorAt: undefined,
    lastCommitAt: undefined,
    failingSinceMs: undefined,
    deferring: false,
    deferredMs: 0,
  };
  readonly limiter: BandwidthLimiter;
  private readonly log: WriteLog;
  private readonly remote: RemoteVolume;
  private readonly host: UploaderHost;
  private readonly opts: UploaderOptions;
  private queue: QueuedObject[] = [];
  private nextObjNo: number;
  private lastPackedSegment = 0;
  private committing = false;
  private commitDone: Promise<void> = Promise.resolve();
  private readonly uploads = new Set<Promise<void>>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private slotWaiters: Array<() => void> = [];
  private commitWaiters: Array<{ seq: number; resolve: (h: VolumeHead) => void; reject: (e: unknown) => void }> = [];
  private unsealedSince: number | undefined;
  private wake: (() => void) | undefined;
  /**
   * Sealed segments are read back into one pooled buffer: packing copies every byte it keeps
   * into the object bodies, so nothing refers to it once a segment is packed.
   */
  private readonly segmentBuffers = new BufferPool(1);
  /** Object bodies, given back by the host once committed and nothing reads them (CommittedObject.release). */
  private readonly bodyBuffers: BufferPool;
  private lastPackedAt = 0;
  private fatal: TidegateError | undefined;
  /** Consecutive refusals (bucket gone, access denied); any successful PUT resets it. */
  private refusalStreak = 0;
  private readonly foreground: ForegroundLoad;
  /**
   * When the oldest write not yet in a recovery point was made (ms since the epoch);
   * undefined when everything is uploaded. 0 for records found in the log at start: their
   * age is unknown, so they are never deferred.
   */
  private backlogSince: number | undefined;

  constructor(log: WriteLog, remote: RemoteVolume, host: UploaderHost, opts: UploaderOptions) {
    this.log = log;
    this.remote = remote;
    this.host = host;
    this.opts = opts;
    this.limiter = new BandwidthLimiter(opts.bandwidthBytesPerSec);
    this.nextObjNo = remote.head.lastObjectNo + 1;
    // Enough for every object in flight plus those waiting to be committed and applied.
    this.bodyBuffers = new BufferPool(opts.concurrency + 2, opts.objectBytes + BODY_HEADROOM_BYTES);
    this.foreground = new ForegroundLoad(() => host.foregroundTotals(), opts.foreground);
    if (log.lastSequence > remote.head.lastSeq) this.backlogSince = 0;
  }

  /** Start draining. */
  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stop: no new PUT or commit starts; waits for those under way (a commit racing a later
   * owner would fence it). Data not uploaded stays in the log for the next start.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    for (const w of this.slotWaiters.splice(0)) w();
    await this.loop;
    this.stats.deferring = false;
    await Promise.all([...this.uploads]);
    await this.commitDone;
    const err = new TidegateError(ErrorCode.ShuttingDown, 'uploader stopped');
    for (const w of this.commitWaiters.splice(0)) w.reject(err);
  }

  /** Bytes of log not yet in a committed recovery point. */
  get backlogBytes(): number {
    return this.log.usedBytes;
  }

  /** Nudge the loop (a sync was asked for). */
  poke(): void {
    this.wake?.();
  }

  /**
   * A write reached the log. The sleeping loop is woken only when that gives it something to
   * do: the first write since it last looked starts the seal clock, and a segment the log
   * sealed by itself (full) is waiting to be packed. Waking it for every other write only
   * re-armed its timer, a cost every small write paid.
   */
  noteWrite(): void {
    this.backlogSince ??= Date.now();
    // Busy, or deferring (it looks at the log again when it wakes by itself).
    if (this.wake === undefined || this.stats.deferring) return;
    if (this.unsealedSince === undefined || this.hasSegmentToPack()) this.wake();
  }

  private hasSegmentToPack(): boolean {
    const sealed = this.log.sealedSegments;
    return sealed.length > 0 && sealed[sealed.length - 1]!.segmentNo > this.lastPackedSegment;
  }

  /**
   * Resolve once every write with sequence <= seq is inside a committed recovery point.
   * Seals the open segment so it does not wait for the seal interval.
   */
  async waitForCommit(seq: number): Promise<VolumeHead> {
    if (this.fatal) throw this.fatal;
    if (this.remote.head.lastSeq >= seq) return this.remote.head;
    const p = new Promise<VolumeHead>((resolve, reject) => this.commitWaiters.push({ seq, resolve, reject }));
    // The waiter may be rejected while we are still sealing below, before the caller holds `p`:
    // mark it handled now (the caller still gets the rejection through the returned promise).
    p.catch(() => undefined);
    if (this.log.hasUnsealedRecords) await this.log.seal();
    this.poke();
    return p;
  }

  private async run(): Promise<void> {
    while (!this.stopped && !this.fatal) {
      try {
        const seg = this.log.sealedSegments.find((s) => s.segmentNo > this.lastPackedSegment);
        this.stats.deferring = seg !== undefined && this.shouldDefer(Date.now());
        if (!seg) {
          await this.idleStep();
          continue;
        }
        if (this.stats.deferring) {
          await this.deferStep();
          continue;
        }
        await this.packSegment(seg.segmentNo);
        this.lastPackedSegment = seg.segmentNo;
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof TidegateError && err.code === ErrorCode.VolumeFailed) {
          this.setFatal(err);
          break;
        }
        this.noteError(err);
        await this.sleep(this.opts.retryMaxMs);
      }
    }
  }

  /**
   * Resolve the waiters `head` covers. A waiter may wait for a sequence number the log gave
   * back (appends refused for a full disk): what it can wait for is the log's newest record.
   */
  private resolveCommitWaiters(head: VolumeHead): void {
    if (this.commitWaiters.length === 0) return;
    const newest = this.log.lastSequence;
    this.commitWaiters = this.commitWaiters.filter((w) => {
      if (Math.min(w.seq, newest) > head.lastSeq) return true;
      w.resolve(head);
      return false;
    });
  }

  /** Should the next segment wait for the clients to quiet down? See the file-top comment. */
  private shouldDefer(now: number): boolean {
    const limit = this.opts.deferWhileBusyMs ?? 0;
    if (limit <= 0 || this.stopped || this.commitWaiters.length > 0) return false;
    if (this.backlogSince === undefined || now - this.backlogSince >= limit) return false;
    if (this.log.queuedWrites > 0 || this.log.usedBytes >= this.log.capacityBytes * DEFER_MAX_LOG_FRACTION) return false;
    return this.foreground.busy(now);
  }

  private async deferStep(): Promise<void> {
    const t0 = Date.now();
    await this.sleep(DEFER_POLL_MS);
    this.stats.deferredMs += Date.now() - t0;
  }

  /** Nothing sealed to pack: seal the open segment once it has waited long enough. */
  private async idleStep(): Promise<void> {
    this.resolveCommitWaiters(this.remote.head);
    // Keep the load's window fresh, so that a burst is seen before the first segment it fills is packed.
    if ((this.opts.deferWhileBusyMs ?? 0) > 0) this.foreground.busy(Date.now());
    if (Date.now() - this.lastPackedAt >= POOL_IDLE_MS) {
      this.segmentBuffers.drain();
      this.bodyBuffers.drain();
    }
    if (this.log.failed) {
      this.setFatal(this.log.failed);
      return;
    }
    if (this.log.hasUnsealedRecords) {
      this.unsealedSince ??= Date.now();
      const wantCommit = this.commitWaiters.length > 0 || this.log.queuedWrites > 0;
      if (wantCommit || Date.now() - this.unsealedSince >= this.opts.sealIntervalMs) {
        this.unsealedSince = undefined;
        await this.log.seal();
        return;
      }
    } else {
      this.unsealedSince = undefined;
    }
    const poll = this.opts.idlePollMs ?? IDLE_POLL_MS;
    // Writes do not wake the loop once the clock runs (noteWrite): sleep until the seal is due.
    const sealDue = this.unsealedSince === undefined ? poll : this.unsealedSince + this.opts.sealIntervalMs - Date.now();
    await this.sleep(Math.max(1, Math.min(sealDue, poll)));
  }

  private async packSegment(segmentNo: number): Promise<void> {
    const committedSeq = this.remote.head.lastSeq;
    this.lastPackedAt = Date.now();
    let segment: Buffer | undefined;
    try {
      const records = await this.log.readSegment(segmentNo, (bytes) => (segment = this.segmentBuffers.take(bytes)));
      const from = records.firstAfter(committedSeq);
      if (from === records.count) {
        // Already in the store (a crash after the commit, before the release): just release.
        await this.host.beforeRelease();
        await this.log.releaseThrough(committedSeq);
        return;
      }
      for (const content of packObjects(records, from, this.opts.objectBytes)) {
        await this.waitForSlot();
        if (this.stopped) return;
        const objNo = this.nextObjNo++;
        const enc = encodeDataObject({ ...content, objNo, epoch: this.remote.owner.epoch });
        // A copy: the parts are views of the segment buffer, which the next segment reuses.
        const body = this.bodyBuffers.take(enc.bytes);
        let at = 0;
        for (const part of enc.parts) at += part.copy(body, at);
        const q: QueuedObject = { header: enc.header, body, done: false };
        this.queue.push(q);
        const p = this.upload(q).finally(() => this.uploads.delete(p));
        this.uploads.add(p);
        // Packing and copying an object takes milliseconds: let waiting commands in between.
        await yieldToEventLoop();
      }
    } finally {
      if (segment) this.segmentBuffers.giveBack(segment);
    }
  }

  private waitForSlot(): Promise<void> {
    if (this.inFlightCount() < this.opts.concurrency || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private inFlightCount(): number {
    let n = 0;
    for (const q of this.queue) if (!q.done) n++;
    return n;
  }

  private async upload(q: QueuedObject): Promise<void> {
    const key = this.remote.objectKey(q.header.objNo, q.header.epoch);
    this.stats.inFlight++;
    for (let attempt = 0; !this.stopped && !this.fatal; attempt++) {
      try {
        await this.limiter.take(q.body.length);
        await this.remote.store.put(key, q.body);
        q.done = true;
        this.refusalStreak = 0;
        this.stats.failingSinceMs = undefined;
        this.stats.cloudBytesUploaded += q.body.length;
        this.stats.objectsUploaded++;
        break;
      } catch (err) {
        this.stats.retries++;
        this.noteError(err);
        await delay(backoffDelay(attempt, { baseDelayMs: this.opts.retryBaseMs, maxDelayMs: this.opts.retryMaxMs }));
      }
    }
    this.stats.inFlight--;
    const w = this.slotWaiters.shift();
    if (w) w();
    void this.tryCommit();
  }

  /** Commit a head over the longest prefix of durable objects. One commit at a time. */
  private tryCommit(): Promise<void> {
    if (this.committing || this.fatal || this.stopped) return this.commitDone;
    this.committing = true;
    this.commitDone = this.commitLoop();
    return this.commitDone;
  }

  private async commitLoop(): Promise<void> {
    try {
      for (;;) {
        let n = 0;
        while (n < this.queue.length && this.queue[n]!.done) n++;
        if (n === 0 || this.stopped) return;
        const batch = this.queue.slice(0, n);
        const headers = batch.map((q) => q.header);
        const last = headers[headers.length - 1]!;
        for (const h of headers) this.remote.applyObject(h);
        let checkpointObjectNo = this.remote.head.checkpointObjectNo;
        if (last.objNo - checkpointObjectNo >= this.opts.checkpointEveryObjects) {
          await this.retrying(() => this.remote.writeCheckpoint(last.objNo));
          checkpointObjectNo = last.objNo;
        }
        const head = await this.retrying(() =>
          this.remote.commitHead({ lastSeq: last.lastSeq, lastObjectNo: last.objNo, checkpointObjectNo }),
        );
        this.queue.splice(0, n);
        this.stats.lastCommitAt = head.committedAt;
        // The recovery point exists now, whatever happens to the local work below.
        this.resolveCommitWaiters(head);
        if (head.lastSeq >= this.log.lastSequence) this.backlogSince = undefined;
        await this.host.onCommitted(
          head,
          batch.map((q) => ({ header: q.header, body: q.body, release: () => this.bodyBuffers.giveBack(q.body) })),
        );
        await this.host.beforeRelease();
        await this.log.releaseThrough(head.lastSeq);
      }
    } catch (err) {
      if (err instanceof TidegateError && (err.code === ErrorCode.VolumeOwned || err.code === ErrorCode.VolumeFailed)) this.setFatal(err);
      else {
        this.noteError(err);
        // Local trouble after a commit (cache, release): try again shortly rather than stall.
        setTimeout(() => void this.tryCommit(), this.opts.retryMaxMs).unref();
      }
    } finally {
      this.committing = false;
    }
  }

  /** Retry a store operation until it succeeds; fencing errors pass through. */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (hasCode(err, ErrorCode.VolumeOwned) || this.stopped) throw err;
        this.stats.retries++;
        this.noteError(err);
        await delay(backoffDelay(attempt, { baseDelayMs: this.opts.retryBaseMs, maxDelayMs: this.opts.retryMaxMs }));
      }
    }
  }

  private setFatal(err: TidegateError): void {
    if (this.fatal) return;
    this.fatal = err;
    this.noteError(err);
    for (const w of this.commitWaiters.splice(0)) w.reject(err);
    this.host.onFatal(err);
  }

  private noteError(err: unknown): void {
    // "CODE: message", as the volume's `error` field: the stable code says what to fix (BUCKET_MISSING, ACCESS_DENIED…).
    const msg = err instanceof TidegateError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    this.stats.lastError = msg;
    this.stats.lastErrorAt = new Date().toISOString();
    this.stats.failingSinceMs ??= Date.now();
    this.host.onWarning('upload: error (will retry)', { error: msg });
    // A store that refuses us (bucket gone, credentials revoked) will not heal by waiting:
    // tell whoever waits for a recovery point now. Uploads keep retrying; data stays in the log.
    const refused = err instanceof TidegateError && (err.code === ErrorCode.BucketMissing || err.code === ErrorCode.AccessDenied);
    this.refusalStreak = refused ? this.refusalStreak + 1 : 0;
    if (refused && this.refusalStreak >= REFUSALS_BEFORE_FAILING_WAITERS) {
      const failure = new TidegateError(err.code, `uploads to the store are failing (${err.message}); the data is safe in the write log and uploads keep retrying`, { cause: err });
      for (const w of this.commitWaiters.splice(0)) w.reject(failure);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
