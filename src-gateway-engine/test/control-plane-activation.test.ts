/**
 * Activation end to end with real processes (docs/control-plane.md § Activation, § Signed
 * requests, § The management connection): `tidegate serve` with its embedded control plane,
 * `tidegate activate`, the gateway's status and its activation page, its credentials on disk,
 * a restart after which it reconnects by itself, and admin commands that reach it.
 *
 * Every refusal of the spec is provoked and checked for its HTTP status and its stable code:
 * through the CLI where the CLI is the one that would meet it, with raw HTTPS where only a
 * misbehaving client can cause it (the test signs with its own Ed25519 keys). The expired key
 * and the rate limits use a stand-alone `tidegate control-plane serve --activation-ttl 2s`,
 * which a second gateway activates against with `--control-plane URL --ca-file`.
 *
 * Budgets: the embedded control plane refuses an address after 10 failed submissions a
 * minute, and this file makes 8 there; the rate-limit cases run on the stand-alone server.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlStatus, EngineStatus, VolumeInfo } from '../runtime/engine-commands.js';
import {
  cpRequest,
  embeddedControlPlaneSecrets,
  errorCodeOf,
  freeLoopbackPort,
  jsonBytes,
  metricsGet,
  newTestKey,
  registerBody,
  shown,
  signedHeaders,
  signedJson,
  startControlPlaneServer,
  type ControlPlaneProcess,
  type CpRequest,
  type CpResponse,
} from './support/control-plane-http.js';
import type { GatewayProcess } from './support/gateway-process.js';
import { cli, cliOk, GwScope, MiB, pollFor, tidegateLines } from './support/gw-harness.js';

const scope = new GwScope('cp-activation');
const servers: ControlPlaneProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.kill9().catch(() => undefined);
  await scope.cleanup();
});

const REGISTER = '/v1/activation/register';
const CLAIM = '/v1/activation/claim';
const SUBMIT = '/v1/gateways';

async function engineStatus(dataDir: string): Promise<EngineStatus> {
  return JSON.parse(await cliOk(['status', '--json', '--data-dir', dataDir])) as EngineStatus;
}

async function activationJson(gw: GatewayProcess): Promise<Record<string, unknown>> {
  const r = await metricsGet(gw.metrics!, '/activation.json');
  expect(r.status).toBe(200);
  expect(r.contentType).toMatch(/application\/json/);
  return JSON.parse(r.text) as Record<string, unknown>;
}

/** Asserts an error answer's HTTP status and stable code. */
function expectRefusal(res: CpResponse, status: number, code: string): void {
  expect({ status: res.status, code: errorCodeOf(res) }, shown(res)).toEqual({ status, code });
  expect((res.json as { error: { message?: unknown } }).error.message, 'a human message comes with the code').toEqual(expect.any(String));
}

/** The file's permission bits, e.g. 0o600. */
async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** A token of the right shape that no account has. */
function strangerToken(): string {
  return `tg_${randomBytes(32).toString('base64url')}`;
}

/** The one line `tidegate` printed for a failed command, with its exit code. */
async function cliFailure(args: string[]): Promise<{ code: number | null; lines: string[] }> {
  const r = await cli(args);
  return { code: r.code, lines: tidegateLines(r.stderr) };
}

