/**
 * One real control-plane server (embedded state, https on 127.0.0.1, real WebSockets) and a
 * test gateway written from the spec: register → admin submit → claim → connect →
 * request/reply → disconnect → offline; refused upgrades; heartbeats; status and alerts.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listGateways, startControlPlane, validateControlPlaneConfig, silentControlPlaneLogger, type RunningControlPlane } from '../index.js';
import { newTestGatewayKey } from './support/test-gateway-key.js';
import { adminCall, eventually, httpsJson, TestGateway, type HttpAnswer } from './support/test-gateway-client.js';
import { testStatusSample } from './support/test-status-sample.js';

const HEARTBEAT_MS = 200;
let dir: string;
let cp: RunningControlPlane;
let token: string;

async function start(): Promise<RunningControlPlane> {
  const config = validateControlPlaneConfig({ dataDir: join(dir, 'control-plane'), listen: '127.0.0.1:0', serverId: 'cp-one', heartbeatMs: HEARTBEAT_MS, statusIntervalMs: 1000 });
  return startControlPlane(config, { logger: silentControlPlaneLogger });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-cp-server-'));
  cp = await start();
  token = (await readFile(cp.adminTokenFile!, 'utf8')).trim();
}, 30_000);

afterAll(async () => {
  await cp?.close();
  await rm(dir, { recursive: true, force: true });
});

function admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
  return adminCall(cp.url, cp.caCertPem, token, method, path, body);
}

/** A gateway through the four activation steps, not yet connected. */
async function activatedGateway(name = 'office'): Promise<TestGateway> {
  const gw = new TestGateway(cp.url, cp.caCertPem);
  const activationKey = await gw.register();
  const pending = await gw.claim(activationKey);
  expect(pending.status).toBe(202);
  const submitted = await admin('POST', '/v1/gateways', { activationKey, name, timezone: 'Europe/Paris' });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
  const claimed = await gw.claim(activationKey);
  expect(claimed.status).toBe(200);
  return gw;
}

