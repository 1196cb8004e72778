import type { StatusSample } from '../../../src-gateway-engine/control/control-wire.js';
import { alertKey, type AlertDecision, type GatewayRef } from '../alert-decision.js';
import { formatPercent } from '../alert-format.js';
import { AlertRule } from '../alert-rule.js';
import { CLEAR_MARGIN_POINTS, clearLevel, type AlertThresholds } from '../alert-thresholds.js';

/** Samples in a row at or above the threshold before `io-wait-high` opens: one busy moment is not a problem. */
export const IO_WAIT_SAMPLES_TO_OPEN = 2;

/** The decisions of `io-wait-high` and the streak to remember for the next sample. */
export interface IoWaitResult {
  decisions: AlertDecision[];
  /** Consecutive samples at or above the threshold, this one included. */
  streak: number;
}

/**
 * `io-wait-high` (warning): the host waited on local disk I/O at or above the threshold for
 * two samples in a row; clears below the threshold minus 5 points (20 → 15).
 */
export function ioWaitHigh(gateway: GatewayRef, sample: StatusSample, t: AlertThresholds, previousStreak: number): IoWaitResult {
  const value = sample.IoWaitPercent;
  // A value we cannot read breaks the run rather than counting for or against it.
  if (!Number.isFinite(value)) return { decisions: [], streak: 0 };
  const threshold = t.ioWaitPercent;
  const clearBelow = clearLevel(threshold, CLEAR_MARGIN_POINTS.ioWaitPercent);
  const key = alertKey(AlertRule.IoWaitHigh, gateway.id);
  if (value >= threshold) {
    const streak = previousStreak + 1;
    if (streak < IO_WAIT_SAMPLES_TO_OPEN) return { decisions: [], streak };
    return {
      streak,
      decisions: [{
        action: 'open',
        key,
        severity: 'warning',
        value,
        message: `I/O wait ${formatPercent(value)} on gateway ${gateway.name} for ${streak} samples in a row (threshold ${formatPercent(threshold)}): the local disks of the cache and write log are a bottleneck`,
      }],
    };
  }
  if (value < clearBelow) {
    return { streak: 0, decisions: [{ action: 'close', key, reason: `I/O wait down to ${formatPercent(value)} (clears below ${formatPercent(clearBelow)})` }] };
  }
  return { decisions: [], streak: 0 };
}
