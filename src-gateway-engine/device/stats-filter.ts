import type { BlockDevice, BlockExtent, WriteOptions, WriteZeroesOptions } from './block-device.js';
import { DEVICE_OP_KINDS, type DeviceOpKind } from './device-op-kind.js';
import { LatencyHistogram, type LatencySnapshot } from './latency-histogram.js';

/**
 * A filter that counts operations, errors and bytes, and records each operation's latency
 * in a fixed-bucket histogram per kind. The hot path only bumps numbers in preallocated
 * arrays; `snapshot()` is where objects get built.
 */

/** Options for {@link StatsFilter}. */
export interface StatsFilterOptions {
  /** Monotonic clock in milliseconds; default `performance.now`. */
  now?: () => number;
}

/** Counters for one operation kind. */
export interface DeviceOpStats {
  ops: number;
  errors: number;
  latency: LatencySnapshot;
}

/** A point-in-time copy of a StatsFilter's counters. */
export interface DeviceStatsSnapshot {
  byOp: Record<DeviceOpKind, DeviceOpStats>;
  bytesRead: number;
  bytesWritten: number;
  bytesTrimmed: number;
  bytesZeroed: number;
  /** Operations started and not yet finished. */
  inFlight: number;
}

const READ = 0;
const WRITE = 1;
const FLUSH = 2;
const TRIM = 3;
const WRITE_ZEROES = 4;
const BLOCK_STATUS = 5;

/** Counts ops, bytes and latency of every call that passes through it. */
export class StatsFilter implements BlockDevice {
  readonly size: number;
  readonly blockSize: number;
  private readonly now: () => number;
  private readonly ops = new Float64Array(DEVICE_OP_KINDS.length);
  private readonly errors = new Float64Array(DEVICE_OP_KINDS.length);
  private readonly histograms = DEVICE_OP_KINDS.map(() => new LatencyHistogram());
  private bytesRead = 0;
  private bytesWritten = 0;
  private bytesTrimmed = 0;
  private bytesZeroed = 0;
  private inFlight = 0;

  constructor(
    readonly inner: BlockDevice,
    options: StatsFilterOptions = {},
  ) {
    this.size = inner.size;
    this.blockSize = inner.blockSize;
    this.now = options.now ?? defaultNow;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const t0 = this.start();
    try {
      const data = await this.inner.read(offset, length);
      this.bytesRead += data.length;
      return data;
    } catch (err) {
      this.errors[READ]!++;
      throw err;
    } finally {
      this.finish(READ, t0);
    }
  }

  async write(offset: number, data: Buffer, options?: WriteOptions): Promise<void> {
    const t0 = this.start();
    try {
      await this.inner.write(offset, data, options);
      this.bytesWritten += data.length;
    } catch (err) {
      this.errors[WRITE]!++;
      throw err;
    } finally {
      this.finish(WRITE, t0);
    }
  }

  async flush(): Promise<void> {
    const t0 = this.start();
    try {
      await this.inner.flush();
    } catch (err) {
      this.errors[FLUSH]!++;
      throw err;
    } finally {
      this.finish(FLUSH, t0);
    }
  }

  async trim(offset: number, length: number, options?: WriteOptions): Promise<void> {
    const t0 = this.start();
    try {
      await this.inner.trim(offset, length, options);
      this.bytesTrimmed += length;
    } catch (err) {
      this.errors[TRIM]!++;
      throw err;
    } finally {
      this.finish(TRIM, t0);
    }
  }

  async writeZeroes(offset: number, length: number, options?: WriteZeroesOptions): Promise<void> {
    const t0 = this.start();
    try {
      await this.inner.writeZeroes(offset, length, options);
      this.bytesZeroed += length;
    } catch (err) {
      this.errors[WRITE_ZEROES]!++;
      throw err;
    } finally {
      this.finish(WRITE_ZEROES, t0);
    }
  }

  async blockStatus(offset: number, length: number): Promise<BlockExtent[]> {
    const t0 = this.start();
    try {
      return await this.inner.blockStatus(offset, length);
    } catch (err) {
      this.errors[BLOCK_STATUS]!++;
      throw err;
    } finally {
      this.finish(BLOCK_STATUS, t0);
    }
  }

  /** Completed operations of one kind and the sum of their latencies (seconds), without building a snapshot. */
  latencyTotals(kind: 'read' | 'write'): { ops: number; seconds: number } {
    const h = this.histograms[kind === 'read' ? READ : WRITE]!;
    return { ops: h.count, seconds: h.sumSeconds };
  }

  /** Copy out every counter. */
  snapshot(): DeviceStatsSnapshot {
    const byOp = {} as Record<DeviceOpKind, DeviceOpStats>;
    DEVICE_OP_KINDS.forEach((kind, i) => {
      byOp[kind] = { ops: this.ops[i]!, errors: this.errors[i]!, latency: this.histograms[i]!.snapshot() };
    });
    return {
      byOp,
      bytesRead: this.bytesRead,
      bytesWritten: this.bytesWritten,
      bytesTrimmed: this.bytesTrimmed,
      bytesZeroed: this.bytesZeroed,
      inFlight: this.inFlight,
    };
  }

  private start(): number {
    this.inFlight++;
    return this.now();
  }

  private finish(kind: number, t0: number): void {
    this.inFlight--;
    this.ops[kind]!++;
    this.histograms[kind]!.record((this.now() - t0) / 1000);
  }
}

function defaultNow(): number {
  return performance.now();
}
