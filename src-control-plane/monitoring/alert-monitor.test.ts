import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StatusSample } from '../../src-gateway-engine/control/control-wire.js';
import { openEmbeddedState, type ControlPlaneState, type GatewayRecord } from '../state/index.js';
import { createAlertMonitor, type AlertMonitor, type AlertMonitorOptions } from './alert-monitor.js';
import { AlertRule } from './alert-rule.js';
import { recordingLogger } from './test-support/recording-logger.js';
import { gatewayRecord, sampleVolume, statusSample, type SampleOverrides } from './test-support/status-samples.js';

const T0 = Date.parse('2030-01-01T12:00:00.000Z');
const SEC = 1000;
const MIN = 60 * SEC;
const DAY = 24 * 60 * MIN;

let dir: string;
let state: ControlPlaneState;
let stateErrors: unknown[];
let clockMs: number;
let logger: ReturnType<typeof recordingLogger>;
let changed: Array<string | null>;
const monitors: AlertMonitor[] = [];

function monitor(opts: Partial<AlertMonitorOptions> = {}): AlertMonitor {
  const m = createAlertMonitor({ state, logger, now: () => new Date(clockMs), onAlertsChanged: (id) => changed.push(id), ...opts });
  monitors.push(m);
  return m;
}

/** A sample taken now on the fake clock. */
function sampleNow(o: SampleOverrides = {}): StatusSample {
  return statusSample({ at: new Date(clockMs).toISOString(), ...o });
}

async function addGateway(id: string, name: string, o: Partial<GatewayRecord> = {}): Promise<GatewayRecord> {
  const record = gatewayRecord(id, name, { activatedAt: new Date(T0).toISOString(), ...o });
  await state.gateways.put(record);
  return record;
}

const openAlerts = () => state.alerts.list({ state: 'open' });
const closedAlerts = () => state.alerts.list({ state: 'closed' });

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tidegate-monitor-'));
  stateErrors = [];
  state = await openEmbeddedState(dir, { onError: (err) => stateErrors.push(err) });
  clockMs = T0;
  logger = recordingLogger();
  changed = [];
});

afterEach(async () => {
  for (const m of monitors.splice(0)) m.stop();
  await state.close();
  await rm(dir, { recursive: true, force: true });
  expect(stateErrors).toEqual([]);
});

/** No error was logged (tests that provoke errors check the lines themselves). */
function expectNoErrorsLogged(): void {
  expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
}

