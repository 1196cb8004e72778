/**
 * Large buffers handed out again instead of allocated anew, for paths that churn through
 * big buffers: the upload (each sealed write-log segment read back, each data object's
 * body) and the iSCSI target (the Data-Out of each large write, assembled in one buffer).
 *
 * Why: every large Buffer counts as V8 external memory, and enough of it allocated starts a
 * full mark-compact. Under random writes the upload's fresh buffers (a segment of up to
 * 64 MiB a second, plus a copy of it in object bodies) drove one about every 0.4 s, each a
 * pause of milliseconds to tens of milliseconds for every command.
 *
 * A buffer may only be given back once nobody reads or writes it any more (the store has
 * it, the cache has copied it, the device write has settled); giving back a buffer twice, or
 * one the pool did not lend, is ignored rather than letting two users share memory.
 */
export class BufferPool {
  /** Whole free buffers, ready to lend. */
  private free: Buffer[] = [];
  /** Backing memory of every buffer lent and not given back (weak: one never given back is simply collected). */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  /**
   * @param maxFree how many free buffers to keep; more given back are let go.
   * @param minBytes the least a new buffer is allocated with, so it suits later requests.
   */
  constructor(
    private readonly maxFree: number,
    private readonly minBytes = 0,
  ) {}

  /** A buffer of exactly `bytes` bytes, of unspecified content; a free one when one is large enough. */
  take(bytes: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= bytes);
    // allocUnsafeSlow: memory of its own (allocUnsafe may hand out a slice of a shared pool).
    const whole = i >= 0 ? this.free.splice(i, 1)[0]! : Buffer.allocUnsafeSlow(Math.max(bytes, this.minBytes));
    this.lent.add(whole.buffer);
    return whole.subarray(0, bytes);
  }

  /** Return a buffer from `take`: its memory will be handed out again. */
  giveBack(buf: Buffer): void {
    if (!this.lent.delete(buf.buffer)) return;
    if (this.free.length >= this.maxFree) return;
    this.free.push(Buffer.from(buf.buffer, 0, buf.buffer.byteLength));
  }

  /** Bytes held in free buffers. */
  get freeBytes(): number {
    let n = 0;
    for (const b of this.free) n += b.length;
    return n;
  }

  /** Let the free buffers go (nothing will be asked for a while). Lent ones are unaffected. */
  drain(): void {
    this.free = [];
  }
}
