/** Request nonces seen by a single server, remembered in memory until their TTL passes. */
import type { NonceStore } from './control-plane-state.js';

/** How often expired nonces are swept out (they are also ignored when looked up). */
const SWEEP_INTERVAL_MS = 30_000;

/** In-memory `NonceStore`. */
export class MemoryNonces implements NonceStore {
  private readonly seen = new Map<string, number>();
  private lastSweep = Date.now();

  async remember(nonce: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    this.sweep(now);
    const expiresAt = this.seen.get(nonce);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.seen.set(nonce, now + ttlMs);
    return true;
  }

  /** Bounds memory: drops expired nonces at most once per interval. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [nonce, expiresAt] of this.seen) if (expiresAt <= now) this.seen.delete(nonce);
  }
}
