/**
 * The bytes received on one connection and not yet consumed: a queue of the socket's own
 * chunks, read without copying whenever a field lies inside one chunk. The handshake
 * awaits exact lengths (`readExact`); the transmission loop polls synchronously (`take`).
 */
export class ReceiveBuffer {
  private chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  /** Bytes available. */
  length = 0;
  private waiter: { need: number; resolve: () => void; reject: (err: Error) => void } | undefined;
  private failure: Error | undefined;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    const w = this.waiter;
    if (w !== undefined && this.length >= w.need) {
      this.waiter = undefined;
      w.resolve();
    }
  }

  /** Fail any pending and future `readExact` (the connection closed). */
  fail(err: Error): void {
    this.failure = err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  /** The first chunk and read position, if at least `n` contiguous bytes are there (zero-copy header parsing). */
  contiguous(n: number): Buffer | undefined {
    const first = this.chunks[0];
    return first !== undefined && first.length - this.head >= n ? first : undefined;
  }

  /** Read position inside the buffer returned by `contiguous`. */
  get position(): number {
    return this.head;
  }

  /**
   * Take exactly `n` bytes (caller checked `length >= n`): a view when they lie in one chunk,
   * else one copy into a buffer from `allocate` (a pool's, for large payloads).
   */
  take(n: number, allocate: (bytes: number) => Buffer = Buffer.allocUnsafe): Buffer {
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = allocate(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const k = Math.min(chunk.length - this.head, n - filled);
      chunk.copy(out, filled, this.head, this.head + k);
      filled += k;
      this.advance(k);
    }
    return out;
  }

  /**
   * Take exactly `n` bytes (caller checked `length >= n`) without copying: one view when they
   * lie in one chunk, else views of each chunk in order. For a large data segment that spans
   * chunks: it is copied once, later, straight to where it belongs.
   */
  takeViews(n: number): Buffer | Buffer[] {
    const first = this.chunks[0];
    if (first === undefined || first.length - this.head >= n) return this.take(n);
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      const k = Math.min(chunk.length - this.head, left);
      out.push(chunk.subarray(this.head, this.head + k));
      this.advance(k);
      left -= k;
    }
    return out;
  }

  /** Drop up to `n` bytes; returns how many were dropped. */
  skip(n: number): number {
    let dropped = 0;
    while (dropped < n && this.chunks.length > 0) {
      const k = Math.min(this.chunks[0]!.length - this.head, n - dropped);
      this.advance(k);
      dropped += k;
    }
    return dropped;
  }

  /** Consume `n` bytes of the first chunk (after reading them through `contiguous`). */
  advance(n: number): void {
    this.head += n;
    this.length -= n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Wait for exactly `n` bytes and take them. */
  async readExact(n: number): Promise<Buffer> {
    if (this.length < n) await this.waitFor(n);
    return n === 0 ? Buffer.alloc(0) : this.take(n);
  }

  /** Wait for exactly `n` bytes and take them as views (`takeViews`). */
  async readViews(n: number): Promise<Buffer | Buffer[]> {
    if (this.length < n) await this.waitFor(n);
    return this.takeViews(n);
  }

  /** Wait for and drop exactly `n` bytes, without holding more than one socket chunk at a time. */
  async skipExact(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      left -= this.skip(left);
      if (left > 0) await this.waitFor(1);
    }
  }

  private waitFor(need: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.waiter = { need, resolve, reject };
    });
  }
}
