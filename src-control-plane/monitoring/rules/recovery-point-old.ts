import type { StatusSample } from '../../../src-gateway-engine/control/control-wire.js';
import { alertKey, type AlertDecision, type GatewayRef } from '../alert-decision.js';
import { formatDuration } from '../alert-format.js';
import { AlertRule } from '../alert-rule.js';
import type { AlertThresholds } from '../alert-thresholds.js';

/**
 * `recovery-point-old` (warning, per volume): the volume's newest recovery point in the object
 * store is older than the threshold; closes at or below it. No hysteresis band: the age drops
 * to 0 when the upload catches up, so it does not hover at the threshold.
 */
export function recoveryPointOld(gateway: GatewayRef, sample: StatusSample, t: AlertThresholds): AlertDecision[] {
  const decisions: AlertDecision[] = [];
  const threshold = t.recoveryPointAgeSeconds;
  for (const volume of sample.volumes) {
    const value = volume.TimeSinceLastRecoveryPoint;
    if (!Number.isFinite(value)) continue;
    const key = alertKey(AlertRule.RecoveryPointOld, gateway.id, volume.name);
    if (value > threshold) {
      decisions.push({
        action: 'open',
        key,
        severity: 'warning',
        value,
        message: `Volume ${volume.name} on gateway ${gateway.name} has no recovery point newer than ${formatDuration(value)} (threshold ${formatDuration(threshold)}): writes since then exist only in the gateway's local write log`,
      });
    } else {
      decisions.push({ action: 'close', key, reason: `recovery point ${formatDuration(value)} old (threshold ${formatDuration(threshold)})` });
    }
  }
  return decisions;
}
