/** Activation keys in Redis: one hash per key, its single use decided by a Lua script. */
import type { ActivationKeyRecord, ActivationKeyStore, UseActivationKeyResult } from './control-plane-state.js';
import { ACTIVATION_KEY_RETENTION_MS } from './embedded-format.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { USE_ACTIVATION_KEY } from './redis-scripts.js';

/** Redis `ActivationKeyStore`; keys vanish `ACTIVATION_KEY_RETENTION_MS` after they expire. */
export class RedisActivationKeys implements ActivationKeyStore {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  async put(record: ActivationKeyRecord): Promise<void> {
    const key = this.keys.activationKey(record.key);
    const expiresAtMs = Date.parse(record.expiresAt);
    if (!Number.isFinite(expiresAtMs)) throw new TypeError(`activation key expiresAt is not a time: ${record.expiresAt}`);
    await this.link.transaction('activationKeys.put', (m) =>
      m
        .del(key)
        .hset(key, 'record', JSON.stringify({ ...record, gatewayId: null }), 'expiresAtMs', String(expiresAtMs), 'gatewayId', record.gatewayId ?? '')
        .pexpireat(key, expiresAtMs + ACTIVATION_KEY_RETENTION_MS),
    );
  }

  async get(key: string): Promise<ActivationKeyRecord | null> {
    const [json, gatewayId] = await this.link.run('activationKeys.get', (c) => c.hmget(this.keys.activationKey(key), 'record', 'gatewayId'));
    if (json === null || json === undefined) return null;
    return { ...(JSON.parse(json) as ActivationKeyRecord), gatewayId: gatewayId ? gatewayId : null };
  }

  async use(key: string, gatewayId: string, now: Date): Promise<UseActivationKeyResult> {
    const reply = (await this.link.script('activationKeys.use', USE_ACTIVATION_KEY, [this.keys.activationKey(key)], [gatewayId, now.getTime()])) as [string, string?];
    const [outcome, json] = reply;
    if (outcome === 'used') return { outcome, record: { ...(JSON.parse(json!) as ActivationKeyRecord), gatewayId } };
    if (outcome === 'unknown' || outcome === 'expired' || outcome === 'already-used') return { outcome };
    throw new Error(`unexpected reply from ${USE_ACTIVATION_KEY.name}: ${String(outcome)}`);
  }
}
