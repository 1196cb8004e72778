import type { ErrorCode } from './error-codes.js';

/** An error with a stable code from the catalogue; `message` is one clear line for humans. */
export class TidegateError extends Error {
  readonly code: ErrorCode;
  /** Transient errors may succeed when retried (store timeouts, 5xx, throttling). */
  readonly transient: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; transient?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TidegateError';
    this.code = code;
    this.transient = options?.transient ?? false;
  }
}

/** True when `err` is a TidegateError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): err is TidegateError {
  return err instanceof TidegateError && err.code === code;
}