describe('activation with the embedded control plane', () => {
  let gw: GatewayProcess;
  let dataDir: string;
  let cpPort: number;
  let cp: string;
  let caPem: string;
  let adminToken: string;
  let serveArgs: string[];
  /** The key the gateway shows after the failed first attempt. */
  let pendingKey: string;
  let gatewayId: string;
  const me = newTestKey();
  const impostor = newTestKey();
  const admin = (req: CpRequest): Promise<CpResponse> => cpRequest(cp, caPem, { bearer: adminToken, ...req });

  beforeAll(async () => {
    dataDir = await scope.dir('gw');
    // A known port, so the restart below can move the embedded control plane to another one.
    cpPort = await freeLoopbackPort();
    serveArgs = ['--iscsi', 'off', '--metrics', '127.0.0.1:0', '--control-plane', `127.0.0.1:${cpPort}`];
    gw = await scope.start(dataDir, serveArgs);
    expect(gw.controlPlaneUrl).toBe(`https://127.0.0.1:${cpPort}`);
    cp = gw.controlPlaneUrl!;
    ({ caPem, adminToken } = await embeddedControlPlaneSecrets(dataDir));
    expect(adminToken).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    expect(await modeOf(join(dataDir, 'control-plane', 'admin-token'))).toBe(0o600);
  });

  it('starts not activated, and the page says so', async () => {
    const s = await engineStatus(dataDir);
    expect(s.activated).toBe(false);
    expect(s.controlPlaneConnected).toBe(false);
    expect(s.controlPlane.embeddedControlPlaneUrl).toBe(cp);
    expect(s.controlPlane.activation).toBeNull();
    expect(await activationJson(gw)).toMatchObject({ state: 'not-activated', activated: false, activationKey: null });
    const r = await cpRequest(cp, caPem, { method: 'GET', path: '/healthz' });
    expect(r.status).toBe(200);
  });

  it('the CLI refuses its own usage mistakes before registering anything (exit code 2)', async () => {
    const noName = await cliFailure(['activate', '--data-dir', dataDir]);
    expect(noName.code).toBe(2);
    expect(noName.lines[0]).toMatch(/^tidegate: activate needs --name/);
    const badZone = await cliFailure(['activate', '--name', 'office-1', '--timezone', 'Mars/Olympus_Mons', '--data-dir', dataDir]);
    expect(badZone.code).toBe(2);
    expect(badZone.lines[0]).toMatch(/^tidegate: --timezone must be an IANA time zone/);
    expect((await engineStatus(dataDir)).controlPlane.activation, 'nothing was registered').toBeNull();
  });

  it('a wrong token: exit code 1, one line naming TOKEN_INVALID; the gateway shows its pending key', async () => {
    const r = await cliFailure(['activate', '--name', 'office-1', '--timezone', 'Europe/Paris', '--token', strangerToken(), '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^tidegate: error: .*TOKEN_INVALID/);

    const s = await engineStatus(dataDir);
    expect(s.activated).toBe(false);
    const pending = s.controlPlane.activation;
    expect(pending).not.toBeNull();
    expect(pending!.controlPlaneUrl).toBe(cp);
    expect(pending!.activationKey).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    const expiresIn = Date.parse(pending!.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(25 * 60_000); // the 30-minute default
    expect(expiresIn).toBeLessThanOrEqual(30 * 60_000);
    pendingKey = pending!.activationKey;

    expect(await activationJson(gw)).toMatchObject({ state: 'pending', activated: false, activationKey: pendingKey, expiresAt: pending!.expiresAt, controlPlaneUrl: cp });
    const page = await metricsGet(gw.metrics!, '/activation');
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/text\/html/);
    expect(page.text).toContain(pendingKey);
    expect(page.text, 'no secrets on the page').not.toMatch(/tg_|BEGIN/);
  });

  it('bad names and time zones are INVALID_ARGUMENT, and do not use the key up', async () => {
    for (const name of ['', 'x'.repeat(65)]) {
      expectRefusal(await admin({ method: 'POST', path: SUBMIT, body: jsonBytes({ activationKey: pendingKey, name, timezone: 'Europe/Paris' }) }), 400, 'INVALID_ARGUMENT');
    }
    expectRefusal(await admin({ method: 'POST', path: SUBMIT, body: jsonBytes({ activationKey: pendingKey, name: 'office-1', timezone: 'Mars/Olympus_Mons' }) }), 400, 'INVALID_ARGUMENT');
    // The key is still pending for the gateway (its claim says so too).
    expect((await engineStatus(dataDir)).controlPlane.activation?.activationKey).toBe(pendingKey);
  });

  it('a claim of the gateway’s key signed by another key is PUBLIC_KEY_MISMATCH', async () => {
    expectRefusal(await cpRequest(cp, caPem, signedJson(impostor, 'POST', CLAIM, { activationKey: pendingKey })), 403, 'PUBLIC_KEY_MISMATCH');
  });

  it('tidegate activate succeeds: activated, connected, credentials 0600, the page says activated', async () => {
    const out = JSON.parse(await cliOk(['activate', '--name', 'office-1', '--timezone', 'Europe/Paris', '--data-dir', dataDir, '--json'])) as Record<string, string | null>;
    expect(out).toMatchObject({ name: 'office-1', timezone: 'Europe/Paris', controlPlaneUrl: cp });
    expect(out.gatewayId).toMatch(/^gw-/);
    expect(out.serverId).toEqual(expect.any(String));
    gatewayId = out.gatewayId!;

    const s = await engineStatus(dataDir);
    expect(s.activated).toBe(true);
    expect(s.controlPlaneConnected).toBe(true);
    expect(s.controlPlane).toMatchObject({ activated: true, connected: true, gatewayId, name: 'office-1', timezone: 'Europe/Paris', controlPlaneUrl: cp, activation: null, lastError: null });

    expect(await modeOf(join(dataDir, 'control', 'gateway-key.pem'))).toBe(0o600);
    expect(await modeOf(join(dataDir, 'control', 'activation.json'))).toBe(0o600);
    expect(existsSync(join(dataDir, 'control', 'pending-activation.json')), 'the pending attempt is forgotten').toBe(false);

    expect(await activationJson(gw)).toMatchObject({ state: 'activated', activated: true, connected: true, name: 'office-1', gatewayId, activationKey: null });
    const page = await metricsGet(gw.metrics!, '/activation');
    expect(page.text).toContain('office-1');

    const list = await admin({ method: 'GET', path: '/v1/gateways' });
    expect(list.status, shown(list)).toBe(200);
    const mine = (list.json as { gateways: Array<Record<string, unknown>> }).gateways.find((g) => g.id === gatewayId);
    expect(mine).toMatchObject({ name: 'office-1', timezone: 'Europe/Paris', online: true });
  });

  it('submissions: AUTH_REQUIRED, TOKEN_INVALID, ACTIVATION_KEY_UNKNOWN, ACTIVATION_KEY_USED', async () => {
    const reg = await cpRequest(cp, caPem, signedJson(me, 'POST', REGISTER, registerBody(me)));
    expect(reg.status, shown(reg)).toBe(201);
    const myKey = (reg.json as { activationKey: string }).activationKey;
    const body = (activationKey: string): Buffer => jsonBytes({ activationKey, name: 'bystander', timezone: 'UTC' });

    expectRefusal(await cpRequest(cp, caPem, { method: 'POST', path: SUBMIT, body: body(myKey) }), 401, 'AUTH_REQUIRED');
    expectRefusal(await cpRequest(cp, caPem, { method: 'POST', path: SUBMIT, body: body(myKey), bearer: strangerToken() }), 401, 'TOKEN_INVALID');
    expectRefusal(await admin({ method: 'POST', path: SUBMIT, body: body('0000-0000-0000') }), 404, 'ACTIVATION_KEY_UNKNOWN');

    // Typing is case-insensitive and dashes are optional.
    const ok = await admin({ method: 'POST', path: SUBMIT, body: body(myKey.replace(/-/g, '').toLowerCase()) });
    expect(ok.status, shown(ok)).toBe(201);
    const record = ok.json as { id: string; name: string };
    expect(record.name).toBe('bystander');
    expectRefusal(await admin({ method: 'POST', path: SUBMIT, body: body(myKey) }), 409, 'ACTIVATION_KEY_USED');

    // The key's owner collects the credentials; nobody else can.
    const claim = await cpRequest(cp, caPem, signedJson(me, 'POST', CLAIM, { activationKey: myKey }));
    expect(claim.status, shown(claim)).toBe(200);
    expect(claim.json).toMatchObject({ state: 'activated', gatewayId: record.id, name: 'bystander', timezone: 'UTC', connectPath: '/v1/connect' });
    expect((claim.json as { caCertPem: string }).caCertPem.trim()).toBe(caPem.trim());
    expectRefusal(await cpRequest(cp, caPem, signedJson(impostor, 'POST', CLAIM, { activationKey: myKey })), 403, 'PUBLIC_KEY_MISMATCH');
  });

  it('signed requests: SIGNATURE_MISSING, SIGNATURE_INVALID, REQUEST_EXPIRED, NONCE_REPLAYED, PUBLIC_KEY_MISMATCH', async () => {
    const claimBody = { activationKey: '0000-0000-0000' };
    // No signature at all, and every header but the signature.
    expectRefusal(await cpRequest(cp, caPem, { method: 'POST', path: CLAIM, body: jsonBytes(claimBody) }), 401, 'SIGNATURE_MISSING');
    const partial = signedJson(me, 'POST', CLAIM, claimBody);
    delete partial.headers!['x-tidegate-signature'];
    expectRefusal(await cpRequest(cp, caPem, partial), 401, 'SIGNATURE_MISSING');

    // A signature over other bytes, and one by another key than the one named.
    const tampered = signedJson(me, 'POST', CLAIM, claimBody);
    expectRefusal(await cpRequest(cp, caPem, { ...tampered, body: jsonBytes({ activationKey: '1111-1111-1111' }) }), 401, 'SIGNATURE_INVALID');
    const bytes = jsonBytes(claimBody);
    const forged = { ...signedHeaders(impostor, { method: 'POST', path: CLAIM, body: bytes, identity: { publicKey: impostor.publicKeyRaw } }), 'x-tidegate-key': me.publicKeyRaw };
    expectRefusal(await cpRequest(cp, caPem, { method: 'POST', path: CLAIM, body: bytes, headers: forged }), 401, 'SIGNATURE_INVALID');

    // Correctly signed, but 6 minutes old or ahead (the window is ±5).
    expectRefusal(await cpRequest(cp, caPem, signedJson(me, 'POST', CLAIM, claimBody, { timestamp: Date.now() - 6 * 60_000 })), 401, 'REQUEST_EXPIRED');
    expectRefusal(await cpRequest(cp, caPem, signedJson(me, 'POST', CLAIM, claimBody, { timestamp: Date.now() + 6 * 60_000 })), 401, 'REQUEST_EXPIRED');

    // One signed register sent twice: the second is a replay.
    const replayer = newTestKey();
    const once = signedJson(replayer, 'POST', REGISTER, registerBody(replayer, 'replayer'));
    const first = await cpRequest(cp, caPem, once);
    expect(first.status, shown(first)).toBe(201);
    expectRefusal(await cpRequest(cp, caPem, once), 401, 'NONCE_REPLAYED');

    // Registering somebody else's public key: the body's key must be the signer's.
    expectRefusal(await cpRequest(cp, caPem, signedJson(me, 'POST', REGISTER, registerBody(impostor))), 403, 'PUBLIC_KEY_MISMATCH');
  });

  it('the management connection refuses unsigned and impostor upgrades', async () => {
    const upgrade = (headers: Record<string, string>): Promise<CpResponse> =>
      cpRequest(cp, caPem, {
        method: 'GET',
        path: '/v1/connect',
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'), ...headers },
      });
    const empty = Buffer.alloc(0);
    expectRefusal(await upgrade({}), 401, 'SIGNATURE_MISSING');
    expectRefusal(await upgrade(signedHeaders(me, { method: 'GET', path: '/v1/connect', body: empty, identity: { gatewayId: 'gw-no-such-gateway' } })), 404, 'GATEWAY_UNKNOWN');
    // The real gateway's id, signed with a key that is not the gateway's.
    expectRefusal(await upgrade(signedHeaders(impostor, { method: 'GET', path: '/v1/connect', body: empty, identity: { gatewayId } })), 401, 'SIGNATURE_INVALID');
    expect((await engineStatus(dataDir)).controlPlaneConnected, 'the real gateway stays connected').toBe(true);
  });

  it('admin commands reach the gateway; restarted, it reconnects by itself and they still do', { timeout: 120_000 }, async () => {
    const command = (method: string, params: Record<string, unknown> = {}, timeoutMs?: number): Promise<CpResponse> =>
      admin({ method: 'POST', path: `/v1/gateways/${gatewayId}/commands`, body: jsonBytes({ method, params, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }) });
    const volumeNames = async (): Promise<string[]> => (JSON.parse(await cliOk(['volume', 'list', '--json', '--data-dir', dataDir])) as VolumeInfo[]).map((v) => v.name);

    const created = await command('volume.create', { name: 'remote-a', sizeBytes: 64 * MiB, mode: 'cached' });
    expect(created.status, shown(created)).toBe(200);
    expect(created.json).toMatchObject({ result: { name: 'remote-a', mode: 'cached', sizeBytes: 64 * MiB }, servedBy: expect.any(String) });
    const listed = await command('volume.list');
    expect(listed.status, shown(listed)).toBe(200);
    expect((listed.json as { result: VolumeInfo[] }).result.map((v) => v.name)).toContain('remote-a');
    expect(await volumeNames()).toContain('remote-a');
    // An engine refusal comes back as GATEWAY_ERROR with the engine's own code.
    const dup = await command('volume.create', { name: 'remote-a', sizeBytes: 64 * MiB, mode: 'cached' });
    expectRefusal(dup, 422, 'GATEWAY_ERROR');
    expect((dup.json as { error: { engineCode?: unknown } }).error.engineCode).toEqual(expect.any(String));

    expect(await gw.stop()).toBe(0);
    // Restarted with its embedded control plane on another port: the gateway follows it (same CA).
    gw = await scope.start(dataDir, serveArgs.map((a) => (a === `127.0.0.1:${cpPort}` ? '127.0.0.1:0' : a)));
    expect(gw.controlPlaneUrl).not.toBe(cp);
    cp = gw.controlPlaneUrl!;
    const back = await pollFor(
      'the restarted gateway to reconnect',
      async () => {
        const s = await engineStatus(dataDir);
        return s.controlPlaneConnected ? s : undefined;
      },
      30_000,
    );
    expect(back.controlPlane).toMatchObject<Partial<ControlStatus>>({ activated: true, gatewayId, name: 'office-1', activation: null, controlPlaneUrl: cp });

    const after = await command('volume.create', { name: 'remote-b', sizeBytes: 32 * MiB, mode: 'cached' }, 20_000);
    expect(after.status, shown(after)).toBe(200);
    expect(await volumeNames()).toEqual(expect.arrayContaining(['remote-a', 'remote-b']));
    const detail = await admin({ method: 'GET', path: `/v1/gateways/${gatewayId}` });
    expect(detail.status, shown(detail)).toBe(200);
    expect(detail.json).toMatchObject({ id: gatewayId, online: true });
  });
});

describe('activation with a stand-alone control plane (--activation-ttl 2s)', () => {
  let server: ControlPlaneProcess;
  let caFile: string;
  let gw: GatewayProcess;
  let dataDir: string;

  beforeAll(async () => {
    const cpDir = await scope.dir('cp');
    server = await startControlPlaneServer(cpDir, ['--activation-ttl', '2s']);
    servers.push(server);
    caFile = join(cpDir, 'tls', 'ca.crt');
    dataDir = await scope.dir('gw2');
    gw = await scope.start(dataDir, ['--iscsi', 'off']); // no embedded control plane
    expect(gw.controlPlaneUrl).toBeNull();
  });

  it('a key submitted after it expired is ACTIVATION_KEY_EXPIRED, and the gateway stops waiting for it', { timeout: 60_000 }, async () => {
    const failed = await cliFailure(['activate', '--name', 'branch', '--timezone', 'UTC', '--control-plane', server.url, '--ca-file', caFile, '--token', strangerToken(), '--data-dir', dataDir]);
    expect(failed.code).toBe(1);
    expect(failed.lines).toHaveLength(1);
    expect(failed.lines[0]).toMatch(/TOKEN_INVALID/);
    const pending = (await engineStatus(dataDir)).controlPlane.activation;
    expect(pending).toMatchObject({ controlPlaneUrl: server.url });
    expect(Date.parse(pending!.expiresAt) - Date.now()).toBeLessThanOrEqual(2_000);

    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(pending!.expiresAt) - Date.now()) + 300));
    const late = await cpRequest(server.url, server.caPem, { method: 'POST', path: SUBMIT, bearer: server.adminToken, body: jsonBytes({ activationKey: pending!.activationKey, name: 'branch', timezone: 'UTC' }) });
    expectRefusal(late, 410, 'ACTIVATION_KEY_EXPIRED');

    // The gateway's next claim is refused too: it forgets the key and says why.
    const s = await pollFor(
      'the gateway to give up its expired key',
      async () => {
        const c = (await engineStatus(dataDir)).controlPlane;
        return c.activation === null ? c : undefined;
      },
      15_000,
    );
    expect(s.activated).toBe(false);
    expect(s.lastError).toMatch(/ACTIVATION_KEY_EXPIRED/);
  });

  it('activating with --control-plane URL --ca-file then succeeds', async () => {
    const out = JSON.parse(await cliOk(['activate', '--name', 'branch', '--timezone', 'UTC', '--control-plane', server.url, '--ca-file', caFile, '--token', server.adminToken, '--data-dir', dataDir, '--json'])) as Record<string, string>;
    expect(out).toMatchObject({ name: 'branch', controlPlaneUrl: server.url });
    const s = await engineStatus(dataDir);
    expect(s).toMatchObject({ activated: true, controlPlaneConnected: true });
    expect(s.controlPlane).toMatchObject({ gatewayId: out.gatewayId, controlPlaneUrl: server.url, embeddedControlPlaneUrl: null });
    expect(await modeOf(join(dataDir, 'control', 'activation.json'))).toBe(0o600);
  });

  it('register is rate limited per address: RATE_LIMITED (429) with retry-after', async () => {
    // The gateway registered twice already; 20 a minute are allowed.
    const statuses: number[] = [];
    let limited: CpResponse | undefined;
    for (let i = 0; i < 25 && limited === undefined; i++) {
      const k = newTestKey();
      const r = await cpRequest(server.url, server.caPem, signedJson(k, 'POST', REGISTER, registerBody(k, `flood-${i}`)));
      statuses.push(r.status);
      if (r.status === 429) limited = r;
      else expect(r.status, shown(r)).toBe(201);
    }
    expect(limited, `statuses: ${statuses.join(' ')}`).toBeDefined();
    expectRefusal(limited!, 429, 'RATE_LIMITED');
    expect(statuses.length, 'at most 20 registrations a minute, counting the gateway’s 2').toBe(19);
    const retryAfter = Number(limited!.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retry-after ${String(limited!.headers['retry-after'])}`).toBe(true);
    // Unsigned requests are counted too (the limit comes before anything else is looked at).
    expectRefusal(await cpRequest(server.url, server.caPem, { method: 'POST', path: REGISTER, body: jsonBytes({}) }), 429, 'RATE_LIMITED');
  });

  it('failed submissions are rate limited per address, then even a good one waits', async () => {
    // 2 failures so far here (the wrong token, the expired key); the 10th within a minute blocks the address.
    const r = await cpRequest(server.url, server.caPem, signedJson(newTestKey(), 'POST', CLAIM, { activationKey: '0000-0000-0000' }));
    expectRefusal(r, 404, 'ACTIVATION_KEY_UNKNOWN'); // claims are not rate limited
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await cpRequest(server.url, server.caPem, { method: 'POST', path: SUBMIT, bearer: strangerToken(), body: jsonBytes({ activationKey: '0000-0000-0000', name: 'x', timezone: 'UTC' }) });
      codes.push(errorCodeOf(res) ?? String(res.status));
      if (res.status === 429) {
        expectRefusal(res, 429, 'RATE_LIMITED');
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        break;
      }
    }
    expect(codes).toEqual([...Array<string>(8).fill('TOKEN_INVALID'), 'RATE_LIMITED']);
    const good = await cpRequest(server.url, server.caPem, { method: 'POST', path: SUBMIT, bearer: server.adminToken, body: jsonBytes({ activationKey: '0000-0000-0000', name: 'x', timezone: 'UTC' }) });
    expectRefusal(good, 429, 'RATE_LIMITED');
  });
});
