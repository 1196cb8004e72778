/**
 * A filter that injects store faults for tests, like nbdkit's error and delay filters.
 * Settings change at run time (`configure`), draws come from a seeded PRNG so a failing
 * run can be replayed, and `counters` tell a test how many faults it actually exercised.
 *
 * Order per operation: vanished bucket → refused write → added latency → injected
 * timeout → injected error → the real operation → ack-then-fail (puts and deletes only).
 * Injected timeouts and errors happen *before* the inner operation, so nothing is stored;
 * ack-then-fail stores first and then fails, which is how a lost response looks.
 */
import { ErrorCode, TidegateError } from '../errors/index.js';
import type { ByteRange, ObjectInfo, ObjectStore, PutOptions, PutResult } from './object-store.js';
import { seededRandom } from './seeded-random.js';

/** Fault settings; rates are probabilities in [0, 1] per operation. */
export interface FaultSettings {
  /** Fail with a transient STORE_UNAVAILABLE before doing anything. */
  errorRate: number;
  /** Added delay on every operation, in ms. */
  latencyMs: number;
  /** Extra uniformly random delay in [0, latencyJitterMs). */
  latencyJitterMs: number;
  /** Hang for timeoutMs, then fail with a transient STORE_UNAVAILABLE. */
  timeoutRate: number;
  timeoutMs: number;
  /** Every operation answers BUCKET_MISSING. */
  bucketVanished: boolean;
  /** put, delete and ensureBucket answer ACCESS_DENIED (a read-only policy or a quota). */
  refuseWrites: boolean;
  /** put/delete is performed, then a transient error is thrown (the response was lost). */
  ackThenFailRate: number;
}

/** How many faults of each kind were injected so far. */
export interface FaultCounters {
  operations: number;
  errors: number;
  timeouts: number;
  delays: number;
  bucketVanished: number;
  refusedWrites: number;
  ackThenFail: number;
}

const NO_FAULTS: FaultSettings = {
  errorRate: 0,
  latencyMs: 0,
  latencyJitterMs: 0,
  timeoutRate: 0,
  timeoutMs: 1000,
  bucketVanished: false,
  refuseWrites: false,
  ackThenFailRate: 0,
};

/** An ObjectStore filter injecting configurable faults (see the file comment). */
export class FaultInjectingStore implements ObjectStore {
  readonly description: string;
  private current: FaultSettings;
  private readonly random: () => number;
  private readonly count: FaultCounters = {
    operations: 0,
    errors: 0,
    timeouts: 0,
    delays: 0,
    bucketVanished: 0,
    refusedWrites: 0,
    ackThenFail: 0,
  };

  constructor(
    private readonly inner: ObjectStore,
    settings: Partial<FaultSettings> = {},
    seed = 1,
  ) {
    this.description = `${inner.description} (fault injection)`;
    this.current = { ...NO_FAULTS, ...settings };
    this.random = seededRandom(seed);
  }

  /** The settings in force. */
  get settings(): Readonly<FaultSettings> {
    return { ...this.current };
  }

  /** Changes some settings; the rest stay. */
  configure(settings: Partial<FaultSettings>): void {
    this.current = { ...this.current, ...settings };
  }

  /** A snapshot of the fault counters. */
  get counters(): Readonly<FaultCounters> {
    return { ...this.count };
  }

  async ensureBucket(): Promise<void> {
    await this.before('ensure bucket', '', true);
    await this.inner.ensureBucket();
  }

  async put(key: string, body: Buffer, options?: PutOptions): Promise<PutResult> {
    await this.before('put', key, true);
    const result = await this.inner.put(key, body, options);
    this.maybeAckThenFail('put', key);
    return result;
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    await this.before('get', key, false);
    return this.inner.get(key, range);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    await this.before('head', key, false);
    return this.inner.head(key);
  }

  async delete(key: string): Promise<void> {
    await this.before('delete', key, true);
    await this.inner.delete(key);
    this.maybeAckThenFail('delete', key);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    await this.before('list', prefix, false);
    return this.inner.list(prefix);
  }

  private async before(op: string, key: string, isWrite: boolean): Promise<void> {
    const s = this.current;
    const what = `${this.description}: ${op}${key ? ` ${key}` : ''}`;
    this.count.operations++;
    if (s.bucketVanished) {
      this.count.bucketVanished++;
      throw new TidegateError(ErrorCode.BucketMissing, `${what}: bucket vanished (injected)`);
    }
    if (isWrite && s.refuseWrites) {
      this.count.refusedWrites++;
      throw new TidegateError(ErrorCode.AccessDenied, `${what}: write refused (injected)`);
    }
    const delay = s.latencyMs + (s.latencyJitterMs > 0 ? this.random() * s.latencyJitterMs : 0);
    if (delay > 0) {
      this.count.delays++;
      await sleep(delay);
    }
    if (s.timeoutRate > 0 && this.random() < s.timeoutRate) {
      this.count.timeouts++;
      await sleep(s.timeoutMs);
      throw new TidegateError(ErrorCode.StoreUnavailable, `${what}: no answer within ${s.timeoutMs} ms (injected)`, {
        transient: true,
      });
    }
    if (s.errorRate > 0 && this.random() < s.errorRate) {
      this.count.errors++;
      throw new TidegateError(ErrorCode.StoreUnavailable, `${what}: HTTP 503 SlowDown (injected)`, { transient: true });
    }
  }

  private maybeAckThenFail(op: string, key: string): void {
    const rate = this.current.ackThenFailRate;
    if (rate > 0 && this.random() < rate) {
      this.count.ackThenFail++;
      throw new TidegateError(ErrorCode.StoreUnavailable, `${this.description}: ${op} ${key}: connection reset after the write (injected)`, {
        transient: true,
      });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
