/**
 * Signed gateway requests (docs/control-plane.md § Signed requests). Headers:
 *
 *   x-tidegate-key        before activation: raw Ed25519 public key, base64url   (or)
 *   x-tidegate-gateway    after activation: the gateway id
 *   x-tidegate-timestamp  ms since the epoch, decimal
 *   x-tidegate-nonce      16 random bytes, base64url
 *   x-tidegate-signature  Ed25519, base64url, over
 *     TIDEGATE-ED25519-V1\n<METHOD>\n<path with query>\n<timestamp>\n<nonce>\n<sha256 hex of the body bytes>
 *
 * Checks, in this order, each failure its own code: every header present (SIGNATURE_MISSING),
 * timestamp within ±5 minutes (REQUEST_EXPIRED), signer known (GATEWAY_UNKNOWN for a gateway
 * id), signature valid (SIGNATURE_INVALID), nonce not seen within the window (NONCE_REPLAYED).
 * The nonce is remembered last, so a forged request cannot burn a real client's nonce.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { NonceStore } from '../state/control-plane-state.js';
import { ControlError } from '../errors/control-error.js';

/** First line of every signed payload. */
export const SIGNATURE_SCHEME = 'TIDEGATE-ED25519-V1';
/** How far a request timestamp may be from the server's clock, either way. */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;
/** A nonce is remembered for the whole span of timestamps that could still be accepted. */
export const NONCE_TTL_MS = 2 * SIGNATURE_WINDOW_MS;

/** Who signs: a not-yet-activated key, or an activated gateway. */
export type SignerKind = 'key' | 'gateway';

/** What the server needs to check one request. */
export interface SignedRequest {
  method: string;
  /** The request target exactly as sent: path and query. */
  pathWithQuery: string;
  headers: IncomingHttpHeaders;
  /** Exact body bytes (empty for GET and upgrades). */
  body: Buffer;
}

/** A request that passed every check. */
export interface VerifiedSigner {
  kind: SignerKind;
  /** The raw public key (base64url) that signed. */
  publicKey: string;
  /** For kind 'gateway': the gateway id. */
  gatewayId: string | null;
}

/** Options of `verifySignedRequest`. */
export interface VerifySignatureOptions {
  /** Which identity header the endpoint takes. */
  signer: SignerKind;
  nonces: NonceStore;
  /** For signer 'gateway': the gateway's raw public key, or null when the id is unknown (→ GATEWAY_UNKNOWN). */
  publicKeyOfGateway?: (gatewayId: string) => Promise<string | null>;
  /** Server clock, ms (default Date.now). */
  now?: number;
}

const NONCE_RE = /^[A-Za-z0-9_-]{16,64}$/;
const TIMESTAMP_RE = /^\d{1,16}$/;
const RAW_KEY_RE = /^[A-Za-z0-9_-]{43}$/;

/** The exact bytes a gateway signs. */
export function signaturePayload(method: string, pathWithQuery: string, timestamp: string, nonce: string, body: Buffer): Buffer {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return Buffer.from(`${SIGNATURE_SCHEME}\n${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${bodyHash}`, 'utf8');
}

/** A node:crypto key for a raw 32-byte Ed25519 public key in base64url; null when it is not one. */
export function ed25519PublicKey(rawBase64url: string): KeyObject | null {
  if (!RAW_KEY_RE.test(rawBase64url) || Buffer.from(rawBase64url, 'base64url').length !== 32) return null;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: rawBase64url }, format: 'jwk' });
  } catch {
    return null;
  }
}

/** True for a well-formed raw Ed25519 public key (base64url of 32 bytes). */
export function isRawEd25519PublicKey(text: unknown): text is string {
  return typeof text === 'string' && ed25519PublicKey(text) !== null;
}

/** Check a signed request; throws the ControlError of the first check that fails. */
export async function verifySignedRequest(request: SignedRequest, options: VerifySignatureOptions): Promise<VerifiedSigner> {
  const header = (name: string): string | null => {
    const v = request.headers[name];
    return typeof v === 'string' && v !== '' ? v : null;
  };
  const identityHeader = options.signer === 'key' ? 'x-tidegate-key' : 'x-tidegate-gateway';
  const identity = header(identityHeader);
  const timestamp = header('x-tidegate-timestamp');
  const nonce = header('x-tidegate-nonce');
  const signature = header('x-tidegate-signature');
  if (identity === null || timestamp === null || nonce === null || signature === null) {
    const missing = [identityHeader, 'x-tidegate-timestamp', 'x-tidegate-nonce', 'x-tidegate-signature'].filter((h) => header(h) === null);
    throw new ControlError('SIGNATURE_MISSING', `this request must be signed; missing ${missing.join(', ')}`);
  }
  if (!TIMESTAMP_RE.test(timestamp)) throw new ControlError('SIGNATURE_INVALID', 'x-tidegate-timestamp must be milliseconds since the epoch');
  if (!NONCE_RE.test(nonce)) throw new ControlError('SIGNATURE_INVALID', 'x-tidegate-nonce must be 16 random bytes in base64url');
  const now = options.now ?? Date.now();
  const skew = Number(timestamp) - now;
  if (Math.abs(skew) > SIGNATURE_WINDOW_MS) {
    throw new ControlError('REQUEST_EXPIRED', `the request timestamp is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'old' : 'in the future'}; check the gateway's clock (at most ${SIGNATURE_WINDOW_MS / 60_000} minutes apart)`);
  }

  let publicKey: string;
  if (options.signer === 'key') {
    publicKey = identity;
  } else {
    if (!options.publicKeyOfGateway) throw new Error('verifySignedRequest: publicKeyOfGateway is required for gateway signers');
    const known = await options.publicKeyOfGateway(identity);
    if (known === null) throw new ControlError('GATEWAY_UNKNOWN', `no gateway ${JSON.stringify(identity)} is activated here`);
    publicKey = known;
  }
  const key = ed25519PublicKey(publicKey);
  if (key === null) throw new ControlError('SIGNATURE_INVALID', 'x-tidegate-key must be a raw Ed25519 public key (32 bytes, base64url)');
  const signatureBytes = Buffer.from(signature, 'base64url');
  const payload = signaturePayload(request.method, request.pathWithQuery, timestamp, nonce, request.body);
  if (signatureBytes.length !== 64 || !verify(null, payload, key, signatureBytes)) {
    throw new ControlError('SIGNATURE_INVALID', 'the request signature does not verify');
  }
  if (!(await options.nonces.remember(`${publicKey}:${nonce}`, NONCE_TTL_MS))) {
    throw new ControlError('NONCE_REPLAYED', 'this request was already received (its nonce was used before)');
  }
  return { kind: options.signer, publicKey, gatewayId: options.signer === 'gateway' ? identity : null };
}
