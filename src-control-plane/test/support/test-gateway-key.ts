/**
 * A gateway identity for tests: an Ed25519 key pair and the spec's signed-request headers
 * (docs/control-plane.md § Signed requests), written independently of the server's verifier.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/** Signed-request headers. */
export type SignedHeaders = Record<string, string>;

/** A test gateway's key. */
export interface TestGatewayKey {
  /** Raw 32-byte public key, base64url. */
  publicKey: string;
  privateKey: KeyObject;
  /**
   * Headers for one request. `as` picks the identity header: the raw key (before activation)
   * or a gateway id. `timestamp` and `nonce` may be forced to test refusals.
   */
  sign(method: string, pathWithQuery: string, body: string | Buffer, as: { key: true } | { gatewayId: string }, overrides?: { timestamp?: number; nonce?: string }): SignedHeaders;
}

/** A fresh Ed25519 identity. */
export function newTestGatewayKey(): TestGatewayKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
  return {
    publicKey: raw,
    privateKey,
    sign(method, pathWithQuery, body, as, overrides = {}) {
      const timestamp = String(overrides.timestamp ?? Date.now());
      const nonce = overrides.nonce ?? randomBytes(16).toString('base64url');
      const bodyHash = createHash('sha256').update(typeof body === 'string' ? Buffer.from(body) : body).digest('hex');
      const payload = `TIDEGATE-ED25519-V1\n${method}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${bodyHash}`;
      const signature = sign(null, Buffer.from(payload), privateKey).toString('base64url');
      return {
        ...('key' in as ? { 'x-tidegate-key': raw } : { 'x-tidegate-gateway': as.gatewayId }),
        'x-tidegate-timestamp': timestamp,
        'x-tidegate-nonce': nonce,
        'x-tidegate-signature': signature,
      };
    },
  };
}

/** Registration metadata a test gateway sends. */
export function testGatewayMetadata(host = 'test-host'): { version: string; host: string; platform: string; capacityBytes: number; localGatewayId: string } {
  return { version: '0.1.0', host, platform: 'linux', capacityBytes: 1 << 30, localGatewayId: `local-${randomBytes(4).toString('hex')}` };
}
