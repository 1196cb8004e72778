/**
 * A fixed-bucket latency histogram: recording is allocation-free (a binary search over a
 * constant bounds table and one array increment). Buckets are log-spaced, four per power
 * of two, from 1 µs to ~67 s, plus an overflow bucket — fine enough for p50/p99 within
 * ~19 % and directly usable as a Prometheus histogram (cumulate the counts, `le` = bound).
 */

const SUBDIVISIONS = 4;
const MIN_SECONDS = 1e-6;
const OCTAVES = 26; // 1 µs · 2^26 ≈ 67 s

/** Upper bounds of the finite buckets, in seconds, ascending; the last bucket (+Inf) is implicit. */
export const LATENCY_BUCKET_BOUNDS_SECONDS: readonly number[] = Object.freeze(
  Array.from({ length: OCTAVES * SUBDIVISIONS + 1 }, (_, i) => MIN_SECONDS * 2 ** (i / SUBDIVISIONS)),
);

const BOUNDS = Float64Array.from(LATENCY_BUCKET_BOUNDS_SECONDS);

/** A point-in-time copy of a histogram. */
export interface LatencySnapshot {
  /** Finite bucket upper bounds in seconds (shared, read-only). */
  readonly boundsSeconds: readonly number[];
  /** Per-bucket counts (not cumulative); one longer than `boundsSeconds` (the +Inf bucket). */
  readonly counts: number[];
  readonly count: number;
  readonly sumSeconds: number;
}

/** Allocation-free fixed-bucket histogram of durations in seconds. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BOUNDS.length + 1);
  private total = 0;
  private sum = 0;

  /** Record one duration in seconds. */
  record(seconds: number): void {
    let lo = 0;
    let hi = BOUNDS.length; // answer in [0, BOUNDS.length]
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seconds <= BOUNDS[mid]!) hi = mid;
      else lo = mid + 1;
    }
    this.counts[lo]!++;
    this.total++;
    this.sum += seconds;
  }

  /** Durations recorded. */
  get count(): number {
    return this.total;
  }

  /** Sum of the durations recorded, seconds. */
  get sumSeconds(): number {
    return this.sum;
  }

  /** Copy out the current state. */
  snapshot(): LatencySnapshot {
    return {
      boundsSeconds: LATENCY_BUCKET_BOUNDS_SECONDS,
      counts: Array.from(this.counts),
      count: this.total,
      sumSeconds: this.sum,
    };
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
  }
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of a snapshot, as the upper bound of the bucket holding it
 * (a conservative estimate); 0 when empty, +Infinity when it falls in the overflow bucket.
 */
export function latencyQuantile(snapshot: LatencySnapshot, q: number): number {
  if (snapshot.count === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * snapshot.count));
  let seen = 0;
  for (let i = 0; i < snapshot.counts.length; i++) {
    seen += snapshot.counts[i]!;
    if (seen >= rank) return i < snapshot.boundsSeconds.length ? snapshot.boundsSeconds[i]! : Infinity;
  }
  return Infinity;
}
