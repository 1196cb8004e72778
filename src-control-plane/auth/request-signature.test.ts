import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ControlError } from '../errors/control-error.js';
import type { NonceStore } from '../state/index.js';
import { newTestGatewayKey } from '../test/support/test-gateway-key.js';
import { ed25519PublicKey, signaturePayload, verifySignedRequest, NONCE_TTL_MS } from './request-signature.js';

function memoryNonces(): NonceStore & { seen: Map<string, number> } {
  const seen = new Map<string, number>();
  return {
    seen,
    async remember(nonce, ttlMs) {
      if (seen.has(nonce)) return false;
      seen.set(nonce, ttlMs);
      return true;
    },
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!(err instanceof ControlError)) throw new Error(`expected a ControlError, got ${String(err)}`);
  return err.code;
}

describe('signed requests', () => {
  it('the payload is the spec\'s six lines with the body hash in hex', () => {
    const body = Buffer.from('{"a":1}');
    expect(signaturePayload('post', '/v1/x?y=1', '123', 'nnn', body).toString()).toBe(`TIDEGATE-ED25519-V1\nPOST\n/v1/x?y=1\n123\nnnn\n${createHash('sha256').update(body).digest('hex')}`);
  });

  it('turns a raw base64url Ed25519 key into a KeyObject, and refuses anything else', () => {
    const key = newTestGatewayKey();
    expect(ed25519PublicKey(key.publicKey)?.asymmetricKeyType).toBe('ed25519');
    expect(ed25519PublicKey(key.publicKey.slice(1))).toBeNull();
    expect(ed25519PublicKey(`${key.publicKey.slice(0, -1)}!`)).toBeNull();
  });

  it('accepts a request signed by the key; remembers its nonce with the window TTL', async () => {
    const key = newTestGatewayKey();
    const nonces = memoryNonces();
    const headers = key.sign('POST', '/v1/activation/register', '{}', { key: true });
    const signer = await verifySignedRequest({ method: 'POST', pathWithQuery: '/v1/activation/register', headers, body: Buffer.from('{}') }, { signer: 'key', nonces });
    expect(signer).toEqual({ kind: 'key', publicKey: key.publicKey, gatewayId: null });
    expect([...nonces.seen.values()]).toEqual([NONCE_TTL_MS]);
  });

  it('checks a gateway signer against its stored key; unknown ids are GATEWAY_UNKNOWN', async () => {
    const key = newTestGatewayKey();
    const headers = key.sign('GET', '/v1/connect', '', { gatewayId: 'gw-1' });
    const lookup = async (id: string) => (id === 'gw-1' ? key.publicKey : null);
    const request = { method: 'GET', pathWithQuery: '/v1/connect', headers, body: Buffer.alloc(0) };
    expect(await verifySignedRequest(request, { signer: 'gateway', nonces: memoryNonces(), publicKeyOfGateway: lookup })).toEqual({ kind: 'gateway', publicKey: key.publicKey, gatewayId: 'gw-1' });
    const other = key.sign('GET', '/v1/connect', '', { gatewayId: 'gw-2' });
    expect(await codeOf(verifySignedRequest({ ...request, headers: other }, { signer: 'gateway', nonces: memoryNonces(), publicKeyOfGateway: lookup }))).toBe('GATEWAY_UNKNOWN');
  });

  it('each failure has its own code', async () => {
    const key = newTestGatewayKey();
    const body = Buffer.from('{"x":1}');
    const verify = (headers: Record<string, string>, nonces = memoryNonces(), now?: number) =>
      codeOf(verifySignedRequest({ method: 'POST', pathWithQuery: '/p', headers, body }, { signer: 'key', nonces, ...(now === undefined ? {} : { now }) }));
    const good = key.sign('POST', '/p', body, { key: true });
    for (const missing of ['x-tidegate-key', 'x-tidegate-timestamp', 'x-tidegate-nonce', 'x-tidegate-signature']) {
      const { [missing]: _gone, ...rest } = good;
      expect(await verify(rest), missing).toBe('SIGNATURE_MISSING');
    }
    // Signed with x-tidegate-gateway where x-tidegate-key is expected.
    expect(await verify(key.sign('POST', '/p', body, { gatewayId: 'gw-1' }))).toBe('SIGNATURE_MISSING');
    expect(await verify({ ...good, 'x-tidegate-signature': Buffer.alloc(64).toString('base64url') })).toBe('SIGNATURE_INVALID');
    expect(await verify({ ...good, 'x-tidegate-signature': 'short' })).toBe('SIGNATURE_INVALID');
    expect(await verify({ ...good, 'x-tidegate-timestamp': 'yesterday' })).toBe('SIGNATURE_INVALID');
    expect(await verify({ ...good, 'x-tidegate-nonce': '!!' })).toBe('SIGNATURE_INVALID');
    expect(await verify(key.sign('POST', '/p', body, { key: true }), memoryNonces(), Date.now() + 5 * 60_000 + 5_000)).toBe('REQUEST_EXPIRED');
    expect(await verify(key.sign('POST', '/p', body, { key: true }, { timestamp: Date.now() + 6 * 60_000 }))).toBe('REQUEST_EXPIRED');
    const nonces = memoryNonces();
    const once = key.sign('POST', '/p', body, { key: true });
    await verifySignedRequest({ method: 'POST', pathWithQuery: '/p', headers: once, body }, { signer: 'key', nonces });
    expect(await verify(once, nonces)).toBe('NONCE_REPLAYED');
  });

  it('a forged request does not burn the nonce of a real one', async () => {
    const key = newTestGatewayKey();
    const nonces = memoryNonces();
    const real = key.sign('POST', '/p', '', { key: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = { ...real, 'x-tidegate-signature': sign(null, Buffer.from('whatever'), privateKey).toString('base64url') };
    expect(await codeOf(verifySignedRequest({ method: 'POST', pathWithQuery: '/p', headers: forged, body: Buffer.alloc(0) }, { signer: 'key', nonces }))).toBe('SIGNATURE_INVALID');
    await expect(verifySignedRequest({ method: 'POST', pathWithQuery: '/p', headers: real, body: Buffer.alloc(0) }, { signer: 'key', nonces })).resolves.toMatchObject({ kind: 'key' });
  });
});
