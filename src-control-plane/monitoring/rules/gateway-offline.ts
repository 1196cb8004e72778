import type { GatewayRecord, HolderEntry } from '../../state/control-plane-state.js';
import { alertKey, type AlertDecision, type CloseDecision } from '../alert-decision.js';
import { formatDuration } from '../alert-format.js';
import { AlertRule } from '../alert-rule.js';
import type { AlertThresholds } from '../alert-thresholds.js';

/**
 * `gateway-offline` (critical), evaluated by the sweep: no server holds the gateway's
 * connection and it was last seen more than `offlineAfterMs` ago (or, never seen, activated
 * more than that ago). A held connection closes it. A gateway seen recently but not held is
 * left as it is: it is reconnecting, and closing then reopening would only flap.
 */
export function gatewayOffline(gateway: GatewayRecord, holder: HolderEntry | null, now: Date, t: AlertThresholds): AlertDecision[] {
  if (holder) return [gatewayOnline(gateway.id, `connected to server ${holder.serverId}`)];
  const lastSeenMs = gateway.lastSeenAt === null ? NaN : Date.parse(gateway.lastSeenAt);
  const seen = Number.isFinite(lastSeenMs);
  const sinceMs = seen ? lastSeenMs : Date.parse(gateway.activatedAt);
  if (!Number.isFinite(sinceMs)) return [];
  const ageMs = now.getTime() - sinceMs;
  if (ageMs <= t.offlineAfterMs) return [];
  const age = formatDuration(ageMs / 1000);
  const threshold = formatDuration(t.offlineAfterMs / 1000);
  return [{
    action: 'open',
    key: alertKey(AlertRule.GatewayOffline, gateway.id),
    severity: 'critical',
    value: Math.round(ageMs / 1000),
    message: seen
      ? `Gateway ${gateway.name} has had no management connection for ${age} (last seen ${new Date(lastSeenMs).toISOString()}; threshold ${threshold}): it may be down, or cut off from the control plane`
      : `Gateway ${gateway.name} has not connected since it was activated ${age} ago (threshold ${threshold}): check that it is running and can reach the control plane`,
  }];
}

/** Close `gateway-offline`: the gateway's connection is up (connected, or a sample arrived). */
export function gatewayOnline(gatewayId: string, reason: string): CloseDecision {
  return { action: 'close', key: alertKey(AlertRule.GatewayOffline, gatewayId), reason };
}
