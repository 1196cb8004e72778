/** The gateway → server registry in Redis: one key per gateway with a TTL, compare-and-set by Lua. */
import type { GatewayRegistry, HolderEntry } from './control-plane-state.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { REFRESH_HOLDER, REMOVE_HOLDER_IF } from './redis-scripts.js';

/** Redis `GatewayRegistry`. */
export class RedisRegistry implements GatewayRegistry {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  async set(gatewayId: string, entry: HolderEntry, ttlMs: number): Promise<void> {
    const json = JSON.stringify({ serverId: entry.serverId, connectionId: entry.connectionId, since: entry.since });
    await this.link.run('registry.set', (c) => c.set(this.keys.holder(gatewayId), json, 'PX', ttlMs));
  }

  async refresh(gatewayId: string, connectionId: string, ttlMs: number): Promise<boolean> {
    return (await this.link.script('registry.refresh', REFRESH_HOLDER, [this.keys.holder(gatewayId)], [connectionId, ttlMs])) === 1;
  }

  async removeIf(gatewayId: string, connectionId: string): Promise<void> {
    await this.link.script('registry.removeIf', REMOVE_HOLDER_IF, [this.keys.holder(gatewayId)], [connectionId]);
  }

  async get(gatewayId: string): Promise<HolderEntry | null> {
    const json = await this.link.run('registry.get', (c) => c.get(this.keys.holder(gatewayId)));
    return json === null ? null : (JSON.parse(json) as HolderEntry);
  }

  async countByServer(): Promise<Map<string, number>> {
    const keys = await this.link.scan('registry.countByServer', this.keys.holderPattern());
    const counts = new Map<string, number>();
    for (let i = 0; i < keys.length; i += 500) {
      const values = await this.link.run('registry.countByServer', (c) => c.mget(keys.slice(i, i + 500)));
      for (const json of values) {
        if (json === null) continue; // expired between SCAN and MGET
        const { serverId } = JSON.parse(json) as HolderEntry;
        counts.set(serverId, (counts.get(serverId) ?? 0) + 1);
      }
    }
    return counts;
  }
}

