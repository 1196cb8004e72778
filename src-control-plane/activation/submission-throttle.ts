/**
 * The limit on failed activation submissions (`POST /v1/gateways`): after N failures from one
 * client address within a minute, further submissions from it are refused with RATE_LIMITED
 * until the window ends — so activation keys (60 bits) cannot be guessed at speed.
 *
 * Failures are counted in the shared rate limiter (so every server sees them). The limiter
 * can only count a hit, not peek, so the block itself is remembered here, per server: a
 * server blocks an address once a failure it sees brings the shared count to N. With several
 * servers an address gets at most one more failure per server before each blocks it.
 */
import type { RateLimiter } from '../state/control-plane-state.js';
import { rateLimitedError } from '../errors/control-error.js';

const WINDOW_MS = 60_000;

/** Counts failed submissions per client address and refuses blocked addresses. */
export class SubmissionThrottle {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly limiter: RateLimiter,
    private readonly failuresPerMinute: number,
    private readonly clock: () => number,
  ) {}

  /** Throws RATE_LIMITED when `address` is blocked. */
  check(address: string): void {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return;
    const left = until - this.clock();
    if (left > 0) throw rateLimitedError('failed activation submissions from this address', left);
    this.blockedUntil.delete(address);
  }

  /** Count one failed submission from `address`; blocks it once the window's count reaches the limit. */
  async recordFailure(address: string): Promise<void> {
    // A limit of N-1 makes the N-th failure the first one "not allowed": that is when the block starts.
    const verdict = await this.limiter.hit(`activation-submit-failed:${address}`, this.failuresPerMinute - 1, WINDOW_MS);
    if (!verdict.allowed) {
      this.blockedUntil.set(address, this.clock() + Math.max(verdict.retryAfterMs, 1));
      if (this.blockedUntil.size > 10_000) this.dropExpired();
    }
  }

  private dropExpired(): void {
    const now = this.clock();
    for (const [address, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(address);
  }
}
