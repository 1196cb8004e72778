import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src-gateway-engine/control/control-wire.js';
import { alertKey } from './alert-decision.js';
import { AlertRule } from './alert-rule.js';
import { resolveAlertThresholds } from './alert-thresholds.js';
import { evaluateSample } from './sample-rules.js';
import { sampleVolume, statusSample } from './test-support/status-samples.js';

const gw = { id: 'gw1', name: 'office-1' };
const t = resolveAlertThresholds();

function open(rule: string, volume: string | null, gatewayId = 'gw1'): AlertRecord {
  return { id: `a-${rule}-${volume}`, rule, severity: 'warning', gatewayId, volume, message: 'm', state: 'open', openedAt: '2030-01-01T00:00:00.000Z', closedAt: null, value: null };
}

describe('evaluateSample', () => {
  it('runs every per-gateway rule and says the gateway is online', () => {
    const sample = statusSample({ uploadBufferPercent: 95, cacheDirtyPercent: 90, ioWaitPercent: 30, volumes: [sampleVolume('db', { state: 'failed', error: 'EIO', TimeSinceLastRecoveryPoint: 9000 })] });
    const { decisions, ioWaitStreak } = evaluateSample(gw, sample, t, 1, []);
    expect(ioWaitStreak).toBe(2);
    expect(decisions.map((d) => [d.action, d.key.rule, d.key.volume])).toEqual([
      ['close', AlertRule.GatewayOffline, null],
      ['open', AlertRule.UploadBufferHigh, null],
      ['open', AlertRule.CacheDirtyHigh, null],
      ['open', AlertRule.IoWaitHigh, null],
      ['open', AlertRule.RecoveryPointOld, 'db'],
      ['open', AlertRule.WriteLogError, 'db'],
    ]);
  });

  it('closes per-volume alerts of volumes the sample no longer lists, and only those', () => {
    const current = [open(AlertRule.RecoveryPointOld, 'gone'), open(AlertRule.WriteLogError, 'gone'), open(AlertRule.WriteLogError, 'db'), open(AlertRule.UploadBufferHigh, null), open(AlertRule.WriteLogError, 'x', 'other-gw')];
    const { decisions } = evaluateSample(gw, statusSample({ volumes: [sampleVolume('db')] }), t, 0, current);
    const vanished = decisions.filter((d) => d.key.volume === 'gone');
    expect(vanished).toEqual([
      { action: 'close', key: alertKey(AlertRule.RecoveryPointOld, 'gw1', 'gone'), reason: 'volume gone is no longer on the gateway' },
      { action: 'close', key: alertKey(AlertRule.WriteLogError, 'gw1', 'gone'), reason: 'volume gone is no longer on the gateway' },
    ]);
    expect(decisions.some((d) => d.key.gatewayId === 'other-gw')).toBe(false);
  });
});
