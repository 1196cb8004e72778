/**
 * A token bucket for upload bandwidth, changeable at runtime. 0 means unlimited. The bucket
 * holds at most one second of tokens so a long idle period does not allow a burst.
 */
export class BandwidthLimiter {
  private rate: number;
  private tokens = 0;
  private last = Date.now();

  constructor(bytesPerSecond: number) {
    this.rate = bytesPerSecond;
  }

  /** Current limit in bytes per second (0 = unlimited). */
  get bytesPerSecond(): number {
    return this.rate;
  }

  /** Change the limit; takes effect for the next `take`. */
  setRate(bytesPerSecond: number): void {
    this.refill();
    this.rate = bytesPerSecond;
    this.tokens = Math.min(this.tokens, bytesPerSecond);
  }

  /** Wait until `bytes` may be sent. */
  async take(bytes: number): Promise<void> {
    for (;;) {
      if (this.rate <= 0) return;
      this.refill();
      if (this.tokens >= Math.min(bytes, this.rate)) {
        this.tokens -= bytes; // may go negative for objects larger than one second's worth
        return;
      }
      const waitMs = Math.max(5, Math.ceil(((Math.min(bytes, this.rate) - this.tokens) / this.rate) * 1000));
      await new Promise((r) => setTimeout(r, Math.min(waitMs, 250)));
    }
  }

  private refill(): void {
    const now = Date.now();
    if (this.rate > 0) this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}
