import { describe, expect, it } from 'vitest';
import { alertKey } from '../alert-decision.js';
import { AlertRule } from '../alert-rule.js';
import { resolveAlertThresholds } from '../alert-thresholds.js';
import { sampleVolume, statusSample } from '../test-support/status-samples.js';
import { recoveryPointOld } from './recovery-point-old.js';

const gw = { id: 'gw1', name: 'office-1' };
const t = resolveAlertThresholds();

describe('recovery-point-old', () => {
  it('decides per volume: opens over an hour, closes at or under it', () => {
    const sample = statusSample({
      volumes: [
        sampleVolume('db', { TimeSinceLastRecoveryPoint: 7500 }),
        sampleVolume('files', { TimeSinceLastRecoveryPoint: 3600 }),
        sampleVolume('logs', { TimeSinceLastRecoveryPoint: 0 }),
      ],
    });
    expect(recoveryPointOld(gw, sample, t)).toEqual([
      {
        action: 'open',
        key: alertKey(AlertRule.RecoveryPointOld, 'gw1', 'db'),
        severity: 'warning',
        value: 7500,
        message: expect.stringMatching(/^Volume db on gateway office-1 has no recovery point newer than 2 h 5 min \(threshold 1 h\)/),
      },
      { action: 'close', key: alertKey(AlertRule.RecoveryPointOld, 'gw1', 'files'), reason: expect.any(String) },
      { action: 'close', key: alertKey(AlertRule.RecoveryPointOld, 'gw1', 'logs'), reason: expect.any(String) },
    ]);
  });

  it('follows a configured threshold and skips a value that is not a number', () => {
    const sample = statusSample({ volumes: [sampleVolume('a', { TimeSinceLastRecoveryPoint: 700 }), sampleVolume('b', { TimeSinceLastRecoveryPoint: Number.NaN })] });
    const decisions = recoveryPointOld(gw, sample, resolveAlertThresholds({ recoveryPointAgeSeconds: 600 }));
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ action: 'open', key: { volume: 'a' }, message: expect.stringContaining('(threshold 10 min)') });
  });

  it('decides nothing for a gateway without volumes', () => {
    expect(recoveryPointOld(gw, statusSample({ volumes: [] }), t)).toEqual([]);
  });
});
