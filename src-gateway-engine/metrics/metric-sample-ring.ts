/**
 * The newest N metric samples in memory, one Float64Array per field (a column), so keeping an
 * hour of one-second samples costs 3,600 × 17 doubles and a push allocates nothing. Objects
 * are built only when a query asks for them.
 */
import type { MetricSample } from '../runtime/engine-commands.js';

/** Every field of a MetricSample, in a fixed order (also the column order). */
export const METRIC_SAMPLE_FIELDS = [
  'ts',
  'intervalMs',
  'readOpsPerSec',
  'writeOpsPerSec',
  'readBytesPerSec',
  'writeBytesPerSec',
  'readLatencyMs',
  'writeLatencyMs',
  'uploadBytesPerSec',
  'uploadLimitBytesPerSec',
  'CacheHitPercent',
  'CachePercentUsed',
  'CachePercentDirty',
  'UploadBufferPercentUsed',
  'QueuedWrites',
  'TimeSinceLastRecoveryPoint',
  'IoWaitPercent',
] as const satisfies readonly (keyof MetricSample)[];

type Missing = Exclude<keyof MetricSample, (typeof METRIC_SAMPLE_FIELDS)[number]>;
/** Compile-time proof that the list names every field of MetricSample. */
const complete: [Missing] extends [never] ? true : never = true;
void complete;

/** A fixed-size ring of samples, oldest overwritten first; samples must be pushed in time order. */
export class MetricSampleRing {
  readonly capacity: number;
  private readonly columns: Float64Array[];
  private next = 0;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.columns = METRIC_SAMPLE_FIELDS.map(() => new Float64Array(capacity));
  }

  /** Samples held now. */
  get size(): number {
    return this.count;
  }

  /** Copy `sample` in (the caller may reuse its object). */
  push(sample: MetricSample): void {
    const i = this.next;
    for (let f = 0; f < METRIC_SAMPLE_FIELDS.length; f++) this.columns[f]![i] = sample[METRIC_SAMPLE_FIELDS[f]!];
    this.next = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Samples with fromMs ≤ ts ≤ toMs (either bound optional), oldest first. */
  query(fromMs = -Infinity, toMs = Infinity): MetricSample[] {
    const out: MetricSample[] = [];
    const ts = this.columns[0]!;
    const first = (this.next - this.count + this.capacity) % this.capacity;
    for (let k = 0; k < this.count; k++) {
      const i = (first + k) % this.capacity;
      const t = ts[i]!;
      if (t < fromMs) continue;
      if (t > toMs) break; // time order: nothing newer can match
      const sample = {} as Record<keyof MetricSample, number>;
      for (let f = 0; f < METRIC_SAMPLE_FIELDS.length; f++) sample[METRIC_SAMPLE_FIELDS[f]!] = this.columns[f]![i]!;
      out.push(sample as MetricSample);
    }
    return out;
  }
}
