import type { StatusSample } from '../../../src-gateway-engine/control/control-wire.js';
import { alertKey, type AlertDecision, type GatewayRef } from '../alert-decision.js';
import { AlertRule } from '../alert-rule.js';

/** Longest volume error text quoted in a message; the gateway's own log has the rest. */
const MAX_ERROR_TEXT = 500;

/**
 * `write-log-error` (critical, per volume): the volume is in state `failed` (it stopped itself
 * after a failed write-log sync or a lost ownership); the message quotes the volume's error.
 * Closes once the volume is in any other state.
 */
export function writeLogError(gateway: GatewayRef, sample: StatusSample): AlertDecision[] {
  return sample.volumes.map((volume): AlertDecision => {
    const key = alertKey(AlertRule.WriteLogError, gateway.id, volume.name);
    if (volume.state !== 'failed') return { action: 'close', key, reason: `volume is ${volume.state} again` };
    const text = volume.error?.trim();
    const detail = text ? `: ${text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text}` : ' (the gateway reported no error text)';
    return {
      action: 'open',
      key,
      severity: 'critical',
      value: null,
      message: `Volume ${volume.name} on gateway ${gateway.name} failed and stopped serving I/O${detail}`,
    };
  });
}
