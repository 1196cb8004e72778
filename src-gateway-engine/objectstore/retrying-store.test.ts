import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { AmbiguousPutError, isAmbiguousPut } from './ambiguous-put-error.js';
import { backoffDelay } from './backoff.js';
import type { ObjectInfo, ObjectStore, PutOptions, PutResult } from './object-store.js';
import { RetryingStore } from './retrying-store.js';

const transient = (): TidegateError => new TidegateError(ErrorCode.StoreUnavailable, 'test store: HTTP 503', { transient: true });

/** A scripted store: each call takes the next outcome of its operation's script. */
class ScriptedStore implements ObjectStore {
  readonly description = 'scripted://';
  readonly calls: string[] = [];
  objects = new Map<string, Buffer>();
  script: Record<string, Array<'ok' | 'transient' | 'store-then-transient' | TidegateError>> = {};

  private next(op: string): 'ok' | 'transient' | 'store-then-transient' | TidegateError {
    this.calls.push(op);
    return this.script[op]?.shift() ?? 'ok';
  }
  async ensureBucket(): Promise<void> {
    this.outcome(this.next('ensureBucket'));
  }
  async put(key: string, body: Buffer, options?: PutOptions): Promise<PutResult> {
    const o = this.next('put');
    if (o !== 'store-then-transient') this.outcome(o);
    if (options?.ifNoneMatch && this.objects.has(key)) throw new TidegateError(ErrorCode.PreconditionFailed, `${key} exists`);
    this.objects.set(key, body);
    if (o === 'store-then-transient') throw transient();
    return { etag: `e-${body.length}` };
  }
  async get(key: string): Promise<Buffer> {
    this.outcome(this.next('get'));
    const b = this.objects.get(key);
    if (!b) throw new TidegateError(ErrorCode.NotFound, `no ${key}`);
    return b;
  }
  async head(key: string): Promise<ObjectInfo | undefined> {
    this.outcome(this.next('head'));
    const b = this.objects.get(key);
    return b && { key, size: b.length, etag: `e-${b.length}` };
  }
  async delete(key: string): Promise<void> {
    this.outcome(this.next('delete'));
    this.objects.delete(key);
  }
  async list(): Promise<ObjectInfo[]> {
    this.outcome(this.next('list'));
    return [];
  }
  private outcome(o: 'ok' | 'transient' | 'store-then-transient' | TidegateError): void {
    if (o === 'transient') throw transient();
    if (o instanceof TidegateError) throw o;
  }
}

const fast = { baseDelayMs: 1, maxDelayMs: 2 };

describe('backoffDelay', () => {
  it('is full jitter under an exponential ceiling capped at maxDelayMs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, base, cap, r) => {
        const d = backoffDelay(attempt, { baseDelayMs: base, maxDelayMs: cap }, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.max(1, Math.min(cap, base * 2 ** attempt)));
        expect(Number.isInteger(d)).toBe(true);
      }),
    );
  });
  it('uses base 100 ms and cap 10 s by default', () => {
    expect(backoffDelay(0, {}, () => 0.999)).toBe(99);
    expect(backoffDelay(3, {}, () => 0.5)).toBe(400);
    expect(backoffDelay(30, {}, () => 0.5)).toBe(5000);
  });
});

describe('RetryingStore', () => {
  it('retries transient errors until the operation succeeds', async () => {
    const inner = new ScriptedStore();
    inner.objects.set('k', Buffer.from('v'));
    inner.script.get = ['transient', 'transient'];
    const retries: number[] = [];
    const store = new RetryingStore(inner, { ...fast, onRetry: (e) => retries.push(e.retry) });
    expect((await store.get('k')).toString()).toBe('v');
    expect(retries).toEqual([1, 2]);
  });

  it('does not retry errors that are not transient', async () => {
    const inner = new ScriptedStore();
    inner.script.head = [new TidegateError(ErrorCode.AccessDenied, 'denied')];
    const store = new RetryingStore(inner, fast);
    await expect(store.head('k')).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
    expect(inner.calls).toEqual(['head']);
  });

  it('gives up after maxAttempts with the last error, still marked transient', async () => {
    const inner = new ScriptedStore();
    inner.script.list = Array(10).fill('transient');
    const store = new RetryingStore(inner, { ...fast, maxAttempts: 3 });
    await expect(store.list('')).rejects.toMatchObject({ code: ErrorCode.StoreUnavailable, transient: true, message: expect.stringMatching(/gave up after 3 attempts/) });
    expect(inner.calls).toHaveLength(3);
  });

  it('gives up when the next delay would pass the deadline', async () => {
    const inner = new ScriptedStore();
    inner.script.delete = Array(100).fill('transient');
    const store = new RetryingStore(inner, { baseDelayMs: 1000, maxDelayMs: 1000, deadlineMs: 10, random: () => 0.5, maxAttempts: 100 });
    await expect(store.delete('k')).rejects.toMatchObject({ code: ErrorCode.StoreUnavailable });
    expect(inner.calls).toHaveLength(1);
  });

  it('a plain put whose response was lost is simply retried', async () => {
    const inner = new ScriptedStore();
    inner.script.put = ['store-then-transient'];
    const store = new RetryingStore(inner, fast);
    await store.put('k', Buffer.from('v'));
    expect(inner.calls).toEqual(['put', 'put']);
  });

  it('a conditional put that lost its response counts as ours when the stored bytes are ours', async () => {
    const inner = new ScriptedStore();
    inner.script.put = ['store-then-transient'];
    const store = new RetryingStore(inner, fast);
    await expect(store.put('k', Buffer.from('mine'), { ifNoneMatch: true })).resolves.toEqual({ etag: 'e-4' });
  });

  it('a conditional put retried after a transient error reports a real loser as PRECONDITION_FAILED', async () => {
    const inner = new ScriptedStore();
    inner.objects.set('k', Buffer.from('theirs'));
    inner.script.put = ['transient'];
    const store = new RetryingStore(inner, fast);
    const err = await store.put('k', Buffer.from('mine'), { ifNoneMatch: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.PreconditionFailed });
    expect(isAmbiguousPut(err)).toBe(false);
  });

  it('a conditional put whose outcome cannot be checked is an AmbiguousPutError', async () => {
    const inner = new ScriptedStore();
    inner.script.put = ['store-then-transient'];
    inner.script.get = [new TidegateError(ErrorCode.AccessDenied, 'read denied')];
    const store = new RetryingStore(inner, fast);
    const err = await store.put('k', Buffer.from('mine'), { ifNoneMatch: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmbiguousPutError);
    expect(err).toMatchObject({ code: ErrorCode.PreconditionFailed, mayHaveSucceeded: true });
  });

  it('a first-attempt PRECONDITION_FAILED is not second-guessed', async () => {
    const inner = new ScriptedStore();
    inner.objects.set('k', Buffer.from('mine'));
    const store = new RetryingStore(inner, fast);
    await expect(store.put('k', Buffer.from('mine'), { ifNoneMatch: true })).rejects.toMatchObject({ code: ErrorCode.PreconditionFailed });
    expect(inner.calls).toEqual(['put']);
  });

  it('stops waiting when the put is aborted', async () => {
    const inner = new ScriptedStore();
    inner.script.put = Array(10).fill('transient');
    const store = new RetryingStore(inner, { baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 1, deadlineMs: 1e9 });
    const err = await store.put('k', Buffer.from('v'), { signal: AbortSignal.timeout(20) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.Timeout });
  });
});
