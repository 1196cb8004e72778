import { ErrorCode, TidegateError } from '../errors/index.js';

/**
 * The error to throw when a caller's AbortSignal fired: the signal's reason when it is
 * already a TidegateError, TIMEOUT for `AbortSignal.timeout()`, else SHUTTING_DOWN (callers
 * abort store operations when a volume or the engine stops).
 */
export function abortError(signal: AbortSignal, what: string): TidegateError {
  const reason: unknown = signal.reason;
  if (reason instanceof TidegateError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new TidegateError(ErrorCode.Timeout, `${what}: timed out`, { cause: reason });
  }
  return new TidegateError(ErrorCode.ShuttingDown, `${what}: aborted`, { cause: reason });
}

/** Throws abortError() when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/** Resolves after `ms`, or rejects with abortError() as soon as `signal` fires. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal, what));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal!, what));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
