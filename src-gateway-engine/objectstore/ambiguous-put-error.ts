import { ErrorCode, TidegateError } from '../errors/index.js';

/**
 * PRECONDITION_FAILED for a conditional put whose outcome is unknown: an earlier attempt
 * failed transiently (so it may have been stored after all), a retry found the key taken,
 * and reading the key back to compare failed too. The caller must treat the object as
 * possibly its own — e.g. read it again later — rather than as certainly someone else's.
 */
export class AmbiguousPutError extends TidegateError {
  /** Always true: our own earlier attempt may be the object that now exists. */
  readonly mayHaveSucceeded = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.PreconditionFailed, message, options);
    this.name = 'AmbiguousPutError';
  }
}

/** True for a conditional put that may have been stored by an earlier attempt. */
export function isAmbiguousPut(err: unknown): err is AmbiguousPutError {
  return err instanceof AmbiguousPutError;
}
