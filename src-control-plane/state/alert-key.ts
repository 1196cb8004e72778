/** The identity of an open alert (rule, gateway, volume), and alert ids. */
import { randomUUID } from 'node:crypto';
import type { AlertKey } from './control-plane-state.js';

/** Canonical string for an alert key: a JSON array, so no separator can collide with a name. */
export function alertKeyString(key: AlertKey): string {
  return JSON.stringify([key.rule, key.gatewayId, key.volume]);
}

/** A fresh alert id: `alert-<uuid>`. */
export function newAlertId(): string {
  return `alert-${randomUUID()}`;
}
