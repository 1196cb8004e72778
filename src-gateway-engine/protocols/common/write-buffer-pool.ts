import { BufferPool } from '../../memory/buffer-pool.js';

/** Writes up to this size assemble their Data-Out in a pooled buffer (larger ones are rare). */
const POOLED_WRITE_BYTES = 1024 * 1024;
/** Free buffers kept: with 1 MiB each, at most 16 MiB held between bursts of writes. */
const FREE_BUFFERS_KEPT = 16;

/**
 * Buffers for the payload of client writes that arrive in several socket reads (an iSCSI
 * WRITE's Data-Out PDUs, an NBD WRITE larger than one read, e.g. a 1 MiB sequential write),
 * lent again once the device write has settled instead of allocated anew. A fresh megabyte
 * per command counted as V8 external memory and, at a few hundred MB/s, started a full
 * mark-compact about every 100 ms. One pool per server, shared by its connections.
 */
export class WriteBufferPool {
  private readonly pool = new BufferPool(FREE_BUFFERS_KEPT, POOLED_WRITE_BYTES);

  /** A buffer of `bytes` bytes, of unspecified content. */
  readonly lend = (bytes: number): Buffer => (bytes <= POOLED_WRITE_BYTES ? this.pool.take(bytes) : Buffer.allocUnsafe(bytes));

  /** Hand back a buffer from `lend` once nothing reads it; others are ignored. */
  giveBack(buf: Buffer): void {
    this.pool.giveBack(buf);
  }
}
