import { describe, expect, it } from 'vitest';
import { alertKey } from '../alert-decision.js';
import { AlertRule } from '../alert-rule.js';
import { resolveAlertThresholds } from '../alert-thresholds.js';
import { statusSample } from '../test-support/status-samples.js';
import { uploadBufferHigh } from './upload-buffer-high.js';

const gw = { id: 'gw1', name: 'office-1' };
const t = resolveAlertThresholds();

describe('upload-buffer-high', () => {
  const at = (uploadBufferPercent: number, th = t) => uploadBufferHigh(gw, statusSample({ uploadBufferPercent }), th);

  it('opens above 80% with a message naming the gateway, the value and the threshold', () => {
    expect(at(93)).toEqual([{
      action: 'open',
      key: alertKey(AlertRule.UploadBufferHigh, 'gw1'),
      severity: 'warning',
      value: 93,
      message: expect.stringMatching(/^Upload buffer 93% full on gateway office-1 \(threshold 80%\)/),
    }]);
  });

  it('does not open at exactly 80%', () => {
    expect(at(80)).toEqual([]);
  });

  it('holds between 70% and 80% (hysteresis), closes at or below 70%', () => {
    expect(at(75)).toEqual([]);
    expect(at(70.1)).toEqual([]);
    expect(at(70)).toEqual([{ action: 'close', key: alertKey(AlertRule.UploadBufferHigh, 'gw1'), reason: expect.stringContaining('70%') }]);
    expect(at(0)[0]?.action).toBe('close');
  });

  it('follows a configured threshold', () => {
    const t90 = resolveAlertThresholds({ uploadBufferPercent: 90 });
    expect(at(85, t90)).toEqual([]);
    expect(at(91, t90)[0]).toMatchObject({ action: 'open', message: expect.stringContaining('(threshold 90%)') });
    expect(at(80, t90)[0]?.action).toBe('close');
  });

  it('ignores a value that is not a number', () => {
    expect(at(Number.NaN)).toEqual([]);
  });
});
