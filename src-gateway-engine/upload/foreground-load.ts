/**
 * Is a volume busy serving its clients right now? The uploader asks before it starts packing
 * another segment, so that a burst of client I/O does not share the CPU and the disk with
 * uploads (see Uploader, "deferring uploads").
 *
 * Judged from the volume's cumulative I/O counters, read only when asked, so counting costs
 * the I/O path nothing: busy when the last window of at least `windowMs` carried at least
 * `busyOpsPerSec` operations or `busyBytesPerSec` bytes per second, or when the window under
 * way has already carried a whole window's worth (a burst is seen within milliseconds; the end
 * of one within a window).
 */

/** A volume's I/O since it opened (reads and writes together). */
export interface ForegroundTotals {
  ops: number;
  bytes: number;
}

export interface ForegroundLoadOptions {
  /** Length of the judged window (default 500 ms). */
  windowMs?: number;
  /** Operations per second that make a volume busy (default 1,000). */
  busyOpsPerSec?: number;
  /** Bytes per second that make a volume busy (default 32 MiB/s). */
  busyBytesPerSec?: number;
}

export const DEFAULT_BUSY_OPS_PER_SEC = 1000;
export const DEFAULT_BUSY_BYTES_PER_SEC = 32 * 1024 * 1024;

export class ForegroundLoad {
  private readonly totals: () => ForegroundTotals;
  private readonly windowMs: number;
  private readonly busyOpsPerSec: number;
  private readonly busyBytesPerSec: number;
  private windowStart: number | undefined;
  private startOps = 0;
  private startBytes = 0;
  private lastWindowBusy = false;

  constructor(totals: () => ForegroundTotals, opts: ForegroundLoadOptions = {}) {
    this.totals = totals;
    this.windowMs = opts.windowMs ?? 500;
    this.busyOpsPerSec = opts.busyOpsPerSec ?? DEFAULT_BUSY_OPS_PER_SEC;
    this.busyBytesPerSec = opts.busyBytesPerSec ?? DEFAULT_BUSY_BYTES_PER_SEC;
  }

  /** Busy at `now` (ms, any monotonic clock)? */
  busy(now: number): boolean {
    const t = this.totals();
    if (this.windowStart === undefined) {
      this.restart(now, t);
      return false;
    }
    const elapsed = now - this.windowStart;
    const ops = t.ops - this.startOps;
    const bytes = t.bytes - this.startBytes;
    if (elapsed >= this.windowMs) {
      // A long quiet spell makes one long window whose average is low: not busy, as it should.
      this.lastWindowBusy = this.carried(ops, bytes, elapsed);
      this.restart(now, t);
      return this.lastWindowBusy;
    }
    return this.lastWindowBusy || this.carried(ops, bytes, this.windowMs);
  }

  private carried(ops: number, bytes: number, ms: number): boolean {
    return ops * 1000 >= this.busyOpsPerSec * ms || bytes * 1000 >= this.busyBytesPerSec * ms;
  }

  private restart(now: number, t: ForegroundTotals): void {
    this.windowStart = now;
    this.startOps = t.ops;
    this.startBytes = t.bytes;
  }
}
