import { describe, expect, it } from 'vitest';
import { alertKey } from '../alert-decision.js';
import { AlertRule } from '../alert-rule.js';
import { resolveAlertThresholds } from '../alert-thresholds.js';
import { statusSample } from '../test-support/status-samples.js';
import { cacheDirtyHigh } from './cache-dirty-high.js';

const gw = { id: 'gw1', name: 'office-1' };
const t = resolveAlertThresholds();

describe('cache-dirty-high', () => {
  const at = (cacheDirtyPercent: number) => cacheDirtyHigh(gw, statusSample({ cacheDirtyPercent }), t);

  it('opens above 80%', () => {
    expect(at(85.25)).toEqual([{
      action: 'open',
      key: alertKey(AlertRule.CacheDirtyHigh, 'gw1'),
      severity: 'warning',
      value: 85.25,
      message: expect.stringMatching(/^Cache 85.3% dirty on gateway office-1 \(threshold 80%\)/),
    }]);
  });

  it('holds in the band, closes at or below 70%', () => {
    expect(at(80)).toEqual([]);
    expect(at(71)).toEqual([]);
    expect(at(70)).toEqual([{ action: 'close', key: alertKey(AlertRule.CacheDirtyHigh, 'gw1'), reason: expect.any(String) }]);
  });
});
