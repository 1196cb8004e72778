/** Fixed-window rate limiting in Redis: INCR, and PEXPIRE when a window opens, in one script. */
import type { RateLimiter } from './control-plane-state.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { RATE_HIT } from './redis-scripts.js';

/** Redis `RateLimiter`, shared by every server. */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  async hit(key: string, limit: number, windowMs: number): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const [hits, ttl] = (await this.link.script('rateLimiter.hit', RATE_HIT, [this.keys.rate(key)], [Math.max(1, Math.ceil(windowMs))])) as [number, number];
    const allowed = hits <= limit;
    return { allowed, retryAfterMs: allowed ? 0 : Math.max(1, ttl) };
  }
}
