import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { nullLogger } from '../log/index.js';
import { CoreTempDirs, waitUntil } from '../test/support/core-temp-dirs.js';
import type { GatewayMessage, StatusSample } from './control-wire.js';
import { loadOrCreateGatewayKey, type GatewayKey } from './gateway-key.js';
import { ManagementConnection, type ManagementConnectionOptions, type ManagementTimings, type RemoteCommandApi } from './management-connection.js';
import { startTestControlPlane, type FakeControlPlane } from './test/fake-control-plane.js';
import { makeTestCa, type TestCa } from './test/test-tls.js';

const dirs = new CoreTempDirs('mgmt');
let cp: FakeControlPlane;
let ca: TestCa;
let key: GatewayKey;
const GW = 'gw_test1';
const conns: ManagementConnection[] = [];

/** A command API that records its calls; `volume.sync` waits for `release()`. */
function fakeCommands() {
  const calls: Array<{ method: string; params: unknown }> = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const rec = (method: string, params: unknown): void => void calls.push({ method, params });
  const api: RemoteCommandApi = {
    status: async (p) => (rec('status', p), { gatewayId: 'local' } as never),
    'volume.create': async (p) => (rec('volume.create', p), { name: p.name } as never),
    'volume.list': async (p) => (rec('volume.list', p), []),
    'volume.delete': async (p) => {
      rec('volume.delete', p);
      throw new TidegateError(ErrorCode.NotFound, `no volume named ${p.name} on this gateway`);
    },
    'volume.sync': async (p) => {
      rec('volume.sync', p);
      await gate;
      return { headNo: 1, lastSeq: 2, committedAt: 'now' };
    },
    'bandwidth.set': async (p) => (rec('bandwidth.set', p), p),
    'volume.iscsi': async (p) => (rec('volume.iscsi', p), {} as never),
    'logs.recent': async (p) => (rec('logs.recent', p), []),
    'metrics.history': async (p) => (rec('metrics.history', p), []),
    'storage.describe': async (p) => (rec('storage.describe', p), {} as never),
    'storage.configure': async (p) => (rec('storage.configure', p), {} as never),
    'bandwidth.get': async (p) => (rec('bandwidth.get', p), {} as never),
    'bandwidth.configure': async (p) => (rec('bandwidth.configure', p), {} as never),
  };
  return { api, calls, release: () => release(), gate };
}

const sample = (): StatusSample => ({ at: new Date().toISOString(), version: 't', IoWaitPercent: 0, cache: {} as never, uploadBuffer: {} as never, volumes: [], errors: [] });

function connect(over: Partial<ManagementConnectionOptions> = {}, timings: Partial<ManagementTimings> = {}): ManagementConnection {
  const c = new ManagementConnection({
    origin: cp.url,
    gatewayId: GW,
    caPem: ca.caPem,
    key,
    commands: fakeCommands().api,
    sample,
    logger: nullLogger,
    timings: { heartbeatMs: 100, backoffBaseMs: 20, backoffMaxMs: 200, ...timings },
    random: () => 1,
    ...over,
  });
  conns.push(c);
  c.start();
  return c;
}

const replies = (id: string) => cp.repliesTo(id);
const statuses = () => cp.received.filter((m): m is Extract<GatewayMessage, { type: 'status' }> => m.type === 'status');
const deadline = () => Date.now() + 10_000;

beforeEach(async () => {
  ({ cp, ca } = await startTestControlPlane({ heartbeatMs: 100, statusIntervalMs: 100 }));
  key = await loadOrCreateGatewayKey(await dirs.make());
  cp.gateways.set(GW, { id: GW, publicKey: key.publicKeyRaw, name: 'gw', timezone: 'UTC' });
});
afterEach(async () => {
  for (const c of conns.splice(0)) await c.close();
  await cp.close();
  await dirs.cleanup();
});

