/**
 * The one interface every protocol talks to (nbdkit's "plugin" boundary). Offsets and
 * lengths are in bytes; numbers are exact up to 2^53, far beyond the 32 TiB volume limit.
 *
 * Durability contract (DESIGN.md invariant 1): a write or trim resolved with `fua: true`,
 * and every write resolved before a `flush()` that itself resolved, survives kill -9 and
 * power loss. Anything else may be lost in a crash, but only as a suffix of the write
 * sequence (invariant 2).
 */
export interface BlockDevice {
  /** Size in bytes. */
  readonly size: number;
  /** Preferred I/O granularity in bytes (a power of two; 4096 for volumes). */
  readonly blockSize: number;
  read(offset: number, length: number): Promise<Buffer>;
  /** Nothing reads `data` once the promise settles: the caller may reuse the buffer then. */
  write(offset: number, data: Buffer, options?: WriteOptions): Promise<void>;
  /** Make every write resolved so far durable. */
  flush(): Promise<void>;
  /** Discard a range: it then reads as zeroes and stops taking space. */
  trim(offset: number, length: number, options?: WriteOptions): Promise<void>;
  /** Zero a range; `noUnmap` asks to keep it allocated. */
  writeZeroes(offset: number, length: number, options?: WriteZeroesOptions): Promise<void>;
  /** Allocation map of a range (NBD base:allocation); contiguous, covering at least one byte from `offset`. */
  blockStatus(offset: number, length: number): Promise<BlockExtent[]>;
}

export interface WriteOptions {
  /** Force unit access: durable before the promise resolves. */
  fua?: boolean;
}

export interface WriteZeroesOptions extends WriteOptions {
  noUnmap?: boolean;
}

/** One run of a block-status answer. */
export interface BlockExtent {
  length: number;
  /** Not backed by data (a hole: never written, or trimmed). */
  hole: boolean;
  /** Reads as zeroes. */
  zero: boolean;
}
