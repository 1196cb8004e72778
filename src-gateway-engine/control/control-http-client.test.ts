import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { CoreTempDirs } from '../test/support/core-temp-dirs.js';
import { ControlHttpClient } from './control-http-client.js';
import { ControlPlaneError } from './control-plane-error.js';
import { loadOrCreateGatewayKey, type GatewayKey } from './gateway-key.js';
import { startTestControlPlane, type FakeControlPlane } from './test/fake-control-plane.js';
import { makeTestCa, type TestCa } from './test/test-tls.js';
import { checkCaPem, fetchPeerCa } from './tls-trust.js';

const dirs = new CoreTempDirs('control-http');
let cp: FakeControlPlane;
let ca: TestCa;
let key: GatewayKey;

beforeAll(async () => {
  ({ cp, ca } = await startTestControlPlane());
  key = await loadOrCreateGatewayKey(await dirs.make());
});
afterAll(async () => {
  await cp.close();
  await dirs.cleanup();
});

const metadata = { version: '0.1.0', host: 'h', platform: 'linux x64', capacityBytes: 1, localGatewayId: 'gw-local' };

describe('ControlHttpClient', () => {
  it('calls the control plane with a pinned CA and a signed request', async () => {
    const client = new ControlHttpClient({ url: `${cp.url}/`, caPem: ca.caPem });
    expect(client.origin).toBe(cp.url);
    const res = await client.request<{ activationKey: string; expiresAt: string }>({
      method: 'POST',
      path: '/v1/activation/register',
      body: { publicKey: key.publicKeyRaw, metadata },
      sign: { key, identity: { publicKey: key.publicKeyRaw } },
    });
    expect(res.status).toBe(201);
    expect(res.body.activationKey).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
  });

  it('maps an error body to CONTROL_PLANE_REFUSED carrying the control plane code', async () => {
    const client = new ControlHttpClient({ url: cp.url, caPem: ca.caPem });
    const err = await client
      .request({ method: 'POST', path: '/v1/gateways', body: { activationKey: 'X', name: 'n', timezone: 'UTC' }, bearer: 'tg_wrong' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlPlaneError);
    expect(err).toMatchObject({ code: ErrorCode.ControlPlaneRefused, controlCode: 'TOKEN_INVALID', httpStatus: 401, transient: false });
    expect((err as Error).message).toContain('(TOKEN_INVALID)');
  });

  it('a signature made with another key than the one named is refused by the server (SIGNATURE_INVALID)', async () => {
    const other = await loadOrCreateGatewayKey(await dirs.make());
    const client = new ControlHttpClient({ url: cp.url, caPem: ca.caPem });
    await expect(
      client.request({ method: 'POST', path: '/v1/activation/register', body: { publicKey: key.publicKeyRaw, metadata }, sign: { key: other, identity: { publicKey: key.publicKeyRaw } } }),
    ).rejects.toMatchObject({ controlCode: 'SIGNATURE_INVALID', httpStatus: 401 });
  });

  it('refuses a server whose certificate does not chain to the pinned CA (CONTROL_PLANE_UNTRUSTED)', async () => {
    const other = await makeTestCa('another CA');
    const client = new ControlHttpClient({ url: cp.url, caPem: other.caPem });
    const err = await client.request({ method: 'GET', path: '/healthz' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.ControlPlaneUntrusted });
    expect(cp.seen.some((s) => s.path === '/healthz')).toBe(false); // nothing reached the server
  });

  it('reports an unreachable control plane as CONTROL_PLANE_UNAVAILABLE (transient)', async () => {
    const port = await freePort();
    const client = new ControlHttpClient({ url: `https://127.0.0.1:${port}`, caPem: ca.caPem, timeoutMs: 2_000 });
    await expect(client.request({ method: 'GET', path: '/healthz' })).rejects.toMatchObject({ code: ErrorCode.ControlPlaneUnavailable, transient: true });
  });

  it('accepts only https origins', () => {
    expect(() => new ControlHttpClient({ url: 'http://127.0.0.1:9443', caPem: ca.caPem })).toThrow(/https/);
    expect(() => new ControlHttpClient({ url: 'https://127.0.0.1:9443/api', caPem: ca.caPem })).toThrow(/just https/);
  });
});

describe('trust on first use', () => {
  const extra: FakeControlPlane[] = [];
  afterEach(async () => {
    for (const c of extra.splice(0)) await c.close();
  });

  it('takes the self-signed root of the chain the server presents', async () => {
    const pem = await fetchPeerCa(cp.url, 5_000);
    expect(new X509Certificate(pem).fingerprint256).toBe(new X509Certificate(ca.caPem).fingerprint256);
    // Pinned, it verifies the server with the usual host-name check.
    const client = new ControlHttpClient({ url: cp.url, caPem: pem });
    await expect(client.request({ method: 'GET', path: '/nowhere' })).rejects.toMatchObject({ controlCode: 'NOT_FOUND' });
  });

  it('pins the certificate it saw when the server sends no CA certificate, and only that one', async () => {
    const { cp: leafOnly, ca: leafCa } = await startTestControlPlane({ leafOnly: true });
    extra.push(leafOnly);
    const pem = await fetchPeerCa(leafOnly.url, 5_000);
    const pinned = new X509Certificate(pem);
    expect(pinned.ca).toBe(false); // the server's own certificate
    expect(pinned.checkIssued(new X509Certificate(leafCa.caPem))).toBe(true);
    const client = new ControlHttpClient({ url: leafOnly.url, caPem: pem });
    await expect(client.request({ method: 'GET', path: '/nowhere' })).rejects.toMatchObject({ controlCode: 'NOT_FOUND' });
    // Another certificate of the same CA is not what was pinned.
    const sibling = (await leafCa.issueServer()).certPem;
    await expect(new ControlHttpClient({ url: leafOnly.url, caPem: sibling }).request({ method: 'GET', path: '/nowhere' })).rejects.toMatchObject({
      code: ErrorCode.ControlPlaneUntrusted,
    });
    // The server's CA still verifies it, as after activation.
    await expect(new ControlHttpClient({ url: leafOnly.url, caPem: leafCa.caPem }).request({ method: 'GET', path: '/nowhere' })).rejects.toMatchObject({ controlCode: 'NOT_FOUND' });
  });

  it('reports an unreachable server as unavailable', async () => {
    await expect(fetchPeerCa(`https://127.0.0.1:${await freePort()}`, 2_000)).rejects.toMatchObject({ code: ErrorCode.ControlPlaneUnavailable });
  });
});

describe('checkCaPem', () => {
  it('accepts one or more certificates and refuses anything else', () => {
    expect(checkCaPem(ca.caPem)).toContain('-----BEGIN CERTIFICATE-----');
    expect(checkCaPem(`junk\n${ca.caPem}\n${ca.caPem}`).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(() => checkCaPem('nothing')).toThrow(/no PEM certificate/);
    expect(() => checkCaPem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow(/not a valid certificate/);
  });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
