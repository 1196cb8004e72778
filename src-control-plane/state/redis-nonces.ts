/** Request nonces in Redis: `SET NX PX`, so a nonce replayed to any server is refused. */
import { randomUUID } from 'node:crypto';
import type { NonceStore } from './control-plane-state.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { REMEMBER_NONCE } from './redis-scripts.js';

/** Redis `NonceStore`. */
export class RedisNonces implements NonceStore {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  async remember(nonce: string, ttlMs: number): Promise<boolean> {
    // The per-call token lets a resent SET (after a reconnect) see that it was this call that stored it.
    const reply = await this.link.script('nonces.remember', REMEMBER_NONCE, [this.keys.nonce(nonce)], [randomUUID(), Math.max(1, Math.ceil(ttlMs))]);
    return reply === 1;
  }
}