describe('an embedded control plane over https', () => {
  it('makes its TLS material and the local account on first start', async () => {
    expect(cp.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cp.serverId).toBe('cp-one');
    expect(cp.caFile).toBe(join(dir, 'control-plane', 'tls', 'ca.crt'));
    expect(new X509Certificate(cp.caCertPem).ca).toBe(true);
    expect(cp.adminTokenFile).toBe(join(dir, 'control-plane', 'admin-token'));
    expect((await stat(cp.adminTokenFile!)).mode & 0o777).toBe(0o600);
    expect(token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    const health = await httpsJson(`${cp.url}/healthz`, cp.caCertPem);
    expect(health).toMatchObject({ status: 200, body: { ok: true, serverId: 'cp-one', connections: 0, state: 'embedded' } });
  });

  it('runs activation, the management connection, a command, and reports offline after the disconnect', { timeout: 30_000 }, async () => {
    const gw = await activatedGateway('office-1');
    const conn = await gw.connect();
    const welcome = await conn.welcome;
    expect(welcome).toEqual({ type: 'welcome', protocol: 1, serverId: 'cp-one', gatewayId: gw.gatewayId, heartbeatMs: HEARTBEAT_MS, statusIntervalMs: 1000 });
    await eventually(() => conn.received.some((m) => m.type === 'alerts'), 5_000, 'alerts after welcome');
    expect(conn.received.find((m) => m.type === 'alerts')).toEqual({ type: 'alerts', alerts: [] });
    const holder = await eventually(() => cp.state.registry.get(gw.gatewayId!), 5_000, 'registry entry');
    expect(holder.serverId).toBe('cp-one');

    const listed = await listGateways({ url: cp.url, token, caCertPem: cp.caCertPem });
    expect(listed.find((g) => g.id === gw.gatewayId)).toMatchObject({ name: 'office-1', online: true, serverId: 'cp-one', version: '0.1.0', host: 'test-host' });
    expect((await httpsJson(`${cp.url}/healthz`, cp.caCertPem)).body).toMatchObject({ connections: 1 });

    const res = await admin('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'volume.list', params: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ result: { method: 'volume.list', params: {} }, servedBy: 'cp-one' });
    const request = conn.received.find((m) => m.type === 'request');
    expect(request).toMatchObject({ type: 'request', method: 'volume.list', params: {} });
    expect((request as { id: string }).id).toMatch(/^[0-9a-f-]{36}$/);
    expect((request as { deadline: number }).deadline).toBeGreaterThan(Date.now());

    await conn.close();
    await eventually(async () => (await cp.state.registry.get(gw.gatewayId!)) === null, 5_000, 'registry entry removed');
    const started = Date.now();
    const offline = await admin('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'status', timeoutMs: 1000 });
    const took = Date.now() - started;
    expect(offline.status).toBe(503);
    expect(offline.body).toMatchObject({ error: { code: 'GATEWAY_OFFLINE' } });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(2500);
  });

  it('maps engine errors to GATEWAY_ERROR with engineCode, and a silent gateway to GATEWAY_TIMEOUT', { timeout: 30_000 }, async () => {
    const gw = await activatedGateway('office-2');
    gw.answer = (req, gatewayId) => (req.method === 'volume.delete' ? { gatewayId, ok: false, error: { code: 'NOT_FOUND', message: 'no volume "v"' } } : null);
    const conn = await gw.connect();
    await conn.welcome;
    await eventually(() => cp.state.registry.get(gw.gatewayId!));
    const failed = await admin('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'volume.delete', params: { name: 'v' } });
    expect(failed).toMatchObject({ status: 422, body: { error: { code: 'GATEWAY_ERROR', engineCode: 'NOT_FOUND', message: 'no volume "v"' } } });
    const silent = await admin('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'status', timeoutMs: 500 });
    expect(silent).toMatchObject({ status: 504, body: { error: { code: 'GATEWAY_TIMEOUT' } } });
    await conn.close();
  });

  it('rejects a reply that names another gateway', { timeout: 30_000 }, async () => {
    const gw = await activatedGateway('office-3');
    gw.answer = () => ({ gatewayId: 'gw-someone-else', ok: true, result: 'forged' });
    const conn = await gw.connect();
    await conn.welcome;
    await eventually(() => cp.state.registry.get(gw.gatewayId!));
    const res = await admin('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'status', timeoutMs: 600 });
    expect(res).toMatchObject({ status: 504, body: { error: { code: 'GATEWAY_TIMEOUT' } } });
    await conn.close();
  });

  it('refuses upgrades with the spec error body: unsigned, unknown gateway, bad signature, replayed nonce, old timestamp', { timeout: 30_000 }, async () => {
    const gw = await activatedGateway('office-4');
    const id = gw.gatewayId!;
    expect(await gw.refusedConnect({})).toMatchObject({ status: 401, body: { error: { code: 'SIGNATURE_MISSING' } } });
    const stranger = newTestGatewayKey();
    expect(await gw.refusedConnect(stranger.sign('GET', '/v1/connect', '', { gatewayId: 'gw-unknown' }))).toMatchObject({ status: 404, body: { error: { code: 'GATEWAY_UNKNOWN' } } });
    expect(await gw.refusedConnect(stranger.sign('GET', '/v1/connect', '', { gatewayId: id }))).toMatchObject({ status: 401, body: { error: { code: 'SIGNATURE_INVALID' } } });
    expect(await gw.refusedConnect(gw.key.sign('GET', '/v1/connect', '', { gatewayId: id }, { timestamp: Date.now() - 6 * 60_000 }))).toMatchObject({ status: 401, body: { error: { code: 'REQUEST_EXPIRED' } } });
    const once = gw.key.sign('GET', '/v1/connect', '', { gatewayId: id });
    const first = await gw.connect({ headers: once });
    await first.welcome;
    expect(await gw.refusedConnect(once)).toMatchObject({ status: 401, body: { error: { code: 'NONCE_REPLAYED' } } });
    await first.close();
  });

  it('a new connection of the same gateway replaces the old one', { timeout: 30_000 }, async () => {
    const gw = await activatedGateway('office-5');
    const first = await gw.connect();
    await first.welcome;
    const second = await gw.connect();
    await second.welcome;
    expect(await first.closed).toBe(4000);
    const holder = await eventually(async () => {
      const h = await cp.state.registry.get(gw.gatewayId!);
      return h && (await new Promise((r) => setTimeout(r, 100)).then(() => h));
    });
    // The registry names the second connection: commands reach it.
    expect(holder.serverId).toBe('cp-one');
    const res = await admin('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'status', timeoutMs: 2000 });
    expect(res.status).toBe(200);
    expect(second.received.some((m) => m.type === 'request')).toBe(true);
    await second.close();
  });

  it('drops a gateway silent for 2.5 heartbeats and removes its registry entry', { timeout: 30_000 }, async () => {
    const gw = await activatedGateway('office-6');
    const conn = await gw.connect({ autoPong: false });
    await conn.welcome;
    await eventually(() => cp.state.registry.get(gw.gatewayId!));
    const started = Date.now();
    const code = await conn.closed;
    const took = Date.now() - started;
    expect(code).toBe(1006); // terminated, no closing handshake
    expect(took).toBeGreaterThanOrEqual(2.5 * HEARTBEAT_MS - 50);
    expect(took).toBeLessThan(10 * HEARTBEAT_MS);
    await eventually(async () => (await cp.state.registry.get(gw.gatewayId!)) === null, 5_000, 'registry entry removed');
  });

  it('keeps pushed status samples, touches lastSeenAt, and pushes alerts when the monitor opens one', { timeout: 30_000 }, async () => {
    const gw = await activatedGateway('office-7');
    const conn = await gw.connect();
    await conn.welcome;
    await eventually(() => cp.state.registry.get(gw.gatewayId!));
    const sample = testStatusSample(new Date());
    sample.uploadBuffer.UploadBufferPercentUsed = 95;
    const alerted = conn.nextAlerts((alerts) => alerts.some((a) => a.rule === 'upload-buffer-high'));
    conn.send({ type: 'status', sample });
    const alerts = await alerted;
    expect(alerts.find((a) => a.rule === 'upload-buffer-high')).toMatchObject({ gatewayId: gw.gatewayId, state: 'open', severity: 'warning' });
    expect(await cp.state.samples.latest(gw.gatewayId!)).toEqual(sample);
    const detail = await admin('GET', `/v1/gateways/${gw.gatewayId}`);
    expect(detail.body).toMatchObject({ online: true, latestStatus: { at: sample.at } });
    expect((detail.body as { lastSeenAt: string | null }).lastSeenAt).not.toBeNull();
    const listed = await admin('GET', `/v1/alerts?gatewayId=${gw.gatewayId}`);
    expect((listed.body as { alerts: Array<{ rule: string }> }).alerts.map((a) => a.rule)).toContain('upload-buffer-high');
    // The alert closes when the buffer drains; the gateway hears it.
    const cleared = conn.nextAlerts((list) => !list.some((a) => a.rule === 'upload-buffer-high'));
    conn.send({ type: 'status', sample: { ...testStatusSample(new Date(Date.now() + 60_000)) } });
    await cleared;
    await conn.close();
  });

  it('reuses its CA and admin token after a restart', { timeout: 30_000 }, async () => {
    const before = { ca: cp.caCertPem, token };
    await cp.close();
    cp = await start();
    expect(cp.caCertPem).toBe(before.ca);
    expect((await readFile(cp.adminTokenFile!, 'utf8')).trim()).toBe(before.token);
    const res = await admin('GET', '/v1/gateways');
    expect(res.status).toBe(200);
    expect((res.body as { gateways: Array<{ online: boolean }> }).gateways.every((g) => !g.online)).toBe(true);
  });
});
