import type { MetricSample } from '../../../../src-main/ipc/ipc-contract.js';

/** Most points a chart draws: more than its width in pixels buys nothing and costs every redraw. */
export const MAX_CHART_POINTS = 600;

type NumericKey = { [K in keyof MetricSample]: MetricSample[K] extends number ? K : never }[keyof MetricSample];

const NUMERIC_KEYS: NumericKey[] = [
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
];

/**
 * Averages consecutive samples into at most `maxPoints` buckets (rates and levels alike; a
 * bucket's ts is its last sample's, so the right edge stays "now").
 */
export function downsample(samples: readonly MetricSample[], maxPoints = MAX_CHART_POINTS): MetricSample[] {
  if (samples.length <= maxPoints) return [...samples];
  const size = Math.ceil(samples.length / maxPoints);
  const out: MetricSample[] = [];
  for (let i = 0; i < samples.length; i += size) {
    const bucket = samples.slice(i, i + size);
    const last = bucket[bucket.length - 1]!;
    const avg = { ...last, intervalMs: bucket.reduce((s, x) => s + x.intervalMs, 0) };
    for (const k of NUMERIC_KEYS) avg[k] = bucket.reduce((s, x) => s + x[k], 0) / bucket.length;
    out.push(avg);
  }
  return out;
}

/** The x range a chart shows: `rangeSeconds` back from the newest sample (or from now with none). */
export function chartDomain(samples: readonly MetricSample[], rangeSeconds: number, nowMs: number): [number, number] {
  const end = samples.length > 0 ? samples[samples.length - 1]!.ts : nowMs;
  return [end - rangeSeconds * 1000, end];
}

/** The samples inside a domain, downsampled for drawing. */
export function chartRows(samples: readonly MetricSample[], domain: [number, number], maxPoints = MAX_CHART_POINTS): MetricSample[] {
  return downsample(samples.filter((s) => s.ts >= domain[0] && s.ts <= domain[1]), maxPoints);
}
