import { describe, expect, it } from 'vitest';
import { alertKey } from '../alert-decision.js';
import { AlertRule } from '../alert-rule.js';
import { resolveAlertThresholds } from '../alert-thresholds.js';
import { statusSample } from '../test-support/status-samples.js';
import { ioWaitHigh } from './io-wait-high.js';

const gw = { id: 'gw1', name: 'office-1' };
const t = resolveAlertThresholds();
const run = (values: number[]) => {
  let streak = 0;
  return values.map((ioWaitPercent) => {
    const r = ioWaitHigh(gw, statusSample({ ioWaitPercent }), t, streak);
    streak = r.streak;
    return r;
  });
};

describe('io-wait-high', () => {
  it('needs two samples in a row at or above 20% to open', () => {
    const [first, second] = run([20, 27]);
    expect(first).toEqual({ decisions: [], streak: 1 });
    expect(second).toEqual({
      streak: 2,
      decisions: [{
        action: 'open',
        key: alertKey(AlertRule.IoWaitHigh, 'gw1'),
        severity: 'warning',
        value: 27,
        message: expect.stringMatching(/^I\/O wait 27% on gateway office-1 for 2 samples in a row \(threshold 20%\)/),
      }],
    });
  });

  it('a sample below the threshold breaks the run', () => {
    const results = run([25, 19, 25]);
    expect(results.map((r) => r.decisions.length)).toEqual([0, 0, 0]);
    expect(results.map((r) => r.streak)).toEqual([1, 0, 1]);
  });

  it('keeps asking to stay open while high', () => {
    expect(run([30, 30, 30]).map((r) => r.decisions[0]?.action)).toEqual([undefined, 'open', 'open']);
  });

  it('holds from 15% to just under 20% (hysteresis), closes below 15%', () => {
    const [, , held, atFifteen, closed] = run([30, 30, 17, 15, 14.9]);
    expect(held?.decisions).toEqual([]);
    expect(atFifteen?.decisions).toEqual([]);
    expect(closed?.decisions).toEqual([{ action: 'close', key: alertKey(AlertRule.IoWaitHigh, 'gw1'), reason: expect.stringContaining('15%') }]);
  });

  it('a value that is not a number breaks the run and decides nothing', () => {
    expect(ioWaitHigh(gw, statusSample({ ioWaitPercent: Number.NaN }), t, 1)).toEqual({ decisions: [], streak: 0 });
  });
});