describe('AlertMonitor on samples', () => {
  it('stores the sample; a full upload buffer raises upload-buffer-high, which clears when the buffer drains', async () => {
    const m = monitor();
    const gw = await addGateway('gw1', 'office-1');
    const full = sampleNow({ uploadBufferPercent: 93 });
    await m.onSample(gw, full);

    expect(await state.samples.latest('gw1')).toEqual(full);
    const [alert, ...rest] = await openAlerts();
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({
      rule: AlertRule.UploadBufferHigh,
      severity: 'warning',
      gatewayId: 'gw1',
      volume: null,
      value: 93,
      state: 'open',
      openedAt: new Date(T0).toISOString(),
      message: expect.stringMatching(/^Upload buffer 93% full on gateway office-1 \(threshold 80%\)/),
    });
    expect(changed).toEqual(['gw1']);
    expect(logger.lines).toContainEqual({ level: 'warn', msg: 'alert opened', fields: expect.objectContaining({ alertId: alert?.id, rule: AlertRule.UploadBufferHigh, gatewayId: 'gw1' }) });

    // Still high, then inside the hysteresis band: the same alert stays open, nobody is told.
    clockMs += 10 * SEC;
    await m.onSample(gw, sampleNow({ uploadBufferPercent: 97 }));
    clockMs += 10 * SEC;
    await m.onSample(gw, sampleNow({ uploadBufferPercent: 75 }));
    expect((await openAlerts()).map((a) => a.id)).toEqual([alert?.id]);
    expect(changed).toEqual(['gw1']);

    clockMs += 10 * SEC;
    await m.onSample(gw, sampleNow({ uploadBufferPercent: 40 }));
    expect(await openAlerts()).toEqual([]);
    expect(await closedAlerts()).toEqual([expect.objectContaining({ id: alert?.id, state: 'closed', closedAt: new Date(T0 + 30 * SEC).toISOString() })]);
    expect(changed).toEqual(['gw1', 'gw1']);
    expect(logger.lines).toContainEqual({ level: 'info', msg: 'alert closed', fields: expect.objectContaining({ alertId: alert?.id, reason: expect.stringContaining('40%') }) });
    expectNoErrorsLogged();
  });

  it('tells the server once per sample even when several alerts change', async () => {
    const m = monitor();
    const gw = await addGateway('gw1', 'office-1');
    await m.onSample(gw, sampleNow({ uploadBufferPercent: 95, cacheDirtyPercent: 95 }));
    expect((await openAlerts()).map((a) => a.rule).sort()).toEqual([AlertRule.CacheDirtyHigh, AlertRule.UploadBufferHigh]);
    expect(changed).toEqual(['gw1']);
  });

  it('io-wait-high needs two samples in a row; a reconnect restarts the count', async () => {
    const m = monitor();
    const gw = await addGateway('gw1', 'office-1');
    await m.onSample(gw, sampleNow({ ioWaitPercent: 25 }));
    expect(await openAlerts()).toEqual([]);
    await m.onConnected('gw1');
    await m.onSample(gw, sampleNow({ ioWaitPercent: 25 }));
    expect(await openAlerts()).toEqual([]);
    await m.onSample(gw, sampleNow({ ioWaitPercent: 30 }));
    expect(await openAlerts()).toEqual([expect.objectContaining({ rule: AlertRule.IoWaitHigh, value: 30 })]);
    await m.onSample(gw, sampleNow({ ioWaitPercent: 16 }));
    expect(await openAlerts()).toHaveLength(1);
    await m.onSample(gw, sampleNow({ ioWaitPercent: 10 }));
    expect(await openAlerts()).toEqual([]);
  });

  it('keys per-volume alerts by volume, quotes a failed volume\'s error, and closes alerts of a volume that went away', async () => {
    const m = monitor();
    const gw = await addGateway('gw1', 'office-1');
    await m.onSample(gw, sampleNow({
      volumes: [
        sampleVolume('db', { TimeSinceLastRecoveryPoint: 5400 }),
        sampleVolume('files', { TimeSinceLastRecoveryPoint: 4000, state: 'failed', error: 'write log fsync failed: EIO' }),
        sampleVolume('ok'),
      ],
    }));
    const open = await openAlerts();
    expect(open.map((a) => `${a.rule}/${a.volume}/${a.severity}`).sort()).toEqual([
      'recovery-point-old/db/warning',
      'recovery-point-old/files/warning',
      'write-log-error/files/critical',
    ]);
    expect(open.find((a) => a.rule === AlertRule.WriteLogError)?.message).toBe('Volume files on gateway office-1 failed and stopped serving I/O: write log fsync failed: EIO');

    // db caught up; files was deleted from the gateway.
    await m.onSample(gw, sampleNow({ volumes: [sampleVolume('db'), sampleVolume('ok')] }));
    expect(await openAlerts()).toEqual([]);
    expect(await closedAlerts()).toHaveLength(3);
    expect(changed).toEqual(['gw1', 'gw1']);
    expectNoErrorsLogged();
  });

  it('servers racing over one gateway open one alert, and only one of them reports it', async () => {
    const a = monitor();
    const b = monitor();
    const gw = await addGateway('gw1', 'office-1');
    await Promise.all([a.onSample(gw, sampleNow({ uploadBufferPercent: 99 })), b.onSample(gw, sampleNow({ uploadBufferPercent: 99 }))]);
    expect(await openAlerts()).toHaveLength(1);
    expect(changed).toEqual(['gw1']);
    expect(logger.lines.filter((l) => l.msg === 'alert opened')).toHaveLength(1);
  });
});

