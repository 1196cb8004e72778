/**
 * The gateway's metric history (`metrics.history`). Every second the sampler reads the
 * cumulative counters of every open volume and the gateway's levels, and turns them into one
 * MetricSample of the whole gateway:
 *
 *   rates      Δcounter ÷ Δt over the interval, summed over volumes (a volume first seen
 *              after the first tick counts from zero: it opened since; a closed one drops out)
 *   latency    Δ(latency sum) ÷ Δ(ops): the mean of the ops completed in the interval, 0 if none
 *   hit %      Δhits ÷ Δ(hits + misses) over the interval, 100 when nothing was read (as status)
 *   levels     read at the sample's ts
 *
 * The last hour of seconds is kept in memory (a 3,600-sample ring, `resolution: 'second'`);
 * each finished minute is folded (minute-aggregator.ts) and appended to DATA_DIR/metrics/
 * (metric-history-store.ts, 14 days, `resolution: 'minute'`). The minute in progress is not
 * served. The first tick only takes the counters' baseline. The timer is unref'd; `stop()`
 * ends it and waits for the last append.
 */
import { ErrorCode, TidegateError } from '../errors/index.js';
import type { CommandParams, MetricSample } from '../runtime/engine-commands.js';
import { MetricHistoryStore } from './metric-history-store.js';
import { MetricSampleRing } from './metric-sample-ring.js';
import { MinuteAggregator } from './minute-aggregator.js';

/** Cumulative counters of one open volume (since it opened). */
export interface VolumeCounterTotals {
  readOps: number;
  writeOps: number;
  readBytes: number;
  writeBytes: number;
  /** Sum of the latencies of completed reads / writes, seconds. */
  readLatencySeconds: number;
  writeLatencySeconds: number;
  uploadBytes: number;
  cacheHits: number;
  cacheMisses: number;
}

/** Gateway levels at the moment of a sample. */
export type MetricLevels = Pick<
  MetricSample,
  'uploadLimitBytesPerSec' | 'CachePercentUsed' | 'CachePercentDirty' | 'UploadBufferPercentUsed' | 'QueuedWrites' | 'TimeSinceLastRecoveryPoint' | 'IoWaitPercent'
>;

/** Where the sampler reads the gateway. */
export interface MetricSource {
  /**
   * Call `visit` once for each open volume. `key` must be the same object for as long as the
   * volume stays open (e.g. its stats filter); `totals` is read at once and may be reused.
   */
  forEachVolume(visit: (key: object, totals: VolumeCounterTotals) => void): void;
  levels(): MetricLevels;
}

export interface MetricHistoryOptions {
  /** DATA_DIR/metrics. */
  dir: string;
  source: MetricSource;
  /** Sampling period; default 1,000 ms. */
  intervalMs?: number;
  /** Seconds kept in memory; default 3,600. */
  ringCapacity?: number;
  /** Days of minutes kept on disk; default 14. */
  retentionDays?: number;
  now?: () => number;
  onWarning?: (msg: string, fields: Record<string, unknown>) => void;
}

const TOTAL_FIELDS = ['readOps', 'writeOps', 'readBytes', 'writeBytes', 'readLatencySeconds', 'writeLatencySeconds', 'uploadBytes', 'cacheHits', 'cacheMisses'] as const;
const [R_OPS, W_OPS, R_BYTES, W_BYTES, R_LAT, W_LAT, UP_BYTES, HITS, MISSES] = TOTAL_FIELDS.map((_, i) => i) as number[];

interface VolumeBaseline {
  prev: Float64Array;
  tick: number;
}

