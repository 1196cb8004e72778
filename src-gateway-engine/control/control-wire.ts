/**
 * The wire contract between a gateway and its control plane: types only, so the control plane
 * can `import type` it (DESIGN.md §1). The protocol itself is specified in docs/control-plane.md;
 * this file mirrors it. Bump `ControlProtocolVersion` on any incompatible change.
 *
 * HTTP (JSON bodies) for activation; one WebSocket per gateway (`GET /v1/connect`) afterwards.
 * Every gateway request is signed with the gateway's Ed25519 key (see `SignedRequestHeaders`).
 */
import type { EngineCommand, EngineStatus } from '../runtime/engine-commands.js';

export type ControlProtocolVersion = 1;

/**
 * Headers of a signed gateway request. The signature is Ed25519 over the UTF-8 bytes of
 *   `TIDEGATE-ED25519-V1\n${METHOD}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${sha256hex(body)}`
 * (body = the exact request bytes; empty for GET). The server accepts a timestamp within
 * ±5 minutes of its clock and each nonce once within that window.
 */
export interface SignedRequestHeaders {
  /** Before activation: the raw 32-byte Ed25519 public key, base64url. */
  'x-tidegate-key'?: string;
  /** After activation: the gateway id the control plane assigned. */
  'x-tidegate-gateway'?: string;
  /** Milliseconds since the epoch, decimal. */
  'x-tidegate-timestamp': string;
  /** 16 random bytes, base64url. */
  'x-tidegate-nonce': string;
  /** The Ed25519 signature, base64url. */
  'x-tidegate-signature': string;
}

/** What a gateway says about itself when it asks for an activation key. */
export interface GatewayMetadata {
  version: string;
  host: string;
  platform: string;
  /** Cache plus upload-buffer capacity, bytes. */
  capacityBytes: number;
  /** The gateway's local id (its fencing identity in the object store). */
  localGatewayId: string;
}

/** `POST /v1/activation/register` (signed with `x-tidegate-key`). */
export interface ActivationRegisterRequest {
  publicKey: string;
  metadata: GatewayMetadata;
}

/** 201 answer to register: the key the customer types into the console or CLI. */
export interface ActivationRegisterResponse {
  /** e.g. `K7QF-M2XD-9TRC`: 12 characters of Crockford base32 in groups of four. */
  activationKey: string;
  expiresAt: string;
}

/** `POST /v1/gateways` (admin, Bearer token): bind an activation key to the caller's account. */
export interface ActivateGatewayRequest {
  activationKey: string;
  name: string;
  /** IANA time zone, e.g. `Europe/Paris`. */
  timezone: string;
}

/** `POST /v1/activation/claim` (signed with `x-tidegate-key`). */
export interface ActivationClaimRequest {
  activationKey: string;
}

/** 202 while the administrator has not submitted the key yet. */
export interface ActivationPending {
  state: 'pending';
  expiresAt: string;
}

/** 200 once activated: the gateway's credentials. */
export interface ActivationCredentials {
  state: 'activated';
  gatewayId: string;
  accountId: string;
  name: string;
  timezone: string;
  /** The control plane's CA (PEM). The gateway pins it: later TLS connections must chain to it. */
  caCertPem: string;
  /** Path of the management WebSocket on the same origin. */
  connectPath: '/v1/connect';
}

/** Error body of every non-2xx HTTP answer, and of a refused WebSocket upgrade. */
export interface ControlErrorBody {
  error: { code: ControlErrorCode; message: string };
}

/** Stable error codes of the control plane's HTTP API. */
export type ControlErrorCode =
  | 'INVALID_ARGUMENT'
  | 'AUTH_REQUIRED'
  | 'TOKEN_INVALID'
  | 'ACCOUNT_UNKNOWN'
  | 'ACTIVATION_KEY_UNKNOWN'
  | 'ACTIVATION_KEY_EXPIRED'
  | 'ACTIVATION_KEY_USED'
  | 'PUBLIC_KEY_MISMATCH'
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_INVALID'
  | 'REQUEST_EXPIRED'
  | 'NONCE_REPLAYED'
  | 'GATEWAY_UNKNOWN'
  | 'GATEWAY_OFFLINE'
  | 'GATEWAY_TIMEOUT'
  | 'GATEWAY_ERROR'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'INTERNAL';

/** Commands a control plane may send a gateway: the engine's command API, minus local-only ones. */
export type RemoteCommand = Exclude<EngineCommand, 'recover' | 'control.activate' | 'control.status'>;

/** One status sample, pushed by the gateway every `statusIntervalMs`. */
export interface StatusSample {
  /** ISO time at the gateway. */
  at: string;
  version: string;
  /** Percent of CPU time the host spent waiting for local disk I/O over the last interval (Linux /proc/stat; 0 elsewhere). */
  IoWaitPercent: number;
  cache: EngineStatus['cache'];
  uploadBuffer: EngineStatus['uploadBuffer'];
  volumes: Array<{
    name: string;
    state: 'available' | 'degraded' | 'throttled' | 'failed';
    error: string | null;
    TimeSinceLastRecoveryPoint: number;
    QueuedWrites: number;
    UploadBufferPercentUsed: number;
    ReadBytes: number;
    WriteBytes: number;
    ReadOps: number;
    WriteOps: number;
  }>;
  /** Error-level log lines since the previous sample (at most 20), for cross-gateway analysis. */
  errors: Array<{ at: string; code: string | null; message: string }>;
}

/** An alert as the control plane reports it (to the admin API and to the gateway). */
export interface AlertRecord {
  id: string;
  /** The rule that raised it, e.g. `upload-buffer-high`, `gateway-offline`, `fleet-error`. */
  rule: string;
  severity: 'info' | 'warning' | 'critical';
  /** Null for fleet-wide alerts. */
  gatewayId: string | null;
  /** The volume, when the rule is per volume. */
  volume: string | null;
  message: string;
  state: 'open' | 'closed';
  openedAt: string;
  closedAt: string | null;
  /** The value that crossed the threshold, when there is one. */
  value: number | null;
}

/** Control plane → gateway, on the WebSocket. */
export type ServerMessage =
  | { type: 'welcome'; protocol: ControlProtocolVersion; serverId: string; gatewayId: string; heartbeatMs: number; statusIntervalMs: number }
  | { type: 'request'; id: string; method: RemoteCommand; params: unknown; deadline: number }
  | { type: 'alerts'; alerts: AlertRecord[] };

/** Gateway → control plane, on the WebSocket. */
export type GatewayMessage =
  | { type: 'reply'; id: string; gatewayId: string; ok: true; result: unknown }
  | { type: 'reply'; id: string; gatewayId: string; ok: false; error: { code: string; message: string } }
  | { type: 'status'; sample: StatusSample };