describe('AlertMonitor gateway-offline', () => {
  it('opens after the timeout with a fake clock, and closes when the gateway connects', async () => {
    const m = monitor();
    await addGateway('gw1', 'office-1', { lastSeenAt: new Date(T0).toISOString() });

    await m.sweep(new Date(T0 + 119 * SEC));
    expect(await openAlerts()).toEqual([]);
    expect(changed).toEqual([]);

    await m.sweep(new Date(T0 + 121 * SEC));
    const [alert] = await openAlerts();
    expect(alert).toMatchObject({
      rule: AlertRule.GatewayOffline,
      severity: 'critical',
      gatewayId: 'gw1',
      value: 121,
      openedAt: new Date(T0 + 121 * SEC).toISOString(),
      message: expect.stringMatching(/^Gateway office-1 has had no management connection for 2 min 1 s \(last seen 2030-01-01T12:00:00.000Z; threshold 2 min\)/),
    });
    expect(changed).toEqual(['gw1']);

    // Later sweeps keep the one alert.
    await m.sweep(new Date(T0 + 10 * MIN));
    expect((await openAlerts()).map((a) => a.id)).toEqual([alert?.id]);
    expect(changed).toEqual(['gw1']);

    clockMs = T0 + 11 * MIN;
    await state.registry.set('gw1', { serverId: 'srv-a', connectionId: 'c1', since: new Date(clockMs).toISOString() }, 60_000);
    await m.onConnected('gw1');
    expect(await openAlerts()).toEqual([]);
    expect(await closedAlerts()).toEqual([expect.objectContaining({ id: alert?.id, closedAt: new Date(T0 + 11 * MIN).toISOString() })]);
    expect(changed).toEqual(['gw1', 'gw1']);

    // Held now: no sweep reopens it, however old lastSeenAt is.
    await m.sweep(new Date(T0 + 20 * MIN));
    expect(await openAlerts()).toEqual([]);
    expectNoErrorsLogged();
  });

  it('counts a gateway that never connected from its activation', async () => {
    const m = monitor();
    await addGateway('gw1', 'office-1');
    await m.sweep(new Date(T0 + 60 * SEC));
    expect(await openAlerts()).toEqual([]);
    await m.sweep(new Date(T0 + 5 * MIN));
    expect(await openAlerts()).toEqual([expect.objectContaining({ rule: AlertRule.GatewayOffline, message: expect.stringMatching(/^Gateway office-1 has not connected since it was activated 5 min ago/) })]);
  });

  it('a sweep closes it when a server holds the gateway, and so does a sample', async () => {
    const m = monitor();
    const gw1 = await addGateway('gw1', 'office-1');
    await addGateway('gw2', 'office-2');
    await m.sweep(new Date(T0 + 10 * MIN));
    expect(await openAlerts()).toHaveLength(2);

    await state.registry.set('gw2', { serverId: 'srv-b', connectionId: 'c2', since: new Date(T0).toISOString() }, 60_000);
    await m.sweep(new Date(T0 + 11 * MIN));
    expect((await openAlerts()).map((a) => a.gatewayId)).toEqual(['gw1']);

    await m.onSample(gw1, sampleNow());
    expect(await openAlerts()).toEqual([]);
    expect(changed.sort()).toEqual(['gw1', 'gw1', 'gw2', 'gw2']);
  });
});

