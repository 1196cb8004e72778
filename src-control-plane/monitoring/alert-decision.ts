/**
 * What a rule wants done with one alert. Rules are pure functions returning these; the
 * monitor compares them with the open alerts and applies the difference through AlertStore.
 * A rule that wants neither (a value inside the hysteresis band) returns nothing for that key.
 */
import type { AlertRecord } from '../../src-gateway-engine/control/control-wire.js';
import type { AlertKey } from '../state/control-plane-state.js';
import type { AlertRuleName } from './alert-rule.js';

/** Open the alert for `key` (a no-op if it is open already). */
export interface OpenDecision {
  action: 'open';
  key: AlertKey;
  severity: AlertRecord['severity'];
  /** For the administrator: what, where, how much, and the threshold. */
  message: string;
  /** The value that crossed the threshold, or null. */
  value: number | null;
}

/** Close the open alert for `key` (a no-op if none is open). */
export interface CloseDecision {
  action: 'close';
  key: AlertKey;
  /** Why it closes, for the log. */
  reason: string;
}

/** A rule's wish for one alert key. */
export type AlertDecision = OpenDecision | CloseDecision;

/** The gateway a per-gateway rule is looking at. */
export interface GatewayRef {
  id: string;
  name: string;
}

/** The key of a rule's alert on a gateway (and volume). */
export function alertKey(rule: AlertRuleName, gatewayId: string | null, volume: string | null = null): AlertKey {
  return { rule, gatewayId, volume };
}

/** A string naming `key` uniquely, for maps and sets. */
export function alertKeyId(key: AlertKey): string {
  return JSON.stringify([key.rule, key.gatewayId, key.volume]);
}

/**
 * Keep only the decisions that change something given the alerts open now: open what is not
 * open, close what is. Saves the store a call per rule and sample; AlertStore.open/close stay
 * idempotent, so a stale `openAlerts` costs at most a missed change until the next evaluation.
 */
export function planAlertChanges(decisions: readonly AlertDecision[], openAlerts: readonly AlertRecord[]): AlertDecision[] {
  const open = new Set(openAlerts.filter((a) => a.state === 'open').map((a) => alertKeyId(a)));
  const planned: AlertDecision[] = [];
  for (const d of decisions) {
    const id = alertKeyId(d.key);
    if (d.action === 'open' && !open.has(id)) {
      open.add(id);
      planned.push(d);
    } else if (d.action === 'close' && open.has(id)) {
      open.delete(id);
      planned.push(d);
    }
  }
  return planned;
}
