/** A gateway as the admin API shows it: the stored record joined with who holds its connection now. */
import type { GatewayRecord, GatewayRegistry, HolderEntry } from '../state/control-plane-state.js';

/** One row of `GET /v1/gateways` (schema: http/wire-schemas.ts gatewayViewSchema). */
export interface GatewayView {
  id: string;
  accountId: string;
  name: string;
  timezone: string;
  version: string;
  host: string;
  platform: string;
  capacityBytes: number;
  localGatewayId: string;
  /** A control-plane server holds its management connection now. */
  online: boolean;
  serverId: string | null;
  lastSeenAt: string | null;
  activatedAt: string;
}

/** The view of `record` given its registry entry. */
export function gatewayView(record: GatewayRecord, holder: HolderEntry | null): GatewayView {
  return {
    id: record.id,
    accountId: record.accountId,
    name: record.name,
    timezone: record.timezone,
    version: record.metadata.version,
    host: record.metadata.host,
    platform: record.metadata.platform,
    capacityBytes: record.metadata.capacityBytes,
    localGatewayId: record.metadata.localGatewayId,
    online: holder !== null,
    serverId: holder?.serverId ?? null,
    lastSeenAt: record.lastSeenAt,
    activatedAt: record.activatedAt,
  };
}

/** Views of many records, looking their holders up concurrently. */
export async function gatewayViews(records: readonly GatewayRecord[], registry: GatewayRegistry): Promise<GatewayView[]> {
  const holders = await Promise.all(records.map((r) => registry.get(r.id)));
  return records.map((r, i) => gatewayView(r, holders[i]!));
}
