/**
 * The monitor's thresholds (docs/control-plane.md § Monitoring and alerts; flags of
 * `control-plane serve`), validated once and frozen.
 */

/** When the monitor opens alerts and how long it keeps samples. */
export interface AlertThresholds {
  /** `upload-buffer-high` opens above this percent (closes at or below it minus the clear margin). */
  uploadBufferPercent: number;
  /** `cache-dirty-high` opens above this percent. */
  cacheDirtyPercent: number;
  /** `io-wait-high` opens when two samples in a row are at or above this percent. */
  ioWaitPercent: number;
  /** `recovery-point-old` opens when a volume's newest recovery point is older than this. */
  recoveryPointAgeSeconds: number;
  /** `gateway-offline` opens after this long without a connection. */
  offlineAfterMs: number;
  /** `fleet-error` opens when this many gateways of one version report the same error code… */
  fleetErrorGateways: number;
  /** …within this window, and closes after a window without it. */
  fleetErrorWindowMs: number;
  /** Samples older than this many days are pruned. */
  retentionDays: number;
}

/** The defaults of the spec's rule table. */
export const DEFAULT_ALERT_THRESHOLDS: Readonly<AlertThresholds> = Object.freeze({
  uploadBufferPercent: 80,
  cacheDirtyPercent: 80,
  ioWaitPercent: 20,
  recoveryPointAgeSeconds: 3600,
  offlineAfterMs: 120_000,
  fleetErrorGateways: 3,
  fleetErrorWindowMs: 15 * 60_000,
  retentionDays: 14,
});

/**
 * How far below its threshold a percent rule must fall before it closes, in percentage points
 * (the spec: 80 → 70, 80 → 70, 20 → 15). Hysteresis keeps a value hovering at the threshold
 * from opening and closing an alert on every sample.
 */
export const CLEAR_MARGIN_POINTS = Object.freeze({ uploadBufferPercent: 10, cacheDirtyPercent: 10, ioWaitPercent: 5 });

/**
 * The level at which a percent alert clears: `threshold − margin`, but never less than half the
 * threshold, so a low configured threshold (say io-wait 4%) still has a level that can be reached.
 */
export function clearLevel(threshold: number, marginPoints: number): number {
  return Math.max(threshold - marginPoints, threshold / 2);
}

/** Merge overrides over the defaults; throws a RangeError naming the first bad value. */
export function resolveAlertThresholds(overrides: Partial<AlertThresholds> = {}): Readonly<AlertThresholds> {
  const merged: AlertThresholds = { ...DEFAULT_ALERT_THRESHOLDS };
  for (const [name, value] of Object.entries(overrides) as Array<[keyof AlertThresholds, number | undefined]>) {
    if (!(name in DEFAULT_ALERT_THRESHOLDS)) throw new RangeError(`unknown alert threshold "${name}"`);
    if (value !== undefined) merged[name] = value;
  }
  const percent = (name: 'uploadBufferPercent' | 'cacheDirtyPercent' | 'ioWaitPercent'): void => {
    const v = merged[name];
    if (!Number.isFinite(v) || v <= 0 || v > 100) throw new RangeError(`alert threshold ${name} must be a percent in (0, 100], got ${String(v)}`);
  };
  const positive = (name: keyof AlertThresholds, integer: boolean): void => {
    const v = merged[name];
    if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      throw new RangeError(`alert threshold ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`);
    }
  };
  percent('uploadBufferPercent');
  percent('cacheDirtyPercent');
  percent('ioWaitPercent');
  positive('recoveryPointAgeSeconds', false);
  positive('offlineAfterMs', false);
  positive('fleetErrorGateways', true);
  positive('fleetErrorWindowMs', false);
  positive('retentionDays', false);
  return Object.freeze(merged);
}
