import { ErrorCode, TidegateError } from '../errors/index.js';
import type { BlockDevice, BlockExtent, WriteOptions, WriteZeroesOptions } from './block-device.js';
import type { DeviceOpKind } from './device-op-kind.js';
import { SeededRandom } from './seeded-random.js';

/**
 * A fault-injection filter (nbdkit's "error" and "delay" filters in one): each operation
 * kind fails with a configured probability, and every operation may be delayed. Faults
 * are drawn from a seeded PRNG, so a failing test run can be replayed with its seed.
 * An injected failure happens *instead of* the inner call (nothing reaches the device).
 */

/** Fault configuration; every field is optional and defaults to "no fault". */
export interface FaultConfig {
  /** Probability in [0, 1] that an operation of that kind fails. */
  errorRate?: Partial<Record<DeviceOpKind, number>>;
  /** Code of injected errors; default IO_ERROR. */
  errorCode?: ErrorCode;
  /** Extra latency added before every operation, in milliseconds. */
  delayMs?: number;
  /** Extra random latency in [0, jitterMs) added on top of delayMs. */
  jitterMs?: number;
}

/** Options for {@link FaultFilter}. */
export interface FaultFilterOptions extends FaultConfig {
  /** PRNG seed; default 1. */
  seed?: number;
}

/** Injects errors and latency in front of another device. */
export class FaultFilter implements BlockDevice {
  readonly size: number;
  readonly blockSize: number;
  private readonly random: SeededRandom;
  private config: FaultConfig;
  /** Number of faults injected so far. */
  injected = 0;

  constructor(
    readonly inner: BlockDevice,
    options: FaultFilterOptions = {},
  ) {
    this.size = inner.size;
    this.blockSize = inner.blockSize;
    this.random = new SeededRandom(options.seed ?? 1);
    this.config = validate(options);
  }

  /** Replace the fault configuration (the PRNG sequence continues). */
  configure(config: FaultConfig): void {
    this.config = validate(config);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    await this.maybeFail('read');
    return this.inner.read(offset, length);
  }

  async write(offset: number, data: Buffer, options?: WriteOptions): Promise<void> {
    await this.maybeFail('write');
    return this.inner.write(offset, data, options);
  }

  async flush(): Promise<void> {
    await this.maybeFail('flush');
    return this.inner.flush();
  }

  async trim(offset: number, length: number, options?: WriteOptions): Promise<void> {
    await this.maybeFail('trim');
    return this.inner.trim(offset, length, options);
  }

  async writeZeroes(offset: number, length: number, options?: WriteZeroesOptions): Promise<void> {
    await this.maybeFail('writeZeroes');
    return this.inner.writeZeroes(offset, length, options);
  }

  async blockStatus(offset: number, length: number): Promise<BlockExtent[]> {
    await this.maybeFail('blockStatus');
    return this.inner.blockStatus(offset, length);
  }

  private async maybeFail(kind: DeviceOpKind): Promise<void> {
    const { delayMs = 0, jitterMs = 0 } = this.config;
    const delay = delayMs + (jitterMs > 0 ? this.random.next() * jitterMs : 0);
    const rate = this.config.errorRate?.[kind] ?? 0;
    // Draw even when rate is 0 so that changing one kind's rate does not shift the others' sequence.
    const fail = this.random.next() < rate;
    if (delay > 0) await new Promise<void>((resolve) => setTimeout(resolve, delay));
    if (fail) {
      this.injected++;
      throw new TidegateError(this.config.errorCode ?? ErrorCode.IoError, `injected ${kind} fault`);
    }
  }
}

function validate(config: FaultConfig): FaultConfig {
  for (const [kind, rate] of Object.entries(config.errorRate ?? {})) {
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new RangeError(`fault error rate for ${kind} must be in [0, 1], got ${rate}`);
    }
  }
  for (const key of ['delayMs', 'jitterMs'] as const) {
    const v = config[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new RangeError(`${key} must be ≥ 0, got ${v}`);
  }
  return { ...config, errorRate: { ...config.errorRate } };
}