describe('AlertMonitor fleet-error', () => {
  const failing = (code: string, version: string, message = `${code} while uploading`): SampleOverrides => ({ version, errors: [{ at: new Date(T0).toISOString(), code, message }] });

  it('opens when 3 gateways of one version report the same code, and closes after a quiet window', async () => {
    const m = monitor();
    const gws = await Promise.all(['a', 'b', 'c'].map((x) => addGateway(`gw-${x}`, `office-${x}`)));
    await m.onSample(gws[0]!, sampleNow(failing('STORE_UNAVAILABLE', '1.2.0')));
    clockMs += 5 * MIN;
    await m.onSample(gws[1]!, sampleNow(failing('STORE_UNAVAILABLE', '1.2.0')));
    expect(await openAlerts()).toEqual([]);
    clockMs += 5 * MIN;
    await m.onSample(gws[2]!, sampleNow(failing('STORE_UNAVAILABLE', '1.2.0', 'bucket unreachable')));

    const open = await openAlerts();
    expect(open).toEqual([expect.objectContaining({
      rule: AlertRule.FleetError,
      severity: 'critical',
      gatewayId: null,
      volume: 'STORE_UNAVAILABLE@1.2.0',
      value: 3,
      message: 'Error STORE_UNAVAILABLE on 3 gateways running version 1.2.0 within 15 min (threshold 3): office-a, office-b, office-c. Latest: "bucket unreachable"',
    })]);
    expect(changed).toEqual([null]);

    // Another report keeps the one alert.
    await m.onSample(gws[0]!, sampleNow(failing('STORE_UNAVAILABLE', '1.2.0')));
    expect(await openAlerts()).toHaveLength(1);

    // Quiet (clean samples) for less than a window: stays; a whole window: closes. (The sweeps
    // also find these never-connected gateways offline; only the fleet alert matters here.)
    const openFleet = async () => (await openAlerts()).filter((a) => a.rule === AlertRule.FleetError);
    clockMs += 10 * MIN;
    await m.onSample(gws[0]!, sampleNow({ version: '1.2.0' }));
    await m.sweep();
    expect(await openFleet()).toHaveLength(1);
    clockMs += 6 * MIN;
    await m.sweep();
    expect(await openFleet()).toEqual([]);
    expect(await closedAlerts()).toEqual([expect.objectContaining({ rule: AlertRule.FleetError, closedAt: new Date(clockMs).toISOString() })]);
    expect(changed.filter((id) => id === null)).toEqual([null, null]);
    expectNoErrorsLogged();
  });

  it('does not add up gateways of different versions, nor different codes', async () => {
    const m = monitor();
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((x) => addGateway(`gw-${x}`, `office-${x}`)));
    await m.onSample(a!, sampleNow(failing('CORRUPT', '1.2.0')));
    await m.onSample(b!, sampleNow(failing('CORRUPT', '1.2.0')));
    await m.onSample(c!, sampleNow(failing('CORRUPT', '1.3.0')));
    await m.onSample(d!, sampleNow(failing('IO_ERROR', '1.2.0')));
    expect(await openAlerts()).toEqual([]);
    expect(changed).toEqual([]);
  });

  it('adds up gateways held by different servers through the message bus', async () => {
    const server1 = monitor();
    const server2 = monitor();
    server1.start();
    server2.start();
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((x) => addGateway(`gw-${x}`, `office-${x}`)));
    await server1.onSample(a!, sampleNow(failing('CORRUPT', '1.2.0')));
    await server2.onSample(b!, sampleNow(failing('CORRUPT', '1.2.0')));
    await server2.onSample(c!, sampleNow(failing('CORRUPT', '1.2.0')));
    // server2 heard gw-a from server1, so its own two make three.
    await vi.waitFor(async () => expect(await openAlerts()).toEqual([expect.objectContaining({ rule: AlertRule.FleetError, value: 3 })]));
    expect(changed).toEqual([null]);
  });

  it('without the bus (not started) a server counts only its own gateways', async () => {
    const server1 = monitor();
    const server2 = monitor();
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((x) => addGateway(`gw-${x}`, `office-${x}`)));
    await server1.onSample(a!, sampleNow(failing('CORRUPT', '1.2.0')));
    await server2.onSample(b!, sampleNow(failing('CORRUPT', '1.2.0')));
    await server2.onSample(c!, sampleNow(failing('CORRUPT', '1.2.0')));
    await new Promise((r) => setTimeout(r, 20));
    expect(await openAlerts()).toEqual([]);
  });
});

