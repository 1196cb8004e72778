/** The gateway → server registry of a single server: entries in memory with a TTL. */
import type { GatewayRegistry, HolderEntry } from './control-plane-state.js';

/** In-memory `GatewayRegistry`; an entry past its TTL is treated as absent and dropped when seen. */
export class MemoryRegistry implements GatewayRegistry {
  private readonly entries = new Map<string, { entry: HolderEntry; expiresAt: number }>();

  async set(gatewayId: string, entry: HolderEntry, ttlMs: number): Promise<void> {
    this.entries.set(gatewayId, { entry: { serverId: entry.serverId, connectionId: entry.connectionId, since: entry.since }, expiresAt: Date.now() + ttlMs });
  }

  async refresh(gatewayId: string, connectionId: string, ttlMs: number): Promise<boolean> {
    const held = this.live(gatewayId);
    if (!held || held.entry.connectionId !== connectionId) return false;
    held.expiresAt = Date.now() + ttlMs;
    return true;
  }

  async removeIf(gatewayId: string, connectionId: string): Promise<void> {
    if (this.live(gatewayId)?.entry.connectionId === connectionId) this.entries.delete(gatewayId);
  }

  async get(gatewayId: string): Promise<HolderEntry | null> {
    const held = this.live(gatewayId);
    return held ? { ...held.entry } : null;
  }

  async countByServer(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const gatewayId of [...this.entries.keys()]) {
      const held = this.live(gatewayId);
      if (held) counts.set(held.entry.serverId, (counts.get(held.entry.serverId) ?? 0) + 1);
    }
    return counts;
  }

  private live(gatewayId: string): { entry: HolderEntry; expiresAt: number } | undefined {
    const held = this.entries.get(gatewayId);
    if (held && held.expiresAt <= Date.now()) {
      this.entries.delete(gatewayId);
      return undefined;
    }
    return held;
  }
}
