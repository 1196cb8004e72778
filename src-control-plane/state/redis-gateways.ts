/** Gateway records in Redis; lastSeenAt lives in its own hash so `touch` never rewrites a record. */
import type { GatewayRecord, GatewayStore } from './control-plane-state.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { TOUCH_GATEWAY } from './redis-scripts.js';

/** Redis `GatewayStore`. `listByAccount` filters all records: fine for thousands of gateways. */
export class RedisGateways implements GatewayStore {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  async put(record: GatewayRecord): Promise<void> {
    const seenMs = record.lastSeenAt === null ? null : Date.parse(record.lastSeenAt);
    await this.link.transaction('gateways.put', (m) => {
      m.hset(this.keys.gateways(), record.id, JSON.stringify(record));
      return seenMs === null || !Number.isFinite(seenMs) ? m.hdel(this.keys.gatewaysSeen(), record.id) : m.hset(this.keys.gatewaysSeen(), record.id, String(seenMs));
    });
  }

  async get(id: string): Promise<GatewayRecord | null> {
    const [json, seen] = (await this.link.transaction('gateways.get', (m) => m.hget(this.keys.gateways(), id).hget(this.keys.gatewaysSeen(), id))) as [string | null, string | null];
    return json === null ? null : withSeen(json, seen);
  }

  async listByAccount(accountId: string): Promise<GatewayRecord[]> {
    return (await this.listAll()).filter((g) => g.accountId === accountId);
  }

  async listAll(): Promise<GatewayRecord[]> {
    const [records, seen] = (await this.link.transaction('gateways.list', (m) => m.hgetall(this.keys.gateways()).hgetall(this.keys.gatewaysSeen()))) as [
      Record<string, string>,
      Record<string, string>,
    ];
    return Object.entries(records)
      .map(([id, json]) => withSeen(json, seen[id] ?? null))
      .sort((a, b) => (a.activatedAt < b.activatedAt ? -1 : a.activatedAt > b.activatedAt ? 1 : a.id < b.id ? -1 : 1));
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.link.script('gateways.touch', TOUCH_GATEWAY, [this.keys.gateways(), this.keys.gatewaysSeen()], [id, at.getTime()]);
  }
}

function withSeen(json: string, seenMs: string | null): GatewayRecord {
  const record = JSON.parse(json) as GatewayRecord;
  if (seenMs !== null) record.lastSeenAt = new Date(Number(seenMs)).toISOString();
  return record;
}
