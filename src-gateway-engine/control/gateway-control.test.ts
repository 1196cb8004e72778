import { chmod, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateEngineConfig, type EngineConfigInput } from '../config/index.js';
import { Engine } from '../engine.js';
import { ErrorCode } from '../errors/index.js';
import { createLogger } from '../log/index.js';
import { CoreTempDirs } from '../test/support/core-temp-dirs.js';
import { loadActivation } from './activation-store.js';
import type { GatewayMessage } from './control-wire.js';
import { gatewayKeyPath } from './gateway-key.js';
import { startTestControlPlane, type FakeControlPlane } from './test/fake-control-plane.js';
import { makeTestCa, type TestCa } from './test/test-tls.js';

const dirs = new CoreTempDirs('gateway-control');
let cp: FakeControlPlane;
let ca: TestCa;
let caFile: string;
const engines: Engine[] = [];
const quiet = createLogger({ sink: { write: () => undefined } });

beforeEach(async () => {
  ({ cp, ca } = await startTestControlPlane({ heartbeatMs: 100, statusIntervalMs: 100 }));
  caFile = join(await dirs.make(), 'ca.crt');
  await writeFile(caFile, ca.caPem);
});
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
  await cp.close();
  await dirs.cleanup();
});

async function startEngine(dataDir: string, control: EngineConfigInput['control'] = { embeddedUrl: cp.url, embeddedCaFile: caFile }): Promise<Engine> {
  const config = validateEngineConfig({
    gatewayId: 'gw-local-1',
    dataDir,
    nbd: null,
    iscsi: null,
    metrics: '127.0.0.1:0',
    cache: { capacityBytes: '16MiB' },
    writeLog: { capacityBytes: '16MiB', segmentBytes: '4MiB' },
    control: { heartbeatMs: 100, statusIntervalMs: 100, claimPollMs: 50, reconnectBaseMs: 20, reconnectMaxMs: 200, requestTimeoutMs: 3_000, ...control },
  });
  const engine = await Engine.start(config, quiet, { random: () => 1 });
  engines.push(engine);
  return engine;
}

function get(address: string, path: string): Promise<{ status: number; type: string; body: string }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    request({ host, port: Number(port), path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    })
      .on('error', reject)
      .end();
  });
}

const replies = (id: string) => cp.repliesTo(id);

