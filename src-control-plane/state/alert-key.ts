/** The identity of an open alert (rule, gateway, volume), and alert ids. */
import { randomUUID } from 'node:crypto';
import type { AlertRecord } from '../../src-gateway-engine/control/control-wire.js';
import type { AlertKey } from './control-plane-state.js';

/** Canonical string for an alert key: a JSON array, so no separator can collide with a name. */
export function alertKeyString(key: AlertKey): string {
  return JSON.stringify([key.rule, key.gatewayId, key.volume]);
}

/** A fresh alert id: `alert-<uuid>`. */
export function newAlertId(): string {
  return `alert-${randomUUID()}`;
}

/** A new open alert for `key` (both stores make it the same way; only how it is kept differs). */
export function newOpenAlert(key: AlertKey, fields: Pick<AlertRecord, 'severity' | 'message' | 'value'>, at: Date): AlertRecord {
  return {
    id: newAlertId(),
    rule: key.rule,
    severity: fields.severity,
    gatewayId: key.gatewayId,
    volume: key.volume,
    message: fields.message,
    state: 'open',
    openedAt: at.toISOString(),
    closedAt: null,
    value: fields.value,
  };
}
