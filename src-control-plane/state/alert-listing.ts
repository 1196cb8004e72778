/** How `AlertStore.list` filters and orders alerts, shared by both implementations. */
import type { AlertRecord } from '../../src-gateway-engine/control/control-wire.js';

/** A `list` filter; `state` defaults to 'all'. */
export interface AlertFilter {
  state?: 'open' | 'closed' | 'all';
  gatewayId?: string;
}

/** Whether an alert passes a `list` filter. */
export function alertMatches(alert: AlertRecord, filter: AlertFilter): boolean {
  const state = filter.state ?? 'all';
  if (state !== 'all' && alert.state !== state) return false;
  return filter.gatewayId === undefined || alert.gatewayId === filter.gatewayId;
}

/** Sorts in place into `list` order: newest opened first, then by id. */
export function sortAlerts(alerts: AlertRecord[]): AlertRecord[] {
  return alerts.sort((a, b) => (a.openedAt > b.openedAt ? -1 : a.openedAt < b.openedAt ? 1 : a.id < b.id ? -1 : 1));
}
