import { ErrorCode, TidegateError } from '../errors/index.js';
import type { ControlErrorBody } from './control-wire.js';

/**
 * An error answer of the control plane, or a failure to reach it. `code` is the engine's
 * catalogue code (CONTROL_PLANE_REFUSED / _UNAVAILABLE / _UNTRUSTED); `controlCode` keeps the
 * control plane's own stable code (`ACTIVATION_KEY_EXPIRED`, `GATEWAY_UNKNOWN`…) for callers
 * that act on it.
 */
export class ControlPlaneError extends TidegateError {
  /** The control plane's error code, when it answered with one. */
  readonly controlCode: string | null;
  /** The HTTP status, when there was an answer. */
  readonly httpStatus: number | null;
  /** How long the server asked us to wait (429 `retry-after`), in ms. */
  readonly retryAfterMs: number | null;

  constructor(
    code: ErrorCode,
    message: string,
    details: { controlCode?: string | null; httpStatus?: number | null; retryAfterMs?: number | null; transient?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, { transient: details.transient ?? false, ...(details.cause !== undefined ? { cause: details.cause } : {}) });
    this.name = 'ControlPlaneError';
    this.controlCode = details.controlCode ?? null;
    this.httpStatus = details.httpStatus ?? null;
    this.retryAfterMs = details.retryAfterMs ?? null;
  }
}

/** True when `err` is a ControlPlaneError carrying the control plane's code `controlCode`. */
export function hasControlCode(err: unknown, controlCode: string): err is ControlPlaneError {
  return err instanceof ControlPlaneError && err.controlCode === controlCode;
}

/**
 * The error for a non-2xx answer. 5xx is UNAVAILABLE (transient); 429 is REFUSED but
 * transient; every other status is REFUSED. `what` names the call ("POST /v1/gateways").
 */
export function controlPlaneErrorFromResponse(status: number, body: unknown, retryAfter: string | undefined, what: string): ControlPlaneError {
  const parsed = parseErrorBody(body);
  const retryAfterMs = parseRetryAfter(retryAfter);
  const detail = parsed ? `${parsed.message} (${parsed.code})` : `HTTP ${status}`;
  if (status >= 500) {
    return new ControlPlaneError(ErrorCode.ControlPlaneUnavailable, `the control plane failed ${what}: ${detail}`, {
      controlCode: parsed?.code ?? null,
      httpStatus: status,
      retryAfterMs,
      transient: true,
    });
  }
  return new ControlPlaneError(ErrorCode.ControlPlaneRefused, `the control plane refused ${what}: ${detail}`, {
    controlCode: parsed?.code ?? null,
    httpStatus: status,
    retryAfterMs,
    transient: status === 429,
  });
}

/** `{error:{code,message}}`, or null when the body is something else. */
export function parseErrorBody(body: unknown): ControlErrorBody['error'] | null {
  if (typeof body !== 'object' || body === null) return null;
  const e = (body as { error?: unknown }).error;
  if (typeof e !== 'object' || e === null) return null;
  const { code, message } = e as { code?: unknown; message?: unknown };
  if (typeof code !== 'string') return null;
  return { code: code as ControlErrorBody['error']['code'], message: typeof message === 'string' ? message : code };
}

function parseRetryAfter(value: string | undefined): number | null {
  if (value === undefined) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
