import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../../src-gateway-engine/control/control-wire.js';
import { alertKey } from '../alert-decision.js';
import { AlertRule } from '../alert-rule.js';
import { resolveAlertThresholds } from '../alert-thresholds.js';
import { statusSample } from '../test-support/status-samples.js';
import { fleetErrorClosings, fleetErrorOpenings, fleetErrorsFromSample, fleetErrorSubject, type FleetErrorObservation } from './fleet-error.js';

const t = resolveAlertThresholds();
const NOW = Date.parse('2030-01-01T12:00:00.000Z');
const MIN = 60_000;

function obs(gatewayId: string, version: string, code: string, agoMs = 0, message = `${code} happened`): FleetErrorObservation {
  return { gatewayId, gatewayName: `office-${gatewayId}`, version, code, message, atMs: NOW - agoMs };
}

function fleetAlert(subject: string, openedAgoMs: number): AlertRecord {
  return { id: 'a-' + subject, rule: AlertRule.FleetError, severity: 'critical', gatewayId: null, volume: subject, message: 'm', state: 'open', openedAt: new Date(NOW - openedAgoMs).toISOString(), closedAt: null, value: 3 };
}

describe('fleetErrorsFromSample', () => {
  it('keeps one observation per code, skipping errors without a code', () => {
    const sample = statusSample({
      version: '1.2.0',
      errors: [
        { at: '2030-01-01T11:59:58.000Z', code: 'STORE_UNAVAILABLE', message: 'first' },
        { at: '2030-01-01T11:59:59.000Z', code: null, message: 'no code' },
        { at: '2030-01-01T11:59:59.500Z', code: 'STORE_UNAVAILABLE', message: 'second' },
        { at: '2030-01-01T11:59:59.600Z', code: 'IO_ERROR', message: 'disk' },
      ],
    });
    expect(fleetErrorsFromSample({ id: 'g1', name: 'office-1' }, sample, NOW)).toEqual([
      { gatewayId: 'g1', gatewayName: 'office-1', version: '1.2.0', code: 'STORE_UNAVAILABLE', message: 'second', atMs: NOW },
      { gatewayId: 'g1', gatewayName: 'office-1', version: '1.2.0', code: 'IO_ERROR', message: 'disk', atMs: NOW },
    ]);
  });
});

describe('fleet-error openings', () => {
  it('opens when 3 gateways of one version report the same code within 15 min', () => {
    const decisions = fleetErrorOpenings([obs('a', '1.2.0', 'CORRUPT', 14 * MIN), obs('b', '1.2.0', 'CORRUPT', 5 * MIN), obs('c', '1.2.0', 'CORRUPT', 0, 'checksum mismatch')], NOW, t);
    expect(decisions).toEqual([{
      action: 'open',
      key: alertKey(AlertRule.FleetError, null, 'CORRUPT@1.2.0'),
      severity: 'critical',
      value: 3,
      message: 'Error CORRUPT on 3 gateways running version 1.2.0 within 15 min (threshold 3): office-a, office-b, office-c. Latest: "checksum mismatch"',
    }]);
  });

  it('does not add up gateways of different versions', () => {
    expect(fleetErrorOpenings([obs('a', '1.2.0', 'CORRUPT'), obs('b', '1.2.0', 'CORRUPT'), obs('c', '1.3.0', 'CORRUPT')], NOW, t)).toEqual([]);
  });

  it('does not add up different codes, nor one gateway reporting many times', () => {
    expect(fleetErrorOpenings([obs('a', '1', 'X'), obs('b', '1', 'X'), obs('c', '1', 'Y')], NOW, t)).toEqual([]);
    expect(fleetErrorOpenings([obs('a', '1', 'X'), obs('a', '1', 'X', MIN), obs('b', '1', 'X'), obs('b', '1', 'X', 2 * MIN)], NOW, t)).toEqual([]);
  });

  it('forgets observations older than the window', () => {
    expect(fleetErrorOpenings([obs('a', '1', 'X', 16 * MIN), obs('b', '1', 'X'), obs('c', '1', 'X')], NOW, t)).toEqual([]);
  });

  it('follows the configured count and window', () => {
    const t2 = resolveAlertThresholds({ fleetErrorGateways: 2, fleetErrorWindowMs: 5 * MIN });
    expect(fleetErrorOpenings([obs('a', '1', 'X', 4 * MIN), obs('b', '1', 'X')], NOW, t2)).toHaveLength(1);
    expect(fleetErrorOpenings([obs('a', '1', 'X', 6 * MIN), obs('b', '1', 'X')], NOW, t2)).toEqual([]);
  });

  it('lists at most 10 gateway names', () => {
    const many = Array.from({ length: 13 }, (_, i) => obs(String(i).padStart(2, '0'), '1', 'X'));
    const [d] = fleetErrorOpenings(many, NOW, t);
    expect(d?.value).toBe(13);
    expect(d?.message).toContain('office-09 and 3 more.');
  });
});

describe('fleet-error closings', () => {
  const subject = fleetErrorSubject('1.2.0', 'CORRUPT');
  const longAgo = NOW - 60 * MIN;

  it('closes after a whole window without the code on that version', () => {
    const decisions = fleetErrorClosings([fleetAlert(subject, 30 * MIN)], [obs('a', '1.2.0', 'CORRUPT', 16 * MIN), obs('b', '1.3.0', 'CORRUPT', 0)], NOW, t, longAgo);
    expect(decisions).toEqual([{ action: 'close', key: alertKey(AlertRule.FleetError, null, subject), reason: expect.stringContaining('15 min') }]);
  });

  it('keeps it open while any gateway of that version still reports it (even one)', () => {
    expect(fleetErrorClosings([fleetAlert(subject, 30 * MIN)], [obs('a', '1.2.0', 'CORRUPT', 14 * MIN)], NOW, t, longAgo)).toEqual([]);
  });

  it('keeps an alert younger than the window, and waits a window after the monitor started', () => {
    expect(fleetErrorClosings([fleetAlert(subject, 10 * MIN)], [], NOW, t, longAgo)).toEqual([]);
    expect(fleetErrorClosings([fleetAlert(subject, 60 * MIN)], [], NOW, t, NOW - 5 * MIN)).toEqual([]);
  });

  it('ignores alerts of other rules', () => {
    const other = { ...fleetAlert(subject, 60 * MIN), rule: AlertRule.UploadBufferHigh, gatewayId: 'g1', volume: null };
    expect(fleetErrorClosings([other], [], NOW, t, longAgo)).toEqual([]);
  });
});
