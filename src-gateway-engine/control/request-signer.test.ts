import { createHash, verify } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreTempDirs } from '../test/support/core-temp-dirs.js';
import { loadOrCreateGatewayKey, publicKeyFromRaw } from './gateway-key.js';
import { canonicalRequestString, signRequest } from './request-signer.js';

const dirs = new CoreTempDirs('signer');
afterEach(() => dirs.cleanup());

describe('request signer', () => {
  it('builds the canonical string exactly as docs/control-plane.md specifies', () => {
    const body = Buffer.from('{"activationKey":"K7QF-M2XD-9TRC"}');
    const s = canonicalRequestString('post', '/v1/activation/claim?x=1', '1767225600000', 'AAECAwQFBgcICQoLDA0ODw', body);
    expect(s).toBe(
      `TIDEGATE-ED25519-V1\nPOST\n/v1/activation/claim?x=1\n1767225600000\nAAECAwQFBgcICQoLDA0ODw\n${createHash('sha256').update(body).digest('hex')}`,
    );
    // An empty body hashes as the empty string does.
    expect(canonicalRequestString('GET', '/v1/connect', '1', 'n', new Uint8Array(0)).split('\n')[5]).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('signs with the key; node:crypto verifies it over the canonical string', async () => {
    const key = await loadOrCreateGatewayKey(await dirs.make());
    const body = Buffer.from(JSON.stringify({ a: 1 }));
    const now = 1_767_225_600_123;
    const h = signRequest(key, { publicKey: key.publicKeyRaw }, 'POST', '/v1/activation/register', body, now);
    expect(h['x-tidegate-key']).toBe(key.publicKeyRaw);
    expect(h['x-tidegate-gateway']).toBeUndefined();
    expect(h['x-tidegate-timestamp']).toBe('1767225600123');
    expect(Buffer.from(h['x-tidegate-nonce'], 'base64url')).toHaveLength(16);
    const canonical = canonicalRequestString('POST', '/v1/activation/register', h['x-tidegate-timestamp'], h['x-tidegate-nonce'], body);
    expect(verify(null, Buffer.from(canonical), publicKeyFromRaw(key.publicKeyRaw), Buffer.from(h['x-tidegate-signature'], 'base64url'))).toBe(true);
    // Any change to what was signed breaks it.
    const tampered = canonicalRequestString('POST', '/v1/activation/register', h['x-tidegate-timestamp'], h['x-tidegate-nonce'], Buffer.from('{"a":2}'));
    expect(verify(null, Buffer.from(tampered), publicKeyFromRaw(key.publicKeyRaw), Buffer.from(h['x-tidegate-signature'], 'base64url'))).toBe(false);
  });

  it('names the gateway by id after activation, with a fresh nonce and the current time', async () => {
    const key = await loadOrCreateGatewayKey(await dirs.make());
    const before = Date.now();
    const a = signRequest(key, { gatewayId: 'gw_1' }, 'GET', '/v1/connect');
    const b = signRequest(key, { gatewayId: 'gw_1' }, 'GET', '/v1/connect');
    expect(a['x-tidegate-gateway']).toBe('gw_1');
    expect(a['x-tidegate-key']).toBeUndefined();
    expect(a['x-tidegate-nonce']).not.toBe(b['x-tidegate-nonce']);
    expect(Number(a['x-tidegate-timestamp'])).toBeGreaterThanOrEqual(before);
    expect(Number(a['x-tidegate-timestamp'])).toBeLessThanOrEqual(Date.now());
  });
});