/** Samples the gateway every second and answers history queries. */
export class MetricHistory {
  private readonly source: MetricSource;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly ring: MetricSampleRing;
  private readonly minutes = new MinuteAggregator();
  private readonly store: MetricHistoryStore;
  private readonly retentionMs: number;
  private readonly baselines = new Map<object, VolumeBaseline>();
  /** Δ of each counter over the current tick, summed over volumes (reused). */
  private readonly delta = new Float64Array(TOTAL_FIELDS.length);
  /** The sample being built (reused: the ring copies it). */
  private readonly scratch = {} as MetricSample;
  private tick = 0;
  private lastTs: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: MetricHistoryOptions) {
    this.source = options.source;
    this.intervalMs = options.intervalMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.ring = new MetricSampleRing(options.ringCapacity ?? 3_600);
    const retentionDays = options.retentionDays ?? 14;
    this.retentionMs = retentionDays * 86_400_000;
    this.store = new MetricHistoryStore(options.dir, { retentionDays, now: this.now, ...(options.onWarning ? { onWarning: options.onWarning } : {}) });
  }

  /** Prepare the store and start sampling. */
  async start(): Promise<void> {
    await this.store.open();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Stop sampling and wait for the last minute to be stored. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.store.idle();
  }

  /** Take one sample now (the timer calls this; tests call it with a fake clock). */
  sample(): void {
    const ts = this.now();
    const tick = ++this.tick;
    const first = this.lastTs === undefined;
    const d = this.delta;
    d.fill(0);
    this.source.forEachVolume((key, totals) => {
      let b = this.baselines.get(key);
      if (b === undefined) {
        // Opened since the last tick: its counters started at zero. Before the first tick, only a baseline.
        b = { prev: new Float64Array(TOTAL_FIELDS.length), tick };
        this.baselines.set(key, b);
        if (first) {
          for (let i = 0; i < TOTAL_FIELDS.length; i++) b.prev[i] = totals[TOTAL_FIELDS[i]!];
          return;
        }
      }
      b.tick = tick;
      for (let i = 0; i < TOTAL_FIELDS.length; i++) {
        const v = totals[TOTAL_FIELDS[i]!];
        d[i]! += Math.max(0, v - b.prev[i]!);
        b.prev[i] = v;
      }
    });
    for (const [key, b] of this.baselines) if (b.tick !== tick) this.baselines.delete(key);
    const lastTs = this.lastTs;
    this.lastTs = ts;
    if (lastTs === undefined || ts <= lastTs) return;
    const seconds = (ts - lastTs) / 1000;
    const s = this.scratch;
    s.ts = ts;
    s.intervalMs = ts - lastTs;
    s.readOpsPerSec = d[R_OPS]! / seconds;
    s.writeOpsPerSec = d[W_OPS]! / seconds;
    s.readBytesPerSec = d[R_BYTES]! / seconds;
    s.writeBytesPerSec = d[W_BYTES]! / seconds;
    s.readLatencyMs = d[R_OPS]! > 0 ? (1000 * d[R_LAT]!) / d[R_OPS]! : 0;
    s.writeLatencyMs = d[W_OPS]! > 0 ? (1000 * d[W_LAT]!) / d[W_OPS]! : 0;
    s.uploadBytesPerSec = d[UP_BYTES]! / seconds;
    const reads = d[HITS]! + d[MISSES]!;
    s.CacheHitPercent = reads > 0 ? (100 * d[HITS]!) / reads : 100;
    Object.assign(s, this.source.levels());
    this.ring.push(s);
    const minute = this.minutes.add(s);
    if (minute !== undefined) void this.store.append(minute);
  }

  /** `metrics.history`: seconds from memory or minutes from disk, oldest first. */
  async query(p: CommandParams<'metrics.history'>): Promise<MetricSample[]> {
    if (typeof p !== 'object' || p === null) throw invalid('metrics.history needs { resolution: "second" | "minute", fromMs?, toMs? }');
    if (p.resolution !== 'second' && p.resolution !== 'minute') throw invalid(`resolution must be "second" or "minute" (got ${JSON.stringify(p.resolution)})`);
    for (const key of ['fromMs', 'toMs'] as const) {
      const v = p[key];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw invalid(`${key} must be a time in ms since the epoch (got ${JSON.stringify(v)})`);
    }
    if (p.fromMs !== undefined && p.toMs !== undefined && p.fromMs > p.toMs) throw invalid(`fromMs (${p.fromMs}) is after toMs (${p.toMs})`);
    if (p.resolution === 'second') return this.ring.query(p.fromMs, p.toMs);
    const to = p.toMs ?? this.now();
    return this.store.read(p.fromMs ?? to - this.retentionMs, to);
  }
}

function invalid(message: string): TidegateError {
  return new TidegateError(ErrorCode.InvalidArgument, message);
}
