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
