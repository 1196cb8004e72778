import { describe, expect, it } from 'vitest';
import { clearLevel, DEFAULT_ALERT_THRESHOLDS, resolveAlertThresholds } from './alert-thresholds.js';

describe('resolveAlertThresholds', () => {
  it('defaults to the spec table', () => {
    expect(resolveAlertThresholds()).toEqual({
      uploadBufferPercent: 80,
      cacheDirtyPercent: 80,
      ioWaitPercent: 20,
      recoveryPointAgeSeconds: 3600,
      offlineAfterMs: 120_000,
      fleetErrorGateways: 3,
      fleetErrorWindowMs: 900_000,
      retentionDays: 14,
    });
    expect(Object.isFrozen(DEFAULT_ALERT_THRESHOLDS)).toBe(true);
  });

  it('applies overrides, ignores undefined ones, and freezes the result', () => {
    const t = resolveAlertThresholds({ uploadBufferPercent: 90, retentionDays: undefined });
    expect(t.uploadBufferPercent).toBe(90);
    expect(t.retentionDays).toBe(14);
    expect(Object.isFrozen(t)).toBe(true);
  });

  it.each([
    [{ uploadBufferPercent: 0 }, /uploadBufferPercent/],
    [{ cacheDirtyPercent: 101 }, /cacheDirtyPercent/],
    [{ ioWaitPercent: Number.NaN }, /ioWaitPercent/],
    [{ offlineAfterMs: -1 }, /offlineAfterMs/],
    [{ fleetErrorGateways: 2.5 }, /fleetErrorGateways must be a positive integer/],
    [{ retentionDays: Infinity }, /retentionDays/],
    [{ nonsense: 1 } as never, /unknown alert threshold "nonsense"/],
  ])('rejects %j', (overrides, why) => {
    expect(() => resolveAlertThresholds(overrides)).toThrow(why);
  });
});

describe('clearLevel', () => {
  it('is the threshold minus the margin (the spec: 80 → 70, 20 → 15)', () => {
    expect(clearLevel(80, 10)).toBe(70);
    expect(clearLevel(20, 5)).toBe(15);
  });

  it('never goes below half the threshold, so a low threshold can still clear', () => {
    expect(clearLevel(4, 5)).toBe(2);
    expect(clearLevel(10, 10)).toBe(5);
  });
});
