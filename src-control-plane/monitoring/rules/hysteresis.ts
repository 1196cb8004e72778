import type { AlertDecision } from '../alert-decision.js';
import type { AlertKey } from '../../state/control-plane-state.js';

/** Where a value stands against a threshold with hysteresis. */
export type HysteresisSide = 'open' | 'close' | 'hold';

/**
 * For "too high" rules: 'open' above `openAbove`, 'close' at or below `closeAtOrBelow`, 'hold'
 * in between (keep whatever state the alert is in) and for a value that is not a number.
 */
export function highWater(value: number, openAbove: number, closeAtOrBelow: number): HysteresisSide {
  if (!Number.isFinite(value)) return 'hold';
  if (value > openAbove) return 'open';
  if (value <= closeAtOrBelow) return 'close';
  return 'hold';
}

/** The decisions of a "percent too high" rule: open above `threshold` with `openMessage`, close at or below `clearAt`. */
export function percentHighDecisions(key: AlertKey, value: number, threshold: number, clearAt: number, openMessage: string, closeReason: string): AlertDecision[] {
  switch (highWater(value, threshold, clearAt)) {
    case 'open':
      return [{ action: 'open', key, severity: 'warning', value, message: openMessage }];
    case 'close':
      return [{ action: 'close', key, reason: closeReason }];
    case 'hold':
      return [];
  }
}
