/**
 * Signs gateway requests as docs/control-plane.md § Signed requests specifies: Ed25519 over
 *
 *   TIDEGATE-ED25519-V1\n<METHOD>\n<path with query>\n<timestamp>\n<nonce>\n<sha256 hex of the body>
 *
 * with a fresh 16-byte nonce and the time in ms, so the server can refuse replays and stale
 * requests. Before activation the gateway names itself by its public key (`x-tidegate-key`),
 * afterwards by its gateway id (`x-tidegate-gateway`).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SignedRequestHeaders } from './control-wire.js';
import type { GatewayKey } from './gateway-key.js';

/** First line of every canonical string: names the scheme and its version. */
export const SIGNATURE_SCHEME = 'TIDEGATE-ED25519-V1';

/** Who the signer says it is. */
export type SignerIdentity = { publicKey: string } | { gatewayId: string };

/** The exact string that is signed (and that the server rebuilds to verify). */
export function canonicalRequestString(method: string, pathWithQuery: string, timestamp: string, nonce: string, body: Uint8Array): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return `${SIGNATURE_SCHEME}\n${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${bodyHash}`;
}

/** The signed headers of one request; `body` is the exact bytes sent (empty for GET and upgrades). */
export function signRequest(
  key: GatewayKey,
  identity: SignerIdentity,
  method: string,
  pathWithQuery: string,
  body: Uint8Array = new Uint8Array(0),
  now: number = Date.now(),
): SignedRequestHeaders {
  const timestamp = String(Math.trunc(now));
  const nonce = randomBytes(16).toString('base64url');
  const signature = key.sign(Buffer.from(canonicalRequestString(method, pathWithQuery, timestamp, nonce, body), 'utf8'));
  return {
    ...('publicKey' in identity ? { 'x-tidegate-key': identity.publicKey } : { 'x-tidegate-gateway': identity.gatewayId }),
    'x-tidegate-timestamp': timestamp,
    'x-tidegate-nonce': nonce,
    'x-tidegate-signature': signature,
  };
}