describe('management connection', () => {
  it('dials with a signed upgrade, is welcomed, pushes status samples every statusIntervalMs', async () => {
    const c = connect();
    await waitUntil(() => c.connected, 5_000, 'welcome');
    expect(c.state).toBe('ready');
    expect(c.serverId).toBe(cp.serverId);
    expect(c.lastError).toBeNull();
    expect(cp.upgrades).toEqual([{ at: expect.any(Number), refused: null }]);
    await cp.waitFor(() => statuses().length >= 3, 5_000, 'three samples');
    expect(statuses()[0]!.sample.version).toBe('t');
  });

  it('answers a request through the command API, naming the gateway', async () => {
    const cmds = fakeCommands();
    const c = connect({ commands: cmds.api });
    await waitUntil(() => c.connected, 5_000, 'welcome');
    cp.send({ type: 'request', id: 'r1', method: 'volume.create', params: { name: 'v1', sizeBytes: 4096, mode: 'cached' }, deadline: deadline() });
    await cp.waitFor(() => replies('r1').length === 1, 5_000, 'reply');
    expect(replies('r1')[0]).toEqual({ type: 'reply', id: 'r1', gatewayId: GW, ok: true, result: { name: 'v1' } });
    expect(cmds.calls).toEqual([{ method: 'volume.create', params: { name: 'v1', sizeBytes: 4096, mode: 'cached' } }]);
    // Engine errors come back with the engine's code.
    cp.send({ type: 'request', id: 'r2', method: 'volume.delete', params: { name: 'nope' }, deadline: deadline() });
    await cp.waitFor(() => replies('r2').length === 1, 5_000, 'error reply');
    expect(replies('r2')[0]).toEqual({ type: 'reply', id: 'r2', gatewayId: GW, ok: false, error: { code: 'NOT_FOUND', message: 'no volume named nope on this gateway' } });
  });

  it('a repeated request id gets the first answer without running again; a concurrent duplicate waits for it', async () => {
    const cmds = fakeCommands();
    const c = connect({ commands: cmds.api });
    await waitUntil(() => c.connected, 5_000, 'welcome');
    cp.send({ type: 'request', id: 'dup', method: 'bandwidth.set', params: { bytesPerSec: 5 }, deadline: deadline() });
    await cp.waitFor(() => replies('dup').length === 1, 5_000, 'first reply');
    cp.send({ type: 'request', id: 'dup', method: 'bandwidth.set', params: { bytesPerSec: 999 }, deadline: deadline() });
    await cp.waitFor(() => replies('dup').length === 2, 5_000, 'second reply');
    expect(replies('dup')[1]).toEqual(replies('dup')[0]);
    expect(cmds.calls.filter((x) => x.method === 'bandwidth.set')).toHaveLength(1);

    // Concurrent: the second copy arrives while the first still runs.
    cp.send({ type: 'request', id: 'slow', method: 'volume.sync', params: { name: 'v' }, deadline: deadline() });
    cp.send({ type: 'request', id: 'slow', method: 'volume.sync', params: { name: 'v' }, deadline: deadline() });
    await new Promise((r) => setTimeout(r, 100));
    expect(replies('slow')).toHaveLength(0);
    cmds.release();
    await cp.waitFor(() => replies('slow').length === 2, 5_000, 'both replies');
    expect(cmds.calls.filter((x) => x.method === 'volume.sync')).toHaveLength(1);
  });

  it('a request retried after a reconnect is answered from the cache', async () => {
    const cmds = fakeCommands();
    const c = connect({ commands: cmds.api });
    await waitUntil(() => c.connected, 5_000, 'welcome');
    cp.send({ type: 'request', id: 'x1', method: 'volume.list', params: {}, deadline: deadline() });
    await cp.waitFor(() => replies('x1').length === 1, 5_000, 'reply');
    cp.sockets[0]!.terminate();
    await waitUntil(() => !c.connected, 5_000, 'drop');
    await waitUntil(() => c.connected, 5_000, 'reconnect');
    cp.send({ type: 'request', id: 'x1', method: 'volume.list', params: {}, deadline: deadline() });
    await cp.waitFor(() => replies('x1').length === 2, 5_000, 'cached reply');
    expect(cmds.calls.filter((x) => x.method === 'volume.list')).toHaveLength(1);
    expect(c.connections).toBe(2);
  });

  it('does not run a request past its deadline (TIMEOUT), nor a method outside the remote commands (NOT_SUPPORTED)', async () => {
    const cmds = fakeCommands();
    const c = connect({ commands: cmds.api });
    await waitUntil(() => c.connected, 5_000, 'welcome');
    cp.send({ type: 'request', id: 'late', method: 'bandwidth.set', params: { bytesPerSec: 1 }, deadline: Date.now() - 1 });
    cp.send({ type: 'request', id: 'rec', method: 'recover' as never, params: {}, deadline: deadline() });
    cp.send({ type: 'request', id: 'act', method: 'control.activate' as never, params: {}, deadline: deadline() });
    cp.send({ type: 'request', id: 'odd', method: 'toString' as never, params: {}, deadline: deadline() });
    await cp.waitFor(() => ['late', 'rec', 'act', 'odd'].every((id) => replies(id).length === 1), 5_000, 'replies');
    expect(replies('late')[0]).toMatchObject({ ok: false, gatewayId: GW, error: { code: 'TIMEOUT' } });
    for (const id of ['rec', 'act', 'odd']) expect(replies(id)[0]).toMatchObject({ ok: false, error: { code: 'NOT_SUPPORTED' } });
    expect(cmds.calls).toEqual([]);
  });

  it('keeps the alerts the control plane sends', async () => {
    const changes: string[] = [];
    const holder: { c?: ManagementConnection } = {};
    const c = connect({ onChange: () => void changes.push(holder.c?.state ?? 'starting') });
    holder.c = c;
    await waitUntil(() => c.connected, 5_000, 'welcome');
    const alert = { id: 'a1', rule: 'upload-buffer-high', severity: 'warning' as const, gatewayId: GW, volume: null, message: 'upload buffer 85% used', state: 'open' as const, openedAt: 'now', closedAt: null, value: 85 };
    cp.send({ type: 'alerts', alerts: [alert] });
    await waitUntil(() => c.alerts.length === 1, 5_000, 'alerts');
    expect(c.alerts[0]).toEqual(alert);
    cp.send({ type: 'alerts', alerts: [] });
    await waitUntil(() => c.alerts.length === 0, 5_000, 'alerts cleared');
    expect(changes).toContain('ready');
  });

  it('pings the server every heartbeat and declares it dead after 2.5 heartbeats of silence, then reconnects', async () => {
    const c = connect();
    await waitUntil(() => c.connected, 5_000, 'welcome');
    await cp.waitFor(() => cp.pings >= 2, 5_000, 'gateway pings');
    cp.silent = true;
    const silentAt = Date.now();
    await waitUntil(() => !c.connected, 5_000, 'death detected');
    const detectedAfter = Date.now() - silentAt;
    expect(detectedAfter).toBeGreaterThanOrEqual(200); // 2.5 × 100 ms, minus the last sign of life
    expect(detectedAfter).toBeLessThan(1_500);
    expect(c.lastError).toMatch(/silent for \d+ ms/);
    cp.silent = false;
    await waitUntil(() => c.connected, 5_000, 'reconnect');
    expect(c.connections).toBe(2);
  });

  it('gives up on a server that opens the socket but never welcomes', async () => {
    cp.sendWelcome = false;
    const c = connect();
    await cp.waitFor(() => cp.upgrades.length >= 2, 5_000, 'a second attempt');
    expect(c.connected).toBe(false);
    expect(c.lastError).toMatch(/did not welcome/);
  });

  it('retries refused upgrades with exponential backoff and full jitter, recording the code', async () => {
    cp.refuseUpgrade = { status: 404, code: 'GATEWAY_UNKNOWN', message: 'no such gateway' };
    // random() = 1 makes the jitter its ceiling: 20, 40, 80, 160, 200, 200 ms.
    const c = connect({}, { backoffBaseMs: 20, backoffMaxMs: 200 });
    await cp.waitFor(() => cp.upgrades.length >= 7, 10_000, 'seven attempts');
    expect(c.connected).toBe(false);
    expect(c.lastError).toMatch(/refused the management connection: no such gateway \(GATEWAY_UNKNOWN\)/);
    expect(c.lastError).toMatch(/deleted/);
    const at = cp.upgrades.map((u) => u.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    const expected = [20, 40, 80, 160, 200, 200];
    gaps.slice(0, 6).forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(expected[i]! - 5);
      expect(g).toBeLessThan(expected[i]! + 250);
    });
    cp.refuseUpgrade = null;
    await waitUntil(() => c.connected, 5_000, 'connect once allowed');
    expect(c.lastError).toBeNull();
  });

  it('draws the jitter between 0 and the ceiling', async () => {
    cp.refuseUpgrade = { status: 401, code: 'SIGNATURE_INVALID', message: 'bad' };
    connect({ random: () => 0 }, { backoffBaseMs: 1_000, backoffMaxMs: 1_000 });
    // random() = 0: no wait at all, despite a 1 s ceiling.
    await cp.waitFor(() => cp.upgrades.length >= 5, 2_000, 'five quick attempts');
  });

  it('resets the backoff after a connection that lived long enough', async () => {
    const c = connect({}, { backoffBaseMs: 100, backoffMaxMs: 10_000, backoffResetAfterMs: 150 });
    for (let i = 1; i <= 3; i++) {
      await waitUntil(() => c.connected && c.connections === i, 5_000, `connection ${i}`);
      await new Promise((r) => setTimeout(r, 200)); // lives past backoffResetAfterMs
      cp.sockets[0]!.terminate();
    }
    await waitUntil(() => c.connected && c.connections === 4, 5_000, 'connection 4');
    const accepted = cp.upgrades.filter((u) => u.refused === null).map((u) => u.at);
    // Every reconnect waited the first delay (100 ms), never 200 or 400.
    for (let i = 1; i < accepted.length; i++) expect(accepted[i]! - accepted[i - 1]!).toBeLessThan(200 + 100 + 150);
  });

  it('refuses a server whose certificate does not chain to the pinned CA', async () => {
    const other = await makeTestCa('impostor CA');
    const c = connect({ caPem: other.caPem });
    await waitUntil(() => c.lastError !== null, 5_000, 'error');
    expect(c.lastError).toMatch(/does not trust/);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.connected).toBe(false);
    expect(cp.upgrades).toEqual([]);
  });

  it('finds the control plane again after it restarts', async () => {
    const c = connect();
    await waitUntil(() => c.connected, 5_000, 'welcome');
    const port = Number(new URL(cp.url).port);
    await cp.stop();
    await waitUntil(() => !c.connected, 5_000, 'drop');
    await new Promise((r) => setTimeout(r, 300));
    expect(c.lastError).not.toBeNull();
    await cp.listen(port);
    await waitUntil(() => c.connected, 5_000, 'reconnect');
  });

  it('close() ends the connection cleanly (1001) and never reconnects', async () => {
    const c = connect();
    await waitUntil(() => c.connected, 5_000, 'welcome');
    const codes: number[] = [];
    cp.sockets[0]!.on('close', (code) => codes.push(code));
    await c.close();
    expect(c.state).toBe('closed');
    await cp.waitFor(() => codes.length === 1, 5_000, 'server sees the close');
    expect(codes).toEqual([1001]);
    await new Promise((r) => setTimeout(r, 300));
    expect(cp.upgrades).toHaveLength(1);
    await c.close(); // twice is fine
  });

  it('close() while backing off cancels the reconnect', async () => {
    cp.refuseUpgrade = { status: 404, code: 'GATEWAY_UNKNOWN', message: 'gone' };
    const c = connect({}, { backoffBaseMs: 300, backoffMaxMs: 300 });
    await waitUntil(() => c.state === 'backoff', 5_000, 'backoff');
    await c.close();
    const n = cp.upgrades.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(cp.upgrades.length).toBe(n);
  });
});
