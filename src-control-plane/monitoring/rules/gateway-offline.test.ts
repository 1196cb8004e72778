import { describe, expect, it } from 'vitest';
import { alertKey } from '../alert-decision.js';
import { AlertRule } from '../alert-rule.js';
import { resolveAlertThresholds } from '../alert-thresholds.js';
import { gatewayRecord } from '../test-support/status-samples.js';
import { gatewayOffline, gatewayOnline } from './gateway-offline.js';

const t = resolveAlertThresholds();
const now = new Date('2030-01-01T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const holder = { serverId: 'srv-a', connectionId: 'c1', since: ago(1000) };

describe('gateway-offline', () => {
  it('closes while a server holds the connection, however old lastSeenAt is', () => {
    const gw = gatewayRecord('gw1', 'office-1', { lastSeenAt: ago(3_600_000) });
    expect(gatewayOffline(gw, holder, now, t)).toEqual([{ action: 'close', key: alertKey(AlertRule.GatewayOffline, 'gw1'), reason: 'connected to server srv-a' }]);
  });

  it('opens when nobody holds it and it was last seen more than 120 s ago', () => {
    const gw = gatewayRecord('gw1', 'office-1', { lastSeenAt: ago(300_000) });
    expect(gatewayOffline(gw, null, now, t)).toEqual([{
      action: 'open',
      key: alertKey(AlertRule.GatewayOffline, 'gw1'),
      severity: 'critical',
      value: 300,
      message: expect.stringMatching(/^Gateway office-1 has had no management connection for 5 min \(last seen 2030-01-01T11:55:00.000Z; threshold 2 min\)/),
    }]);
  });

  it('leaves a gateway that was seen within the timeout alone (it is reconnecting)', () => {
    expect(gatewayOffline(gatewayRecord('gw1', 'office-1', { lastSeenAt: ago(120_000) }), null, now, t)).toEqual([]);
    expect(gatewayOffline(gatewayRecord('gw1', 'office-1', { lastSeenAt: ago(5_000) }), null, now, t)).toEqual([]);
  });

  it('a gateway never seen counts from its activation', () => {
    expect(gatewayOffline(gatewayRecord('gw1', 'office-1', { activatedAt: ago(60_000) }), null, now, t)).toEqual([]);
    const [d] = gatewayOffline(gatewayRecord('gw1', 'office-1', { activatedAt: ago(600_000) }), null, now, t);
    expect(d).toMatchObject({ action: 'open', value: 600, message: expect.stringMatching(/^Gateway office-1 has not connected since it was activated 10 min ago \(threshold 2 min\)/) });
  });

  it('follows a configured timeout', () => {
    const gw = gatewayRecord('gw1', 'office-1', { lastSeenAt: ago(45_000) });
    expect(gatewayOffline(gw, null, now, resolveAlertThresholds({ offlineAfterMs: 30_000 }))[0]?.action).toBe('open');
  });

  it('gatewayOnline closes the alert', () => {
    expect(gatewayOnline('gw1', 'why')).toEqual({ action: 'close', key: alertKey(AlertRule.GatewayOffline, 'gw1'), reason: 'why' });
  });
});
