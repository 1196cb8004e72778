import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Sync-first positional I/O. A small `pread`/`pwrite` that the page cache absorbs takes
 * ~2–5 µs done synchronously on the event loop, but ~30 µs of CPU (and two thread wake-ups)
 * through libuv's thread pool. So small I/O is tried synchronously first; every synchronous
 * call is timed, and as soon as two in a row are slow (they went to the disk, or the kernel
 * throttled dirty pages) the gate sends every I/O through the thread pool for a back-off period, then
 * tries synchronous I/O again (the back-off doubles while probes keep being slow, up to
 * `maxBackoffMs`). A cold page cache therefore blocks the event loop for at most two disk
 * I/Os per back-off period, and a warm one costs a syscall instead of a thread-pool round trip.
 * One slow call alone is not enough: a thread preempted in the middle of a page-cache copy
 * looks slow too, and with the event loop busy polling (protocols/common/busy-poll.ts) that
 * happened ~10 times a second and sent 40 % of the reads through the thread pool.
 *
 * At most `maxBurst` synchronous I/Os run per event-loop turn; the next one goes through the
 * thread pool, so a caller that loops on already-resolved reads still lets timers and
 * sockets run.
 *
 * This approximates `preadv2(RWF_NOWAIT)` (try without blocking, else hand over to a
 * thread), which Node does not expose. Nothing here changes what is written or when it is
 * durable: only which thread issues the syscall.
 */

/** Tuning of a {@link SyncFirstGate}. */
export interface SyncFirstOptions {
  /** Largest I/O tried synchronously, in bytes (default 128 KiB). */
  maxSyncBytes?: number;
  /** A synchronous I/O slower than this (plus `microsPerKiB` per KiB) trips the gate (default 100 µs). */
  slowMicros?: number;
  /** Allowance per KiB moved, for copies out of or into the page cache (default 0.5 µs). */
  microsPerKiB?: number;
  /** First back-off after a slow synchronous I/O (default 50 ms). */
  backoffMs?: number;
  /** Longest back-off while probes keep being slow (default 2 s). */
  maxBackoffMs?: number;
  /** Synchronous I/Os allowed per event-loop turn (default 32). */
  maxBurst?: number;
  /** Slow synchronous I/Os in a row that send the gate into back-off (default 2). */
  slowInRowToTrip?: number;
  /** Monotonic clock in milliseconds (default `performance.now`). */
  now?: () => number;
}

/** Counters of a gate (for tests and diagnostics). */
export interface SyncFirstStats {
  syncOps: number;
  asyncOps: number;
  /** Times slow synchronous I/Os sent the gate into back-off. */
  trips: number;
}

/** Decides, per I/O, whether to do it synchronously; see the file-top comment. */
export class SyncFirstGate {
  private readonly maxSyncBytes: number;
  private readonly slowMs: number;
  private readonly msPerByte: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxBurst: number;
  private readonly slowInRowToTrip: number;
  private readonly now: () => number;
  private slowInRow = 0;
  /** Synchronous I/Os since the event loop last turned. */
  private burst = 0;
  private readonly endTurn = (): void => {
    this.burst = 0;
  };
  /** Synchronous I/O is off until this time (ms of `now`); 0 = on. */
  private asyncUntil = 0;
  private currentBackoffMs: number;
  readonly stats: SyncFirstStats = { syncOps: 0, asyncOps: 0, trips: 0 };

  constructor(options: SyncFirstOptions = {}) {
    this.maxSyncBytes = options.maxSyncBytes ?? 128 * 1024;
    this.slowMs = (options.slowMicros ?? 100) / 1000;
    this.msPerByte = (options.microsPerKiB ?? 0.5) / 1000 / 1024;
    this.backoffMs = options.backoffMs ?? 50;
    this.maxBackoffMs = options.maxBackoffMs ?? 2000;
    this.currentBackoffMs = this.backoffMs;
    this.maxBurst = options.maxBurst ?? 32;
    this.slowInRowToTrip = options.slowInRowToTrip ?? 2;
    this.now = options.now ?? defaultNow;
  }

  /**
   * Run `sync` (a synchronous I/O of `bytes`) now when the gate allows it, timing it;
   * otherwise return `fallback()` (the thread-pool version). Errors of `sync` propagate as
   * a rejected promise, exactly as the fallback's would.
   */
  run<T>(bytes: number, sync: () => T, fallback: () => Promise<T>): Promise<T> {
    if (bytes > this.maxSyncBytes || this.burst >= this.maxBurst || (this.asyncUntil !== 0 && this.now() < this.asyncUntil)) {
      this.stats.asyncOps++;
      return fallback();
    }
    if (this.burst++ === 0) setImmediate(this.endTurn);
    const probing = this.asyncUntil !== 0;
    const t0 = this.now();
    let result: T;
    try {
      result = sync();
    } catch (err) {
      return Promise.reject(err);
    } finally {
      this.stats.syncOps++;
      this.observe(this.now() - t0, bytes, probing);
    }
    return Promise.resolve(result);
  }

  private observe(elapsedMs: number, bytes: number, probing: boolean): void {
    if (elapsedMs <= this.slowMs + bytes * this.msPerByte) {
      this.slowInRow = 0;
      if (probing) {
        this.asyncUntil = 0;
        this.currentBackoffMs = this.backoffMs;
      }
      return;
    }
    if (++this.slowInRow < this.slowInRowToTrip) return;
    this.slowInRow = 0;
    this.stats.trips++;
    if (probing) this.currentBackoffMs = Math.min(this.maxBackoffMs, this.currentBackoffMs * 2);
    this.asyncUntil = this.now() + this.currentBackoffMs;
  }
}

function defaultNow(): number {
  return performance.now();
}

/**
 * Positional read of `out.length` bytes (short only at end of file), at most `maxReadBytes`
 * per read call: the async half of a gated read, and any read of a whole file or range.
 */
export async function readFully(fh: FileHandle, out: Buffer, position: number, maxReadBytes = out.length): Promise<number> {
  let done = 0;
  while (done < out.length) {
    const { bytesRead } = await fh.read(out, done, Math.min(maxReadBytes, out.length - done), position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Synchronous positional read of `out.length` bytes (short only at end of file): the sync half of a gated read. */
export function readFullySync(fd: number, out: Buffer, position: number): number {
  let done = 0;
  while (done < out.length) {
    const n = readSync(fd, out, done, out.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