describe('AlertMonitor retention and timer', () => {
  it('prunes samples older than the retention at most once an hour', async () => {
    const m = monitor({ thresholds: { retentionDays: 14 } });
    await addGateway('gw1', 'office-1');
    const old = statusSample({ at: new Date(T0 - 15 * DAY).toISOString() });
    const fresh = statusSample({ at: new Date(T0 - DAY).toISOString() });
    await state.samples.append('gw1', old);
    await state.samples.append('gw1', fresh);
    const prune = vi.spyOn(state.samples, 'prune');

    await m.sweep(new Date(T0));
    expect(prune).toHaveBeenCalledExactlyOnceWith(T0 - 14 * DAY);
    expect(await state.samples.range('gw1', 0, T0)).toEqual([fresh]);
    expect(logger.lines).toContainEqual({ level: 'info', msg: 'pruned old status samples', fields: expect.objectContaining({ pruned: 1 }) });

    await m.sweep(new Date(T0 + 59 * MIN));
    expect(prune).toHaveBeenCalledTimes(1);
    await m.sweep(new Date(T0 + 60 * MIN));
    expect(prune).toHaveBeenCalledTimes(2);
    expect(prune).toHaveBeenLastCalledWith(T0 + 60 * MIN - 14 * DAY);
  });

  it('start() sweeps on a timer and stop() ends it', async () => {
    clockMs = T0 + 10 * MIN;
    const m = monitor({ sweepIntervalMs: 10 });
    await addGateway('gw1', 'office-1');
    const prune = vi.spyOn(state.samples, 'prune');
    m.start();
    await vi.waitFor(async () => expect(await openAlerts()).toHaveLength(1));
    expect(prune).toHaveBeenCalled();
    m.stop();
    await new Promise((r) => setTimeout(r, 30));
    await addGateway('gw2', 'office-2');
    await new Promise((r) => setTimeout(r, 50));
    expect(await openAlerts()).toHaveLength(1);
  });
});

describe('AlertMonitor failures', () => {
  it('a failing store is logged, not thrown, and the rules still run', async () => {
    const m = monitor();
    const gw = await addGateway('gw1', 'office-1');
    vi.spyOn(state.samples, 'append').mockRejectedValue(new Error('disk full'));
    const list = vi.spyOn(state.alerts, 'list').mockRejectedValue(new Error('list failed'));
    await expect(m.onSample(gw, sampleNow({ uploadBufferPercent: 95 }))).resolves.toBeUndefined();
    await expect(m.sweep()).resolves.toBeUndefined();
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['could not store a status sample', 'could not list open alerts', 'sweep: could not list open alerts']);
    expect(logger.lines[0]?.fields).toMatchObject({ gatewayId: 'gw1', err: expect.objectContaining({ message: 'disk full' }) });
    list.mockRestore();
    // Without the list the monitor applied every decision (idempotent), so the alert is there.
    expect(await openAlerts()).toEqual([expect.objectContaining({ rule: AlertRule.UploadBufferHigh })]);
    expect(changed).toEqual(['gw1']);
  });

  it('a sample that does not match StatusSample is logged, not thrown', async () => {
    const m = monitor();
    const gw = await addGateway('gw1', 'office-1');
    const bad = { ...sampleNow(), volumes: undefined, errors: undefined } as unknown as StatusSample;
    await expect(m.onSample(gw, bad)).resolves.toBeUndefined();
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['could not evaluate a status sample']);
  });

  it('a throwing onAlertsChanged is logged and does not stop the monitor', async () => {
    const m = monitor({
      onAlertsChanged: () => {
        throw new Error('push failed');
      },
    });
    const gw = await addGateway('gw1', 'office-1');
    await m.onSample(gw, sampleNow({ uploadBufferPercent: 95, cacheDirtyPercent: 95 }));
    expect(await openAlerts()).toHaveLength(2);
    expect(logger.lines).toContainEqual({ level: 'error', msg: 'onAlertsChanged threw', fields: expect.objectContaining({ gatewayId: 'gw1' }) });
  });

  it('rejects bad options at creation', () => {
    expect(() => monitor({ sweepIntervalMs: 0 })).toThrow(/sweepIntervalMs/);
    expect(() => monitor({ thresholds: { uploadBufferPercent: 150 } })).toThrow(/uploadBufferPercent/);
  });
});
