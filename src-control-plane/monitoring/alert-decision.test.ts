import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src-gateway-engine/control/control-wire.js';
import { alertKey, alertKeyId, planAlertChanges, type AlertDecision } from './alert-decision.js';
import { AlertRule } from './alert-rule.js';

function openAlert(rule: string, gatewayId: string | null, volume: string | null = null): AlertRecord {
  return { id: `a-${rule}-${volume}`, rule, severity: 'warning', gatewayId, volume, message: 'm', state: 'open', openedAt: '2030-01-01T00:00:00.000Z', closedAt: null, value: null };
}

const open = (rule: (typeof AlertRule)[keyof typeof AlertRule], volume: string | null = null): AlertDecision => ({
  action: 'open',
  key: alertKey(rule, 'gw1', volume),
  severity: 'warning',
  message: 'm',
  value: 1,
});
const close = (rule: (typeof AlertRule)[keyof typeof AlertRule], volume: string | null = null): AlertDecision => ({ action: 'close', key: alertKey(rule, 'gw1', volume), reason: 'r' });

describe('planAlertChanges', () => {
  it('opens what is not open and closes what is, skipping the rest', () => {
    const current = [openAlert(AlertRule.CacheDirtyHigh, 'gw1'), openAlert(AlertRule.RecoveryPointOld, 'gw1', 'vol1')];
    const planned = planAlertChanges(
      [open(AlertRule.UploadBufferHigh), open(AlertRule.CacheDirtyHigh), close(AlertRule.IoWaitHigh), close(AlertRule.RecoveryPointOld, 'vol1'), close(AlertRule.RecoveryPointOld, 'vol2')],
      current,
    );
    expect(planned.map((d) => [d.action, d.key.rule, d.key.volume])).toEqual([
      ['open', AlertRule.UploadBufferHigh, null],
      ['close', AlertRule.RecoveryPointOld, 'vol1'],
    ]);
  });

  it('keys by rule, gateway and volume', () => {
    expect(alertKeyId(alertKey(AlertRule.WriteLogError, 'gw1', 'a'))).not.toBe(alertKeyId(alertKey(AlertRule.WriteLogError, 'gw1', 'b')));
    expect(planAlertChanges([open(AlertRule.WriteLogError, 'b')], [openAlert(AlertRule.WriteLogError, 'gw1', 'a')])).toHaveLength(1);
  });

  it('ignores closed alerts in the list and duplicate decisions', () => {
    const closed = { ...openAlert(AlertRule.UploadBufferHigh, 'gw1'), state: 'closed' as const };
    expect(planAlertChanges([open(AlertRule.UploadBufferHigh), open(AlertRule.UploadBufferHigh)], [closed])).toHaveLength(1);
  });
});
