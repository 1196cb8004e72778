/**
 * The control plane's catalogue of stable error codes and the HTTP status each one answers
 * with (docs/control-plane.md). Every refusal — an HTTP route, a refused WebSocket upgrade, a
 * forwarded command — is a ControlError; the wire mapping lives here and nowhere else.
 */
import type { ControlErrorBody, ControlErrorCode } from '../../src-gateway-engine/control/control-wire.js';

/** HTTP status of each error code, as the spec's tables give them. */
export const CONTROL_ERROR_STATUS: Readonly<Record<ControlErrorCode, number>> = Object.freeze({
  INVALID_ARGUMENT: 400,
  AUTH_REQUIRED: 401,
  TOKEN_INVALID: 401,
  ACCOUNT_UNKNOWN: 401,
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  REQUEST_EXPIRED: 401,
  NONCE_REPLAYED: 401,
  PUBLIC_KEY_MISMATCH: 403,
  ACTIVATION_KEY_UNKNOWN: 404,
  GATEWAY_UNKNOWN: 404,
  NOT_FOUND: 404,
  ACTIVATION_KEY_USED: 409,
  ACTIVATION_KEY_EXPIRED: 410,
  GATEWAY_ERROR: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  GATEWAY_OFFLINE: 503,
  GATEWAY_TIMEOUT: 504,
});

/** Extra fields of an error body: `engineCode` for GATEWAY_ERROR. */
export interface ControlErrorDetails {
  /** The engine's own error code, when a gateway answered a command with an error. */
  engineCode?: string;
}

/** An answer the control plane refuses with: a stable code, one human line, and its HTTP status. */
export class ControlError extends Error {
  readonly code: ControlErrorCode;
  readonly httpStatus: number;
  readonly details: ControlErrorDetails;
  /** For RATE_LIMITED: seconds the client should wait (sent as `retry-after`). */
  readonly retryAfterSeconds: number | null;

  constructor(code: ControlErrorCode, message: string, options: { httpStatus?: number; details?: ControlErrorDetails; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ControlError';
    this.code = code;
    this.httpStatus = options.httpStatus ?? CONTROL_ERROR_STATUS[code];
    this.details = options.details ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }

  /** The JSON body of the answer. */
  toBody(): ControlErrorBody & { error: ControlErrorDetails } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

/** A RATE_LIMITED error whose `retry-after` is `retryAfterMs` rounded up to whole seconds (at least 1). */
export function rateLimitedError(what: string, retryAfterMs: number): ControlError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new ControlError('RATE_LIMITED', `too many ${what}; retry in ${seconds} s`, { retryAfterSeconds: seconds });
}
