/**
 * Folds one-second samples into one sample per UTC minute (ts = the minute's end,
 * intervalMs = 60,000). The rule, per field:
 *
 *   rates (read/write ops and bytes, upload bytes)   mean of the seconds
 *   readLatencyMs, writeLatencyMs                    mean weighted by each second's ops (= the
 *                                                    mean latency of every op of the minute)
 *   CacheHitPercent                                  mean weighted by each second's read ops
 *                                                    (plain mean when the minute had no reads)
 *   IoWaitPercent                                    mean (it is a share of the interval)
 *   UploadBufferPercentUsed, CachePercentDirty,      max: the minute's peak — a buffer that was
 *   QueuedWrites, TimeSinceLastRecoveryPoint         full for ten seconds must not average away
 *   CachePercentUsed, uploadLimitBytesPerSec         last: the state at the minute's end
 *
 * A second belongs to the minute its ts falls in (a ts exactly on a boundary ends the minute
 * before it). A minute with no samples yields nothing; a partial one (start, stop) averages the
 * seconds it has.
 */
import type { MetricSample } from '../runtime/engine-commands.js';

const MINUTE_MS = 60_000;

const MEAN = ['readOpsPerSec', 'writeOpsPerSec', 'readBytesPerSec', 'writeBytesPerSec', 'uploadBytesPerSec', 'IoWaitPercent'] as const;
const MAX = ['UploadBufferPercentUsed', 'CachePercentDirty', 'QueuedWrites', 'TimeSinceLastRecoveryPoint'] as const;
const LAST = ['CachePercentUsed', 'uploadLimitBytesPerSec'] as const;

/** Accumulates seconds of the current minute; emits the minute when a sample of a later minute arrives. */
export class MinuteAggregator {
  private minute = -1;
  private n = 0;
  private readonly sums = new Float64Array(MEAN.length);
  private readonly maxes = new Float64Array(MAX.length);
  private readonly lasts = new Float64Array(LAST.length);
  private readOps = 0;
  private writeOps = 0;
  private readLatencyWeighted = 0;
  private writeLatencyWeighted = 0;
  private hitWeighted = 0;
  private hitPlain = 0;

  /** Add one second; returns the finished previous minute when `s` starts a new one. */
  add(s: MetricSample): MetricSample | undefined {
    const minute = Math.ceil(s.ts / MINUTE_MS) - 1;
    let done: MetricSample | undefined;
    if (minute !== this.minute) {
      done = this.flush();
      this.minute = minute;
    }
    this.n++;
    for (let i = 0; i < MEAN.length; i++) this.sums[i]! += s[MEAN[i]!];
    for (let i = 0; i < MAX.length; i++) this.maxes[i] = this.n === 1 ? s[MAX[i]!] : Math.max(this.maxes[i]!, s[MAX[i]!]);
    for (let i = 0; i < LAST.length; i++) this.lasts[i] = s[LAST[i]!];
    // Rates are per second over ~1 s: ops/s stands for the second's op count as a weight.
    this.readOps += s.readOpsPerSec;
    this.writeOps += s.writeOpsPerSec;
    this.readLatencyWeighted += s.readLatencyMs * s.readOpsPerSec;
    this.writeLatencyWeighted += s.writeLatencyMs * s.writeOpsPerSec;
    this.hitWeighted += s.CacheHitPercent * s.readOpsPerSec;
    this.hitPlain += s.CacheHitPercent;
    return done;
  }

  /** The current minute so far (and start a fresh one), or undefined when it is empty. */
  flush(): MetricSample | undefined {
    if (this.n === 0) return undefined;
    const n = this.n;
    const out = { ts: (this.minute + 1) * MINUTE_MS, intervalMs: MINUTE_MS } as Record<keyof MetricSample, number>;
    for (let i = 0; i < MEAN.length; i++) out[MEAN[i]!] = this.sums[i]! / n;
    for (let i = 0; i < MAX.length; i++) out[MAX[i]!] = this.maxes[i]!;
    for (let i = 0; i < LAST.length; i++) out[LAST[i]!] = this.lasts[i]!;
    out.readLatencyMs = this.readOps > 0 ? this.readLatencyWeighted / this.readOps : 0;
    out.writeLatencyMs = this.writeOps > 0 ? this.writeLatencyWeighted / this.writeOps : 0;
    out.CacheHitPercent = this.readOps > 0 ? this.hitWeighted / this.readOps : this.hitPlain / n;
    this.n = 0;
    this.sums.fill(0);
    this.readOps = this.writeOps = this.readLatencyWeighted = this.writeLatencyWeighted = this.hitWeighted = this.hitPlain = 0;
    return out as MetricSample;
  }
}
