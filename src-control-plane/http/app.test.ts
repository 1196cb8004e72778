/**
 * The HTTP API through `inject()`: every route, and every error code the spec gives it.
 * Embedded state in a temp folder; commands go to a scripted CommandSender (forwarding has its
 * own tests); the clock is the test's, so expiry needs no waiting.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateControlPlaneConfig, type ControlPlaneConfigInput } from '../config/control-plane-config.js';
import { ControlError } from '../errors/control-error.js';
import { silentControlPlaneLogger } from '../log/control-plane-logger.js';
import { openEmbeddedState, type ControlPlaneState } from '../state/index.js';
import { newTestGatewayKey, testGatewayMetadata, type TestGatewayKey } from '../test/support/test-gateway-key.js';
import { testStatusSample } from '../test/support/test-status-sample.js';
import type { CommandRequest, CommandSender } from './app-context.js';
import { buildControlPlaneApp } from './app.js';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n';

interface Harness {
  app: FastifyInstance;
  state: ControlPlaneState;
  clock: { now: number };
  commands: CommandRequest[];
  reply: { next: (r: CommandRequest) => Promise<{ result: unknown; servedBy: string }> };
  token: string;
  accountId: string;
  otherToken: string;
}

let dir: string;
let h: Harness;

async function harness(configOverrides: Partial<ControlPlaneConfigInput> = {}, wrapState?: (s: ControlPlaneState) => ControlPlaneState): Promise<Harness> {
  const realState = await openEmbeddedState(join(dir, `state-${Math.random().toString(36).slice(2)}`), { onError: () => undefined });
  const state = wrapState ? wrapState(realState) : realState;
  const clock = { now: Date.now() };
  const commands: CommandRequest[] = [];
  const reply: Harness['reply'] = { next: async () => ({ result: { ok: true }, servedBy: 'cp-test' }) };
  const sender: CommandSender = {
    send: (r) => {
      commands.push(r);
      return reply.next(r);
    },
  };
  const config = validateControlPlaneConfig({ dataDir: dir, serverId: 'cp-test', ...configOverrides });
  const app = await buildControlPlaneApp({ config, state, logger: silentControlPlaneLogger, caCertPem: CA_PEM, commands: sender, connections: { count: () => 7 }, clock: () => clock.now });
  const { account, token } = await realState.accounts.create('acme');
  const other = await realState.accounts.create('globex');
  return { app, state: realState, clock, commands, reply, token, accountId: account.id, otherToken: other.token };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-cp-app-'));
  h = await harness();
});
afterEach(async () => {
  await h.app.close();
  await h.state.close();
  await rm(dir, { recursive: true, force: true });
});

function errorOf(res: LightMyRequestResponse): { code: string; message: string; engineCode?: string } {
  return (res.json() as { error: { code: string; message: string; engineCode?: string } }).error;
}

function expectError(res: LightMyRequestResponse, status: number, code: string): void {
  expect({ status: res.statusCode, code: errorOf(res).code }, res.body).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/application\/json/);
}

async function signedPost(app: FastifyInstance, key: TestGatewayKey, url: string, body: unknown, overrides?: { timestamp?: number; nonce?: string }): Promise<LightMyRequestResponse> {
  const payload = JSON.stringify(body);
  return app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...key.sign('POST', url, payload, { key: true }, overrides) } });
}

async function register(key: TestGatewayKey, harnessToUse = h): Promise<{ activationKey: string; expiresAt: string }> {
  const res = await signedPost(harnessToUse.app, key, '/v1/activation/register', { publicKey: key.publicKey, metadata: testGatewayMetadata() }, { timestamp: harnessToUse.clock.now });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

function admin(method: 'GET' | 'POST', url: string, token: string | null, body?: unknown, ip?: string) {
  return h.app.inject({
    method,
    url,
    ...(ip ? { remoteAddress: ip } : {}),
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

async function activate(name = 'office-1', token = h.token): Promise<{ key: TestGatewayKey; gatewayId: string; activationKey: string }> {
  const key = newTestGatewayKey();
  const { activationKey } = await register(key);
  const res = await admin('POST', '/v1/gateways', token, { activationKey, name, timezone: 'Europe/Paris' });
  expect(res.statusCode, res.body).toBe(201);
  return { key, gatewayId: (res.json() as { id: string }).id, activationKey };
}

describe('server routes', () => {
  it('GET /healthz answers without authentication', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, serverId: 'cp-test', connections: 7, state: 'embedded' });
  });

  it('an unknown route is NOT_FOUND with the error body', async () => {
    expectError(await h.app.inject({ method: 'GET', url: '/v1/nothing' }), 404, 'NOT_FOUND');
  });

  it('a body that is not JSON is INVALID_ARGUMENT', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/gateways', payload: 'activationKey=x', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'text/plain' } });
    expectError(res, 400, 'INVALID_ARGUMENT');
  });

  it('a plain GET /v1/connect (no upgrade) is INVALID_ARGUMENT', async () => {
    expectError(await h.app.inject({ method: 'GET', url: '/v1/connect' }), 400, 'INVALID_ARGUMENT');
  });

  it('GET /v1/openapi.json describes every route with its schemas and security', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { security?: unknown; requestBody?: unknown; parameters?: Array<{ name: string; in: string }>; responses: Record<string, unknown> }>>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    expect(operations).toEqual(
      [
        'GET /healthz',
        'GET /v1/openapi.json',
        'POST /v1/activation/register',
        'POST /v1/activation/claim',
        'GET /v1/connect',
        'POST /v1/gateways',
        'GET /v1/gateways',
        'GET /v1/gateways/{id}',
        'GET /v1/gateways/{id}/status',
        'POST /v1/gateways/{id}/commands',
        'GET /v1/alerts',
      ].sort(),
    );
    expect(doc.paths['/v1/gateways']!.post!.security).toEqual([{ adminToken: [] }]);
    expect(doc.paths['/v1/activation/register']!.post!.security).toEqual([{ gatewayKeySignature: [] }]);
    expect(doc.paths['/v1/gateways/{id}/commands']!.post!.requestBody).toBeDefined();
    expect(doc.paths['/v1/gateways/{id}/status']!.get!.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id', 'query:from', 'query:to']);
    expect(doc.paths['/v1/gateways']!.get!.responses['4XX']).toEqual({ description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/ControlErrorBody' } } } });
    expect(Object.keys(doc.components.schemas).sort()).toEqual(['AlertRecord', 'ControlErrorBody', 'Gateway', 'GatewayDetail', 'GatewayMetadata', 'StatusSample']);
  });
});

describe('POST /v1/activation/register', () => {
  it('issues a formatted, expiring activation key', async () => {
    const key = newTestGatewayKey();
    const body = await register(key);
    expect(body.activationKey).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(Date.parse(body.expiresAt) - h.clock.now).toBe(30 * 60_000);
    const stored = await h.state.activationKeys.get(body.activationKey.replace(/-/g, ''));
    expect(stored).toMatchObject({ publicKey: key.publicKey, gatewayId: null });
  });

  it('refuses an unsigned request: SIGNATURE_MISSING', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/activation/register', payload: { publicKey: 'x', metadata: testGatewayMetadata() } });
    expectError(res, 401, 'SIGNATURE_MISSING');
  });

  it('refuses a signature over other bytes: SIGNATURE_INVALID', async () => {
    const key = newTestGatewayKey();
    const signedBody = JSON.stringify({ publicKey: key.publicKey, metadata: testGatewayMetadata('a') });
    const sentBody = JSON.stringify({ publicKey: key.publicKey, metadata: testGatewayMetadata('b') });
    const res = await h.app.inject({ method: 'POST', url: '/v1/activation/register', payload: sentBody, headers: { 'content-type': 'application/json', ...key.sign('POST', '/v1/activation/register', signedBody, { key: true }) } });
    expectError(res, 401, 'SIGNATURE_INVALID');
  });

  it('refuses a signature by another key: SIGNATURE_INVALID', async () => {
    const key = newTestGatewayKey();
    const impostor = newTestGatewayKey();
    const payload = JSON.stringify({ publicKey: key.publicKey, metadata: testGatewayMetadata() });
    const headers = { ...impostor.sign('POST', '/v1/activation/register', payload, { key: true }), 'x-tidegate-key': key.publicKey };
    expectError(await h.app.inject({ method: 'POST', url: '/v1/activation/register', payload, headers: { 'content-type': 'application/json', ...headers } }), 401, 'SIGNATURE_INVALID');
  });

  it('refuses a signature for another path: SIGNATURE_INVALID', async () => {
    const key = newTestGatewayKey();
    const payload = JSON.stringify({ activationKey: 'AAAA-BBBB-CCCC' });
    const headers = key.sign('POST', '/v1/activation/register', payload, { key: true });
    expectError(await h.app.inject({ method: 'POST', url: '/v1/activation/claim', payload, headers: { 'content-type': 'application/json', ...headers } }), 401, 'SIGNATURE_INVALID');
  });

  it('refuses a timestamp more than 5 minutes off, either way: REQUEST_EXPIRED', async () => {
    const key = newTestGatewayKey();
    const body = { publicKey: key.publicKey, metadata: testGatewayMetadata() };
    expectError(await signedPost(h.app, key, '/v1/activation/register', body, { timestamp: h.clock.now - 5 * 60_000 - 1000 }), 401, 'REQUEST_EXPIRED');
    expectError(await signedPost(h.app, key, '/v1/activation/register', body, { timestamp: h.clock.now + 5 * 60_000 + 1000 }), 401, 'REQUEST_EXPIRED');
    expect((await signedPost(h.app, key, '/v1/activation/register', body, { timestamp: h.clock.now - 4 * 60_000 })).statusCode).toBe(201);
  });

  it('refuses a replayed request: NONCE_REPLAYED', async () => {
    const key = newTestGatewayKey();
    const payload = JSON.stringify({ publicKey: key.publicKey, metadata: testGatewayMetadata() });
    const headers = { 'content-type': 'application/json', ...key.sign('POST', '/v1/activation/register', payload, { key: true }) };
    expect((await h.app.inject({ method: 'POST', url: '/v1/activation/register', payload, headers })).statusCode).toBe(201);
    expectError(await h.app.inject({ method: 'POST', url: '/v1/activation/register', payload, headers }), 401, 'NONCE_REPLAYED');
  });

  it('refuses a body whose publicKey is not the signing key: PUBLIC_KEY_MISMATCH', async () => {
    const key = newTestGatewayKey();
    const res = await signedPost(h.app, key, '/v1/activation/register', { publicKey: newTestGatewayKey().publicKey, metadata: testGatewayMetadata() });
    expectError(res, 403, 'PUBLIC_KEY_MISMATCH');
  });

  it('refuses a malformed body or key: INVALID_ARGUMENT / SIGNATURE_INVALID', async () => {
    const key = newTestGatewayKey();
    expectError(await signedPost(h.app, key, '/v1/activation/register', { publicKey: key.publicKey }), 400, 'INVALID_ARGUMENT');
    expectError(await signedPost(h.app, key, '/v1/activation/register', { publicKey: key.publicKey, metadata: { ...testGatewayMetadata(), capacityBytes: '5' } }), 400, 'INVALID_ARGUMENT');
    const garbage = '{"publicKey":';
    expectError(await h.app.inject({ method: 'POST', url: '/v1/activation/register', payload: garbage, headers: { 'content-type': 'application/json', ...key.sign('POST', '/v1/activation/register', garbage, { key: true }) } }), 400, 'INVALID_ARGUMENT');
    const payload = JSON.stringify({ publicKey: 'short', metadata: testGatewayMetadata() });
    const headers = { ...key.sign('POST', '/v1/activation/register', payload, { key: true }), 'x-tidegate-key': 'short' };
    expectError(await h.app.inject({ method: 'POST', url: '/v1/activation/register', payload, headers: { 'content-type': 'application/json', ...headers } }), 401, 'SIGNATURE_INVALID');
  });

  it('allows 20 per minute per client address, then RATE_LIMITED with retry-after', async () => {
    const key = newTestGatewayKey();
    const body = { publicKey: key.publicKey, metadata: testGatewayMetadata() };
    for (let i = 0; i < 20; i++) expect((await signedPost(h.app, key, '/v1/activation/register', body)).statusCode).toBe(201);
    const limited = await signedPost(h.app, key, '/v1/activation/register', body);
    expectError(limited, 429, 'RATE_LIMITED');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another address is not affected.
    const payload = JSON.stringify(body);
    const other = await h.app.inject({ method: 'POST', url: '/v1/activation/register', remoteAddress: '10.9.9.9', payload, headers: { 'content-type': 'application/json', ...key.sign('POST', '/v1/activation/register', payload, { key: true }) } });
    expect(other.statusCode).toBe(201);
  });
});

describe('POST /v1/activation/claim', () => {
  it('is pending (202) until submitted, then activated (200) with the CA to pin', async () => {
    const key = newTestGatewayKey();
    const { activationKey, expiresAt } = await register(key);
    const pending = await signedPost(h.app, key, '/v1/activation/claim', { activationKey });
    expect(pending.statusCode).toBe(202);
    expect(pending.json()).toEqual({ state: 'pending', expiresAt });
    const submitted = await admin('POST', '/v1/gateways', h.token, { activationKey, name: 'office-1', timezone: 'Europe/Paris' });
    const gatewayId = (submitted.json() as { id: string }).id;
    const claimed = await signedPost(h.app, key, '/v1/activation/claim', { activationKey: activationKey.toLowerCase().replace(/-/g, '') });
    expect(claimed.statusCode).toBe(200);
    expect(claimed.json()).toEqual({ state: 'activated', gatewayId, accountId: h.accountId, name: 'office-1', timezone: 'Europe/Paris', caCertPem: CA_PEM, connectPath: '/v1/connect' });
  });

  it('refuses another key: PUBLIC_KEY_MISMATCH, before saying anything about the key', async () => {
    const { activationKey } = await register(newTestGatewayKey());
    expectError(await signedPost(h.app, newTestGatewayKey(), '/v1/activation/claim', { activationKey }), 403, 'PUBLIC_KEY_MISMATCH');
  });

  it('unknown and malformed keys: ACTIVATION_KEY_UNKNOWN', async () => {
    const key = newTestGatewayKey();
    expectError(await signedPost(h.app, key, '/v1/activation/claim', { activationKey: '0000-0000-0000' }), 404, 'ACTIVATION_KEY_UNKNOWN');
    expectError(await signedPost(h.app, key, '/v1/activation/claim', { activationKey: 'not a key' }), 404, 'ACTIVATION_KEY_UNKNOWN');
  });

  it('an expired, never submitted key: ACTIVATION_KEY_EXPIRED', async () => {
    const key = newTestGatewayKey();
    const { activationKey } = await register(key);
    h.clock.now += 30 * 60_000 + 1;
    expectError(await signedPost(h.app, key, '/v1/activation/claim', { activationKey }, { timestamp: h.clock.now }), 410, 'ACTIVATION_KEY_EXPIRED');
  });

  it('is signed: SIGNATURE_MISSING without headers', async () => {
    expectError(await h.app.inject({ method: 'POST', url: '/v1/activation/claim', payload: { activationKey: '0000-0000-0000' } }), 401, 'SIGNATURE_MISSING');
  });
});

describe('POST /v1/gateways (submit an activation key)', () => {
  it('binds the key to the account and answers the gateway record', async () => {
    const key = newTestGatewayKey();
    const { activationKey } = await register(key);
    const typed = activationKey.toLowerCase().replace(/-/g, '').replace(/0/g, 'o').replace(/1/g, 'l');
    const res = await admin('POST', '/v1/gateways', h.token, { activationKey: typed, name: 'Büro Köln #2', timezone: 'Europe/Berlin' });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ accountId: h.accountId, name: 'Büro Köln #2', timezone: 'Europe/Berlin', version: '0.1.0', host: 'test-host', online: false, serverId: null, lastSeenAt: null });
    expect(body.id).toMatch(/^gw-[0-9a-f-]{36}$/);
    expect(await h.state.gateways.get(body.id as string)).toMatchObject({ publicKey: key.publicKey, accountId: h.accountId });
  });

  it('needs a token: AUTH_REQUIRED, TOKEN_INVALID', async () => {
    const body = { activationKey: '0000-0000-0000', name: 'x', timezone: 'UTC' };
    expectError(await admin('POST', '/v1/gateways', null, body), 401, 'AUTH_REQUIRED');
    expectError(await h.app.inject({ method: 'POST', url: '/v1/gateways', payload: body, headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }), 401, 'AUTH_REQUIRED');
    expectError(await admin('POST', '/v1/gateways', 'tg_nottherighttoken', body), 401, 'TOKEN_INVALID');
  });

  it('a token whose account is gone: ACCOUNT_UNKNOWN', async () => {
    await h.app.close();
    await h.state.close();
    h = await harness({}, (s) => ({ ...s, accounts: { ...s.accounts, byToken: s.accounts.byToken.bind(s.accounts), get: async () => null, create: s.accounts.create.bind(s.accounts), list: s.accounts.list.bind(s.accounts) } }));
    expectError(await admin('GET', '/v1/gateways', h.token), 401, 'ACCOUNT_UNKNOWN');
  });

  it('unknown, expired and used keys: ACTIVATION_KEY_UNKNOWN 404, _EXPIRED 410, _USED 409', async () => {
    expectError(await admin('POST', '/v1/gateways', h.token, { activationKey: 'ZZZZ-ZZZZ-ZZZZ', name: 'x', timezone: 'UTC' }), 404, 'ACTIVATION_KEY_UNKNOWN');
    expectError(await admin('POST', '/v1/gateways', h.token, { activationKey: 'UUUU', name: 'x', timezone: 'UTC' }), 404, 'ACTIVATION_KEY_UNKNOWN');
    const { activationKey } = await activate();
    expectError(await admin('POST', '/v1/gateways', h.token, { activationKey, name: 'again', timezone: 'UTC' }), 409, 'ACTIVATION_KEY_USED');
    const late = await register(newTestGatewayKey());
    h.clock.now += 31 * 60_000;
    expectError(await admin('POST', '/v1/gateways', h.token, { activationKey: late.activationKey, name: 'late', timezone: 'UTC' }), 410, 'ACTIVATION_KEY_EXPIRED');
  });

  it('an older key of a gateway activated with a newer one makes no second gateway: ACTIVATION_KEY_USED', async () => {
    const key = newTestGatewayKey();
    const older = await register(key);
    const newer = await register(key);
    expect((await admin('POST', '/v1/gateways', h.token, { activationKey: newer.activationKey, name: 'office', timezone: 'UTC' })).statusCode).toBe(201);
    expectError(await admin('POST', '/v1/gateways', h.token, { activationKey: older.activationKey, name: 'phantom', timezone: 'UTC' }), 409, 'ACTIVATION_KEY_USED');
    expect((await h.state.gateways.listAll()).filter((g) => g.publicKey === key.publicKey)).toHaveLength(1);
  });

  it('validates the name and time zone: INVALID_ARGUMENT', async () => {
    const { activationKey } = await register(newTestGatewayKey());
    for (const bad of [
      { name: '', timezone: 'UTC' },
      { name: 'x'.repeat(65), timezone: 'UTC' },
      { name: 'tab\there', timezone: 'UTC' },
      { name: ' padded', timezone: 'UTC' },
      { name: 'ok', timezone: 'Mars/Olympus' },
      { name: 'ok', timezone: '+01:00' },
      { name: 'ok', timezone: 5 },
      { name: 'ok', timezone: 'UTC', extra: true },
    ]) {
      expectError(await admin('POST', '/v1/gateways', h.token, { activationKey, ...bad }), 400, 'INVALID_ARGUMENT');
    }
    // The key was not used by the refused submissions.
    expect((await admin('POST', '/v1/gateways', h.token, { activationKey, name: 'x'.repeat(64), timezone: 'America/Argentina/Buenos_Aires' })).statusCode).toBe(201);
  });

  it('after 10 failed submissions a minute from one address: RATE_LIMITED with retry-after, other addresses unaffected', async () => {
    await h.app.close();
    await h.state.close();
    h = await harness();
    const body = { activationKey: 'ZZZZ-ZZZZ-ZZZZ', name: 'x', timezone: 'UTC' };
    for (let i = 0; i < 10; i++) expectError(await admin('POST', '/v1/gateways', h.token, body, '10.0.0.1'), 404, 'ACTIVATION_KEY_UNKNOWN');
    const limited = await admin('POST', '/v1/gateways', h.token, body, '10.0.0.1');
    expectError(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Even a correct submission is refused while blocked.
    const { activationKey } = await register(newTestGatewayKey());
    expectError(await admin('POST', '/v1/gateways', h.token, { activationKey, name: 'ok', timezone: 'UTC' }, '10.0.0.1'), 429, 'RATE_LIMITED');
    expect((await admin('POST', '/v1/gateways', h.token, { activationKey, name: 'ok', timezone: 'UTC' }, '10.0.0.2')).statusCode).toBe(201);
    // Once the window is over, the address may try again.
    h.clock.now += 61_000;
    expectError(await admin('POST', '/v1/gateways', h.token, body, '10.0.0.1'), 404, 'ACTIVATION_KEY_UNKNOWN');
  });
});

describe('GET /v1/gateways and /v1/gateways/:id', () => {
  it("lists only the account's gateways, with online, serverId and lastSeenAt", async () => {
    const a = await activate('b-office');
    const b = await activate('a-office');
    await activate('theirs', h.otherToken);
    await h.state.registry.set(a.gatewayId, { serverId: 'cp-x', connectionId: 'c1', since: new Date().toISOString() }, 30_000);
    await h.state.gateways.touch(a.gatewayId, new Date('2030-01-01T00:00:00.000Z'));
    const res = await admin('GET', '/v1/gateways', h.token);
    expect(res.statusCode).toBe(200);
    const list = (res.json() as { gateways: Array<Record<string, unknown>> }).gateways;
    expect(list.map((g) => g.name)).toEqual(['a-office', 'b-office']);
    expect(list[1]).toMatchObject({ id: a.gatewayId, online: true, serverId: 'cp-x', lastSeenAt: '2030-01-01T00:00:00.000Z', version: '0.1.0', host: 'test-host', timezone: 'Europe/Paris' });
    expect(list[0]).toMatchObject({ id: b.gatewayId, online: false, serverId: null });
    expectError(await admin('GET', '/v1/gateways', null), 401, 'AUTH_REQUIRED');
  });

  it('shows one gateway with its newest sample; another account gets GATEWAY_UNKNOWN', async () => {
    const { gatewayId } = await activate();
    const first = await admin('GET', `/v1/gateways/${gatewayId}`, h.token);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ id: gatewayId, latestStatus: null });
    const sample = testStatusSample(new Date('2030-01-01T00:00:30.000Z'));
    await h.state.samples.append(gatewayId, sample);
    expect((await admin('GET', `/v1/gateways/${gatewayId}`, h.token)).json()).toMatchObject({ latestStatus: sample });
    expectError(await admin('GET', `/v1/gateways/${gatewayId}`, h.otherToken), 404, 'GATEWAY_UNKNOWN');
    expectError(await admin('GET', '/v1/gateways/gw-nope', h.token), 404, 'GATEWAY_UNKNOWN');
  });
});

describe('GET /v1/gateways/:id/status', () => {
  it('returns stored samples in a range; checks the range and the account', async () => {
    const { gatewayId } = await activate();
    const t0 = Date.parse('2030-01-01T00:00:00.000Z');
    for (let m = 0; m < 5; m++) await h.state.samples.append(gatewayId, testStatusSample(new Date(t0 + m * 60_000 + 5_000)));
    const res = await admin('GET', `/v1/gateways/${gatewayId}/status?from=${new Date(t0 + 60_000).toISOString()}&to=${t0 + 3 * 60_000 + 10_000}`, h.token);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { samples: Array<{ at: string; cache: unknown }>; from: string };
    expect(body.samples.map((s) => s.at)).toEqual([1, 2, 3].map((m) => new Date(t0 + m * 60_000 + 5_000).toISOString()));
    expect(body.samples[0]!.cache).toBeDefined();
    h.clock.now = t0 + 10 * 60_000;
    expect((await admin('GET', `/v1/gateways/${gatewayId}/status`, h.token)).json()).toMatchObject({ samples: { length: 5 } });
    expectError(await admin('GET', `/v1/gateways/${gatewayId}/status?from=yesterday`, h.token), 400, 'INVALID_ARGUMENT');
    expectError(await admin('GET', `/v1/gateways/${gatewayId}/status?from=${t0 + 1000}&to=${t0}`, h.token), 400, 'INVALID_ARGUMENT');
    expectError(await admin('GET', `/v1/gateways/${gatewayId}/status?limit=3`, h.token), 400, 'INVALID_ARGUMENT');
    expectError(await admin('GET', `/v1/gateways/${gatewayId}/status`, h.otherToken), 404, 'GATEWAY_UNKNOWN');
  });
});

describe('POST /v1/gateways/:id/commands', () => {
  it('sends the command through the dispatcher and answers {result, servedBy}', async () => {
    const { gatewayId } = await activate();
    h.reply.next = async () => ({ result: { volumes: [] }, servedBy: 'cp-other' });
    const res = await admin('POST', `/v1/gateways/${gatewayId}/commands`, h.token, { method: 'volume.list', params: {} });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ result: { volumes: [] }, servedBy: 'cp-other' });
    expect(h.commands).toEqual([{ gatewayId, method: 'volume.list', params: {}, timeoutMs: 10_000 }]);
    await admin('POST', `/v1/gateways/${gatewayId}/commands`, h.token, { method: 'status', timeoutMs: 60_000 });
    expect(h.commands[1]).toEqual({ gatewayId, method: 'status', params: {}, timeoutMs: 60_000 });
  });

  it('refuses local-only or unknown methods and out-of-range timeouts: INVALID_ARGUMENT', async () => {
    const { gatewayId } = await activate();
    for (const body of [{ method: 'recover' }, { method: 'control.activate' }, { method: 'rm -rf' }, { method: 'status', timeoutMs: 60_001 }, { method: 'status', timeoutMs: 10 }, { method: 'status', params: [] }]) {
      expectError(await admin('POST', `/v1/gateways/${gatewayId}/commands`, h.token, body), 400, 'INVALID_ARGUMENT');
    }
    expect(h.commands).toEqual([]);
  });

  it("maps the dispatcher's refusals: GATEWAY_OFFLINE 503, GATEWAY_TIMEOUT 504, GATEWAY_ERROR 422 with engineCode", async () => {
    const { gatewayId } = await activate();
    h.reply.next = async () => {
      throw new ControlError('GATEWAY_OFFLINE', 'offline');
    };
    expectError(await admin('POST', `/v1/gateways/${gatewayId}/commands`, h.token, { method: 'status' }), 503, 'GATEWAY_OFFLINE');
    h.reply.next = async () => {
      throw new ControlError('GATEWAY_TIMEOUT', 'slow');
    };
    expectError(await admin('POST', `/v1/gateways/${gatewayId}/commands`, h.token, { method: 'status' }), 504, 'GATEWAY_TIMEOUT');
    h.reply.next = async () => {
      throw new ControlError('GATEWAY_ERROR', 'no such volume', { details: { engineCode: 'NOT_FOUND' } });
    };
    const res = await admin('POST', `/v1/gateways/${gatewayId}/commands`, h.token, { method: 'volume.delete', params: { name: 'v' } });
    expectError(res, 422, 'GATEWAY_ERROR');
    expect(errorOf(res).engineCode).toBe('NOT_FOUND');
  });

  it('a gateway of another account is GATEWAY_UNKNOWN and no command is sent', async () => {
    const { gatewayId } = await activate('theirs', h.otherToken);
    expectError(await admin('POST', `/v1/gateways/${gatewayId}/commands`, h.token, { method: 'status' }), 404, 'GATEWAY_UNKNOWN');
    expect(h.commands).toEqual([]);
  });

  it('an unexpected failure is INTERNAL 500 without internals in the message', async () => {
    const { gatewayId } = await activate();
    h.reply.next = async () => {
      throw new Error('secret detail');
    };
    const res = await admin('POST', `/v1/gateways/${gatewayId}/commands`, h.token, { method: 'status' });
    expectError(res, 500, 'INTERNAL');
    expect(res.body).not.toContain('secret');
  });
});

describe('GET /v1/alerts', () => {
  it("lists the account's and the fleet's alerts, by state and gateway; never another account's", async () => {
    const mine = await activate();
    const theirs = await activate('theirs', h.otherToken);
    const at = new Date();
    await h.state.alerts.open({ rule: 'cache-dirty-high', gatewayId: mine.gatewayId, volume: null }, { severity: 'warning', message: 'dirty', value: 90 }, at);
    await h.state.alerts.open({ rule: 'io-wait-high', gatewayId: mine.gatewayId, volume: null }, { severity: 'warning', message: 'io', value: 30 }, at);
    await h.state.alerts.close({ rule: 'io-wait-high', gatewayId: mine.gatewayId, volume: null }, at);
    await h.state.alerts.open({ rule: 'upload-buffer-high', gatewayId: theirs.gatewayId, volume: null }, { severity: 'warning', message: 'theirs', value: 90 }, at);
    await h.state.alerts.open({ rule: 'fleet-error', gatewayId: null, volume: null }, { severity: 'critical', message: 'fleet', value: 3 }, at);

    const rules = async (query: string, token = h.token) => {
      const res = await admin('GET', `/v1/alerts${query}`, token);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { alerts: Array<{ rule: string }> }).alerts.map((a) => a.rule).sort();
    };
    expect(await rules('')).toEqual(['cache-dirty-high', 'fleet-error']);
    expect(await rules('?state=closed')).toEqual(['io-wait-high']);
    expect(await rules('?state=all')).toEqual(['cache-dirty-high', 'fleet-error', 'io-wait-high']);
    expect(await rules(`?state=all&gatewayId=${mine.gatewayId}`)).toEqual(['cache-dirty-high', 'io-wait-high']);
    expectError(await admin('GET', `/v1/alerts?gatewayId=${theirs.gatewayId}`, h.token), 404, 'GATEWAY_UNKNOWN');
    expectError(await admin('GET', '/v1/alerts?state=maybe', h.token), 400, 'INVALID_ARGUMENT');
    expectError(await admin('GET', '/v1/alerts', null), 401, 'AUTH_REQUIRED');
  });
});
