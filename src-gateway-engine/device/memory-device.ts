import type { BlockDevice, BlockExtent, WriteOptions, WriteZeroesOptions } from './block-device.js';

/**
 * A sparse in-memory block device. Data lives in fixed-size chunks allocated on first
 * write, so a 1 TiB device costs nothing until written. A chunk is in one of three states:
 *
 *   absent      a hole (never written, or trimmed/zeroed as a whole)  → hole + zero
 *   zero chunk  allocated but known zero (write-zeroes with noUnmap); shares one buffer,
 *               replaced by a private copy on the first write            → zero
 *   private     data                                                     → data
 *
 * blockStatus reports exactly that map. Nothing here is durable, so flush and FUA have nothing to do; the
 * device is still a faithful stand-in for tests and benchmarks of the protocol layers.
 *
 * The device does not validate ranges; wrap it in a CheckedDevice (every protocol does).
 */

/** Options for {@link MemoryDevice}. */
export interface MemoryDeviceOptions {
  /** Size in bytes. */
  size: number;
  /** Reported preferred I/O size; default 4096. */
  blockSize?: number;
  /** Allocation granularity in bytes (a power of two, ≥ blockSize); default 64 KiB. */
  chunkSize?: number;
}

/** A sparse, chunked, in-memory BlockDevice with honest block status. */
export class MemoryDevice implements BlockDevice {
  readonly size: number;
  readonly blockSize: number;
  readonly chunkSize: number;
  private readonly chunks = new Map<number, Buffer>();
  /** Shared all-zero chunk standing for "allocated, reads as zeroes" (copy-on-write). */
  private readonly zeroChunk: Buffer;

  constructor(options: MemoryDeviceOptions) {
    const blockSize = options.blockSize ?? 4096;
    const chunkSize = options.chunkSize ?? 64 * 1024;
    if (!Number.isSafeInteger(options.size) || options.size < 0) {
      throw new RangeError(`memory device size must be a non-negative integer, got ${options.size}`);
    }
    if (!isPowerOfTwo(blockSize)) throw new RangeError(`blockSize must be a power of two, got ${blockSize}`);
    if (!isPowerOfTwo(chunkSize) || chunkSize < blockSize) {
      throw new RangeError(`chunkSize must be a power of two ≥ blockSize, got ${chunkSize}`);
    }
    this.size = options.size;
    this.blockSize = blockSize;
    this.chunkSize = chunkSize;
    this.zeroChunk = Buffer.alloc(chunkSize);
  }

  /** Bytes of memory held by allocated chunks. */
  get allocatedBytes(): number {
    return this.chunks.size * this.chunkSize;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(length);
    const cs = this.chunkSize;
    let pos = offset;
    let done = 0;
    while (done < length) {
      const index = Math.floor(pos / cs);
      const within = pos - index * cs;
      const n = Math.min(cs - within, length - done);
      const chunk = this.chunks.get(index);
      if (chunk === undefined) out.fill(0, done, done + n);
      else chunk.copy(out, done, within, within + n);
      done += n;
      pos += n;
    }
    return out;
  }

  async write(offset: number, data: Buffer, _options?: WriteOptions): Promise<void> {
    const cs = this.chunkSize;
    const length = data.length;
    let pos = offset;
    let done = 0;
    while (done < length) {
      const index = Math.floor(pos / cs);
      const within = pos - index * cs;
      const n = Math.min(cs - within, length - done);
      let chunk = this.chunks.get(index);
      if (chunk === undefined || chunk === this.zeroChunk) {
        // A whole-chunk write needs no zeroing first.
        chunk = n === cs ? Buffer.allocUnsafe(cs) : Buffer.alloc(cs);
        this.chunks.set(index, chunk);
      }
      data.copy(chunk, within, done, done + n);
      done += n;
      pos += n;
    }
  }

  async flush(): Promise<void> {}

  async trim(offset: number, length: number, _options?: WriteOptions): Promise<void> {
    this.zeroRange(offset, length, false);
  }

  async writeZeroes(offset: number, length: number, options?: WriteZeroesOptions): Promise<void> {
    this.zeroRange(offset, length, options?.noUnmap === true);
  }

  async blockStatus(offset: number, length: number): Promise<BlockExtent[]> {
    const extents: BlockExtent[] = [];
    if (length === 0) return extents;
    const cs = this.chunkSize;
    const end = offset + length;
    const first = Math.floor(offset / cs);
    const last = Math.floor((end - 1) / cs);
    const push = (len: number, hole: boolean, zero: boolean): void => {
      const prev = extents[extents.length - 1];
      if (prev !== undefined && prev.hole === hole && prev.zero === zero) prev.length += len;
      else extents.push({ length: len, hole, zero });
    };
    const span = (index: number): number => Math.min(end, (index + 1) * cs) - Math.max(offset, index * cs);
    if (this.chunks.size < last - first + 1) {
      // Few allocated chunks relative to the range: walk the sorted allocated indexes.
      const allocated: number[] = [];
      for (const index of this.chunks.keys()) if (index >= first && index <= last) allocated.push(index);
      allocated.sort((a, b) => a - b);
      let pos = offset;
      for (const index of allocated) {
        const start = Math.max(offset, index * cs);
        if (start > pos) push(start - pos, true, true);
        const n = span(index);
        push(n, false, this.chunks.get(index) === this.zeroChunk);
        pos = start + n;
      }
      if (pos < end) push(end - pos, true, true);
    } else {
      for (let index = first; index <= last; index++) {
        const chunk = this.chunks.get(index);
        if (chunk === undefined) push(span(index), true, true);
        else push(span(index), false, chunk === this.zeroChunk);
      }
    }
    return extents;
  }

  /** Zero a range: whole chunks become holes (or shared zero chunks if `keepAllocated`); partial ones are zero-filled. */
  private zeroRange(offset: number, length: number, keepAllocated: boolean): void {
    const cs = this.chunkSize;
    const end = offset + length;
    const first = Math.ceil(offset / cs); // first whole chunk
    const headEnd = Math.min(end, first * cs);
    this.zeroPartial(offset, headEnd, keepAllocated);
    if (headEnd >= end) return;
    const tailStart = Math.floor(end / cs) * cs;
    this.zeroPartial(tailStart, end, keepAllocated);
    const last = tailStart / cs - 1; // last whole chunk
    if (last < first) return;
    if (keepAllocated) {
      for (let index = first; index <= last; index++) this.chunks.set(index, this.zeroChunk);
    } else if (this.chunks.size < last - first + 1) {
      for (const index of [...this.chunks.keys()]) if (index >= first && index <= last) this.chunks.delete(index);
    } else {
      for (let index = first; index <= last; index++) this.chunks.delete(index);
    }
  }

  /** Zero [start, end), which lies inside one chunk. */
  private zeroPartial(start: number, end: number, keepAllocated: boolean): void {
    if (start >= end) return;
    const index = Math.floor(start / this.chunkSize);
    const base = index * this.chunkSize;
    const chunk = this.chunks.get(index);
    if (start === base && end >= Math.min(base + this.chunkSize, this.size)) {
      // The device's short last chunk, covered whole.
      if (keepAllocated) this.chunks.set(index, this.zeroChunk);
      else this.chunks.delete(index);
    } else if (chunk === undefined) {
      if (keepAllocated) this.chunks.set(index, this.zeroChunk);
    } else if (chunk !== this.zeroChunk) {
      chunk.fill(0, start - base, end - base);
    }
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
