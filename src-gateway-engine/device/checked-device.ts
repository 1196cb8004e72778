import { ErrorCode, TidegateError } from '../errors/index.js';
import type { BlockDevice, BlockExtent, WriteOptions, WriteZeroesOptions } from './block-device.js';

/**
 * The checked wrapper every protocol goes through (nbdkit's "backend" checks). It rejects
 * malformed or out-of-range requests before they reach the device, so devices and filters
 * below may assume `0 ≤ offset`, `offset + length ≤ size`, integer arguments and
 * `length ≤ maxRequestBytes` for read/write. Zero-length requests inside (or at the end
 * of) the device are answered here as no-ops. It also checks the device's answers: a read
 * of the wrong length or a block-status answer that covers nothing becomes IO_ERROR.
 */

/** Options for {@link CheckedDevice}. */
export interface CheckedDeviceOptions {
  /** Largest read or write payload accepted, in bytes; default 32 MiB. */
  maxRequestBytes?: number;
}

/** Default largest read/write payload (32 MiB, NBD's customary maximum block size). */
export const DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** Validates every request's range and size before passing it to the inner device. */
export class CheckedDevice implements BlockDevice {
  readonly size: number;
  readonly blockSize: number;
  readonly maxRequestBytes: number;

  constructor(
    readonly inner: BlockDevice,
    options: CheckedDeviceOptions = {},
  ) {
    this.size = inner.size;
    this.blockSize = inner.blockSize;
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.checkRange('read', offset, length);
    this.checkPayload('read', length);
    if (length === 0) return EMPTY;
    const data = await this.inner.read(offset, length);
    if (data.length !== length) {
      throw new TidegateError(ErrorCode.IoError, `device returned ${data.length} bytes for a read of ${length}`);
    }
    return data;
  }

  async write(offset: number, data: Buffer, options?: WriteOptions): Promise<void> {
    this.checkRange('write', offset, data.length);
    this.checkPayload('write', data.length);
    if (data.length === 0) return;
    return this.inner.write(offset, data, options);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  async trim(offset: number, length: number, options?: WriteOptions): Promise<void> {
    this.checkRange('trim', offset, length);
    if (length === 0) return;
    return this.inner.trim(offset, length, options);
  }

  async writeZeroes(offset: number, length: number, options?: WriteZeroesOptions): Promise<void> {
    this.checkRange('write-zeroes', offset, length);
    if (length === 0) return;
    return this.inner.writeZeroes(offset, length, options);
  }

  async blockStatus(offset: number, length: number): Promise<BlockExtent[]> {
    this.checkRange('block-status', offset, length);
    if (length === 0) return [];
    const extents = await this.inner.blockStatus(offset, length);
    if (extents.length === 0 || !(extents[0]!.length > 0)) {
      throw new TidegateError(ErrorCode.IoError, `device block status at ${offset} covered no bytes`);
    }
    return extents;
  }

  private checkRange(op: string, offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new TidegateError(ErrorCode.OutOfRange, `${op}: offset ${offset} is not a non-negative integer`);
    }
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new TidegateError(ErrorCode.OutOfRange, `${op}: length ${length} is not a non-negative integer`);
    }
    if (offset > this.size || length > this.size - offset) {
      throw new TidegateError(
        ErrorCode.OutOfRange,
        `${op}: range ${offset}+${length} ends past the device size ${this.size}`,
      );
    }
  }

  private checkPayload(op: string, length: number): void {
    if (length > this.maxRequestBytes) {
      throw new TidegateError(
        ErrorCode.InvalidArgument,
        `${op}: length ${length} exceeds the maximum request size ${this.maxRequestBytes}`,
      );
    }
  }
}