describe('gateway control in the engine', () => {
  it('activates with the embedded control plane, connects, answers requests and pushes samples', async () => {
    const dataDir = await dirs.make();
    const engine = await startEngine(dataDir);
    const before = await engine.commands.status({});
    expect(before).toMatchObject({ activated: false, controlPlaneConnected: false, controlPlane: { embeddedControlPlaneUrl: cp.url, activation: null } });
    expect(before.IoWaitPercent).toBeGreaterThanOrEqual(0);
    const metrics = engine.addresses.metrics!;
    expect((await get(metrics, '/activation')).body).toContain('not activated');

    const pending = await engine.commands['control.activate']({});
    expect(pending.controlPlaneUrl).toBe(cp.url);
    expect((await engine.commands['control.status']({})).activation).toEqual(pending);
    // The headless page shows the key, its expiry and the control plane; no secrets.
    const page = await get(metrics, '/activation');
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.body).toContain(pending.activationKey);
    expect(page.body).toContain(cp.url);
    expect(page.body).not.toContain('BEGIN');
    const json = JSON.parse((await get(metrics, '/activation.json')).body) as Record<string, unknown>;
    expect(json).toMatchObject({ state: 'pending', activationKey: pending.activationKey, expiresAt: pending.expiresAt, controlPlaneUrl: cp.url });
    // The register carried the gateway's metadata.
    expect([...cp.keys.values()][0]!.metadata).toMatchObject({ version: '0.1.0', localGatewayId: 'gw-local-1', capacityBytes: expect.any(Number) });

    const gatewayId = cp.submit(pending.activationKey, 'front-office', 'Europe/Paris');
    await waitFor(async () => (await engine.commands.status({})).controlPlaneConnected, 'connected');
    const s = await engine.commands.status({});
    expect(s).toMatchObject({ activated: true, controlPlaneConnected: true, controlPlane: { gatewayId, name: 'front-office', timezone: 'Europe/Paris', serverId: cp.serverId, activation: null, lastError: null } });
    expect(JSON.parse((await get(metrics, '/activation.json')).body)).toMatchObject({ state: 'activated', name: 'front-office', connected: true });
    expect((await get(metrics, '/activation')).body).toContain('Activated as <b>front-office</b>');

    // Requests run through the real command API.
    cp.send({ type: 'request', id: 'q1', method: 'status', params: {}, deadline: Date.now() + 10_000 });
    cp.send({ type: 'request', id: 'q2', method: 'logs.recent', params: { level: 'info', limit: 50 }, deadline: Date.now() + 10_000 });
    cp.send({ type: 'request', id: 'q3', method: 'volume.delete', params: { name: 'nope' }, deadline: Date.now() + 10_000 });
    await cp.waitFor(() => ['q1', 'q2', 'q3'].every((id) => replies(id).length === 1), 5_000, 'replies');
    expect(replies('q1')[0]).toMatchObject({ ok: true, gatewayId, result: { gatewayId: 'gw-local-1', activated: true } });
    const lines = (replies('q2')[0] as { result: Array<{ msg: string }> }).result;
    expect(lines.map((l) => l.msg)).toContain('gateway activated');
    expect(replies('q3')[0]).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    const samples = () => cp.received.filter((m): m is Extract<GatewayMessage, { type: 'status' }> => m.type === 'status');
    await cp.waitFor(() => samples().length >= 2, 5_000, 'samples');
    expect(samples()[0]!.sample).toMatchObject({ version: '0.1.0', IoWaitPercent: expect.any(Number), volumes: [], cache: { capacityBytes: 16 * 1024 * 1024 } });
  });

  it('connects from the stored credentials after a restart, and closes the connection first on shutdown', async () => {
    const dataDir = await dirs.make();
    let engine = await startEngine(dataDir);
    const { activationKey } = await engine.commands['control.activate']({});
    cp.submit(activationKey);
    await waitFor(async () => (await engine.commands['control.status']({})).connected, 'connected');
    const codes: number[] = [];
    cp.sockets[0]!.on('close', (code) => codes.push(code));
    await engine.close();
    engines.splice(engines.indexOf(engine), 1);
    expect(codes).toEqual([1001]);

    engine = await startEngine(dataDir);
    await waitFor(async () => (await engine.commands['control.status']({})).connected, 'reconnected');
    expect((await engine.commands['control.status']({})).gatewayId).toBe((await loadActivation(dataDir))!.gatewayId);
  });

  it('keeps polling a pending activation across a restart', async () => {
    const dataDir = await dirs.make();
    let engine = await startEngine(dataDir);
    const { activationKey } = await engine.commands['control.activate']({});
    await engine.close();
    engines.splice(engines.indexOf(engine), 1);
    engine = await startEngine(dataDir);
    expect((await engine.commands['control.status']({})).activation?.activationKey).toBe(activationKey);
    cp.submit(activationKey);
    await waitFor(async () => (await engine.commands['control.status']({})).connected, 'connected');
  });

  it('trusts a non-embedded control plane on first use, or the CA it is given; refuses a wrong CA', async () => {
    const engine = await startEngine(await dirs.make(), { embeddedUrl: null, embeddedCaFile: null });
    await expect(engine.commands['control.activate']({})).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, message: expect.stringContaining('--control-plane') });
    const other = await makeTestCa('not it');
    await expect(engine.commands['control.activate']({ controlPlaneUrl: cp.url, caCertPem: other.caPem })).rejects.toMatchObject({ code: ErrorCode.ControlPlaneUntrusted });
    expect((await engine.commands['control.status']({})).lastError).toMatch(/does not trust/);
    await expect(engine.commands['control.activate']({ controlPlaneUrl: cp.url, caCertPem: 'garbage' })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    const tofu = await engine.commands['control.activate']({ controlPlaneUrl: cp.url });
    expect(tofu.controlPlaneUrl).toBe(cp.url);
    const given = await engine.commands['control.activate']({ controlPlaneUrl: cp.url, caCertPem: ca.caPem });
    // Re-activation replaced the pending key.
    expect((await engine.commands['control.status']({})).activation?.activationKey).toBe(given.activationKey);
    cp.submit(given.activationKey);
    await waitFor(async () => (await engine.commands['control.status']({})).connected, 'connected');
  });

  it('trusts on first use a server that sends only its own certificate, then pins the CA from the claim', async () => {
    const { cp: leafOnly, ca: leafCa } = await startTestControlPlane({ leafOnly: true, heartbeatMs: 100, statusIntervalMs: 100 });
    try {
      const dataDir = await dirs.make();
      const engine = await startEngine(dataDir, { embeddedUrl: null, embeddedCaFile: null });
      const { activationKey } = await engine.commands['control.activate']({ controlPlaneUrl: leafOnly.url });
      leafOnly.submit(activationKey);
      await waitFor(async () => (await engine.commands['control.status']({})).connected, 'connected');
      expect((await loadActivation(dataDir))!.caCertPem.trim()).toBe(leafCa.caPem.trim());
      await engine.close();
      engines.splice(engines.indexOf(engine), 1);
    } finally {
      await leafOnly.close();
    }
  });

  it('serves, and reports, when the stored key is no longer private', async () => {
    const dataDir = await dirs.make();
    let engine = await startEngine(dataDir);
    const { activationKey } = await engine.commands['control.activate']({});
    cp.submit(activationKey);
    await waitFor(async () => (await engine.commands['control.status']({})).connected, 'connected');
    await engine.close();
    engines.splice(engines.indexOf(engine), 1);
    await chmod(gatewayKeyPath(dataDir), 0o644);
    engine = await startEngine(dataDir);
    const s = await engine.commands['control.status']({});
    expect(s).toMatchObject({ activated: true, connected: false });
    expect(s.lastError).toMatch(/readable by others/);
  });

  it('logs.recent returns the newest lines, filtered, and checks its parameters', async () => {
    const engine = await startEngine(await dirs.make());
    const all = await engine.commands['logs.recent']({});
    expect(all.map((l) => l.msg)).toContain('engine started');
    const first = all[0]!;
    expect(first).toEqual({ seq: expect.any(Number), ts: expect.any(Number), level: 'info', msg: expect.any(String), fields: expect.any(Object) });
    expect(await engine.commands['logs.recent']({ level: 'error' })).toEqual([]);
    expect(await engine.commands['logs.recent']({ afterSeq: all[all.length - 1]!.seq })).toEqual([]);
    expect(await engine.commands['logs.recent']({ limit: 1 })).toHaveLength(1);
    await expect(engine.commands['logs.recent']({ limit: 0 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(engine.commands['logs.recent']({ level: 'loud' as never })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });
});

async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
