/**
 * A filter that retries an inner store's transient failures (timeouts, 5xx, throttling,
 * unreachable endpoint) with exponential backoff and full jitter, bounded by a number of
 * attempts and by a deadline per operation. Every other error passes through at once.
 *
 * Retrying is safe because every ObjectStore operation is idempotent — except a
 * conditional put (`ifNoneMatch`). When an attempt failed transiently, that attempt may
 * still have stored the object (the answer was lost, not the write), so a later attempt's
 * PRECONDITION_FAILED may be our own earlier write. We then read the object back:
 *  - it holds exactly our bytes → the put succeeded (an object with identical bytes has
 *    the same effect; callers that must know *who* wrote put a writer id in the body, as
 *    a fencing token does);
 *  - it holds other bytes → PRECONDITION_FAILED, a lost race as usual;
 *  - it cannot be read → AmbiguousPutError (code PRECONDITION_FAILED, `mayHaveSucceeded`),
 *    so the caller can tell "someone else won" from "we do not know".
 */
import { ErrorCode, TidegateError } from '../errors/index.js';
import { abortableSleep } from './abort-error.js';
import { AmbiguousPutError } from './ambiguous-put-error.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { ByteRange, ObjectInfo, ObjectStore, PutOptions, PutResult } from './object-store.js';

/** What a RetryingStore reports before each retry (for logs and metrics). */
export interface RetryEvent {
  operation: string;
  key: string;
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  error: TidegateError;
}

/** Settings of a RetryingStore. */
export interface RetryOptions extends BackoffOptions {
  /** Attempts per operation, the first included. Default 8. */
  maxAttempts?: number;
  /** No retry starts later than this after the operation began, in ms. Default 60 000. */
  deadlineMs?: number;
  /** Source of jitter in [0, 1); tests pass a seeded one. */
  random?: () => number;
  onRetry?: (event: RetryEvent) => void;
}

/** An ObjectStore filter that retries transient errors (see the file comment). */
export class RetryingStore implements ObjectStore {
  readonly description: string;
  private readonly maxAttempts: number;
  private readonly deadlineMs: number;
  private readonly random: () => number;

  constructor(
    private readonly inner: ObjectStore,
    private readonly options: RetryOptions = {},
  ) {
    this.description = inner.description;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 8);
    this.deadlineMs = options.deadlineMs ?? 60_000;
    this.random = options.random ?? Math.random;
  }

  ensureBucket(): Promise<void> {
    return this.run('ensure bucket', '', () => this.inner.ensureBucket());
  }

  put(key: string, body: Buffer, options: PutOptions = {}): Promise<PutResult> {
    if (!options.ifNoneMatch) return this.run('put', key, () => this.inner.put(key, body, options), options.signal);
    let earlierTransient = false;
    return this.run(
      'put',
      key,
      async () => {
        try {
          return await this.inner.put(key, body, options);
        } catch (err) {
          if (earlierTransient && err instanceof TidegateError && err.code === ErrorCode.PreconditionFailed) {
            return this.settleConditionalPut(key, body, err);
          }
          if (err instanceof TidegateError && err.transient) earlierTransient = true;
          throw err;
        }
      },
      options.signal,
    );
  }

  get(key: string, range?: ByteRange): Promise<Buffer> {
    return this.run('get', key, () => this.inner.get(key, range));
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.run('head', key, () => this.inner.head(key));
  }

  delete(key: string): Promise<void> {
    return this.run('delete', key, () => this.inner.delete(key));
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.run('list', prefix, () => this.inner.list(prefix));
  }

  /** A conditional put lost after an earlier transient failure: was the winner us? */
  private async settleConditionalPut(key: string, body: Buffer, conflict: TidegateError): Promise<PutResult> {
    let stored: Buffer;
    let info: ObjectInfo | undefined;
    try {
      stored = await this.run('get', key, () => this.inner.get(key));
      info = await this.run('head', key, () => this.inner.head(key));
    } catch (err) {
      throw new AmbiguousPutError(
        `${this.description}: ${key} exists after a failed attempt to create it, and reading it back failed; it may be ours`,
        { cause: err },
      );
    }
    if (stored.equals(body) && info?.etag !== undefined) return { etag: info.etag };
    throw conflict;
  }

  private async run<T>(operation: string, key: string, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const started = Date.now();
    for (let attemptNo = 1; ; attemptNo++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof TidegateError) || !err.transient) throw err;
        const delayMs = backoffDelay(attemptNo - 1, this.options, this.random);
        const elapsed = Date.now() - started;
        if (attemptNo >= this.maxAttempts || elapsed + delayMs > this.deadlineMs) {
          throw new TidegateError(err.code, `${err.message} (gave up after ${attemptNo} attempts in ${elapsed} ms)`, {
            cause: err,
            transient: true,
          });
        }
        this.options.onRetry?.({ operation, key, retry: attemptNo, delayMs, error: err });
        await abortableSleep(delayMs, signal, `${this.description}: ${operation} ${key}`);
      }
    }
  }
}
