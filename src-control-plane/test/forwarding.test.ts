/**
 * Two control-plane servers sharing one real Redis and one TLS folder, a test gateway on one
 * of them, commands sent to the other (docs/control-plane.md § Forwarding).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, startControlPlane, validateControlPlaneConfig, silentControlPlaneLogger, type RunningControlPlane } from '../index.js';
import { redisServerSkipReason, startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { adminCall, eventually, TestGateway, type HttpAnswer } from './support/test-gateway-client.js';

const skipReason = redisServerSkipReason();
const HEARTBEAT_MS = 200;

describe.skipIf(skipReason !== undefined)(`forwarding between two servers sharing Redis${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let redis: RedisServerHandle;
  let dir: string;
  let a: RunningControlPlane;
  let b: RunningControlPlane;
  let token: string;

  const start = (serverId: string): Promise<RunningControlPlane> =>
    startControlPlane(validateControlPlaneConfig({ dataDir: dir, redisUrl: redis.url, listen: '127.0.0.1:0', serverId, heartbeatMs: HEARTBEAT_MS }), { logger: silentControlPlaneLogger });

  beforeAll(async () => {
    redis = await startRedisServer();
    dir = await mkdtemp(join(tmpdir(), 'tg-cp-fwd-'));
    // Both first-start at once on one TLS folder: they must end with the same CA.
    [a, b] = await Promise.all([start('cp-a'), start('cp-b')]);
    ({ token } = await createAccount({ dataDir: dir, redisUrl: redis.url }, 'provider'));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const onB = (method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> => adminCall(b.url, b.caCertPem, token, method, path, body);

  /** Activation split over both servers: register and claim on A, submit on B. */
  async function activatedOnA(name: string): Promise<TestGateway> {
    const gw = new TestGateway(a.url, a.caCertPem);
    const activationKey = await gw.register();
    expect((await onB('POST', '/v1/gateways', { activationKey, name, timezone: 'UTC' })).status).toBe(201);
    expect((await gw.claim(activationKey)).status).toBe(200);
    return gw;
  }

  it('the servers share one CA and see each other in the registry', async () => {
    expect(a.caCertPem).toBe(b.caCertPem);
    expect(a.state.kind).toBe('redis');
    expect(a.adminTokenFile).toBeNull();
  });

  it('a command sent to the server that does not hold the gateway is forwarded to the holder, once', { timeout: 30_000 }, async () => {
    const gw = await activatedOnA('fwd-1');
    const conn = await gw.connect();
    await conn.welcome;
    expect(await eventually(() => b.state.registry.get(gw.gatewayId!))).toMatchObject({ serverId: 'cp-a' });
    const listed = await onB('GET', '/v1/gateways');
    expect((listed.body as { gateways: Array<{ id: string; online: boolean; serverId: string }> }).gateways.find((g) => g.id === gw.gatewayId)).toMatchObject({ online: true, serverId: 'cp-a' });

    const res = await onB('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'volume.list', params: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ result: { method: 'volume.list', params: {} }, servedBy: 'cp-a' });
    expect(conn.received.filter((m) => m.type === 'request')).toHaveLength(1);
    await conn.close();
  });

  it('a slow gateway still gets the request once although the sender retries', { timeout: 30_000 }, async () => {
    const gw = await activatedOnA('fwd-slow');
    const answer = gw.answer;
    gw.answer = () => null;
    const conn = await gw.connect();
    await conn.welcome;
    await eventually(() => b.state.registry.get(gw.gatewayId!));
    const pending = onB('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'status', timeoutMs: 5000 });
    const request = await eventually(() => conn.received.find((m) => m.type === 'request'));
    await new Promise((r) => setTimeout(r, 1200)); // several retry intervals
    conn.send({ type: 'reply', id: (request as { id: string }).id, gatewayId: gw.gatewayId!, ok: true, result: 'late but fine' });
    expect((await pending).body).toEqual({ result: 'late but fine', servedBy: 'cp-a' });
    expect(conn.received.filter((m) => m.type === 'request')).toHaveLength(1);
    gw.answer = answer;
    await conn.close();
  });

  it('engine errors come back through the holder as GATEWAY_ERROR with engineCode', { timeout: 30_000 }, async () => {
    const gw = await activatedOnA('fwd-2');
    gw.answer = (_req, gatewayId) => ({ gatewayId, ok: false, error: { code: 'NO_SPACE', message: 'cache disk full' } });
    const conn = await gw.connect();
    await conn.welcome;
    await eventually(() => b.state.registry.get(gw.gatewayId!));
    const res = await onB('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'volume.create', params: { name: 'v', sizeBytes: 1 } });
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'GATEWAY_ERROR', engineCode: 'NO_SPACE', message: 'cache disk full' } } });
    await conn.close();
  });

  it('a reply naming another gateway is rejected: the forwarded request times out', { timeout: 30_000 }, async () => {
    const gw = await activatedOnA('fwd-3');
    gw.answer = () => ({ gatewayId: 'gw-forged', ok: true, result: 'forged' });
    const conn = await gw.connect();
    await conn.welcome;
    await eventually(() => b.state.registry.get(gw.gatewayId!));
    const res = await onB('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'status', timeoutMs: 800 });
    expect(res).toMatchObject({ status: 504, body: { error: { code: 'GATEWAY_TIMEOUT' } } });
    await conn.close();
  });

  it('GATEWAY_OFFLINE within the deadline when no server holds the gateway', { timeout: 30_000 }, async () => {
    const gw = await activatedOnA('fwd-4');
    const started = Date.now();
    const res = await onB('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'status', timeoutMs: 1000 });
    const took = Date.now() - started;
    expect(res).toMatchObject({ status: 503, body: { error: { code: 'GATEWAY_OFFLINE' } } });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(2500);
  });

  it('a gateway that connects while the request waits is found again', { timeout: 30_000 }, async () => {
    const gw = await activatedOnA('fwd-5');
    const pending = onB('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'status', timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 700));
    const conn = await gw.connect();
    const res = await pending;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ servedBy: 'cp-a' });
    await conn.close();
  });

  it('heartbeat timeout removes the Redis registry entry', { timeout: 30_000 }, async () => {
    const gw = await activatedOnA('fwd-6');
    const conn = await gw.connect({ autoPong: false });
    await conn.welcome;
    await eventually(() => b.state.registry.get(gw.gatewayId!));
    expect(await conn.closed).toBe(1006);
    await eventually(async () => (await b.state.registry.get(gw.gatewayId!)) === null, 5_000, 'registry entry removed');
  });

  it('when the holder stops, the gateway reconnects to the other server and commands follow it', { timeout: 30_000 }, async () => {
    const gw = await activatedOnA('fwd-7');
    const first = await gw.connect();
    await first.welcome;
    await eventually(() => b.state.registry.get(gw.gatewayId!));
    await a.close();
    expect(await first.closed).toBe(1001);
    expect(await b.state.registry.get(gw.gatewayId!)).toBeNull();
    const second = await gw.useServer(b.url).connect();
    await second.welcome;
    const res = await onB('POST', `/v1/gateways/${gw.gatewayId}/commands`, { method: 'status' });
    expect(res.body).toMatchObject({ servedBy: 'cp-b' });
    await second.close();
    a = await start('cp-a');
  });
});
