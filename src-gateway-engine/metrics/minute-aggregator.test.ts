import { describe, expect, it } from 'vitest';
import type { MetricSample } from '../runtime/engine-commands.js';
import { MinuteAggregator } from './minute-aggregator.js';

const T0 = Date.parse('2026-01-05T10:00:00Z');

function second(ts: number, over: Partial<MetricSample> = {}): MetricSample {
  return {
    ts,
    intervalMs: 1000,
    readOpsPerSec: 0,
    writeOpsPerSec: 0,
    readBytesPerSec: 0,
    writeBytesPerSec: 0,
    readLatencyMs: 0,
    writeLatencyMs: 0,
    uploadBytesPerSec: 0,
    uploadLimitBytesPerSec: 0,
    CacheHitPercent: 100,
    CachePercentUsed: 0,
    CachePercentDirty: 0,
    UploadBufferPercentUsed: 0,
    QueuedWrites: 0,
    TimeSinceLastRecoveryPoint: 0,
    IoWaitPercent: 0,
    ...over,
  };
}

describe('MinuteAggregator', () => {
  it('emits a minute (ts = its end, 60 s) when the first second of the next minute arrives', () => {
    const a = new MinuteAggregator();
    for (let i = 1; i <= 60; i++) expect(a.add(second(T0 + i * 1000, { readOpsPerSec: i }))).toBeUndefined();
    const m = a.add(second(T0 + 61_000));
    expect(m).toMatchObject({ ts: T0 + 60_000, intervalMs: 60_000, readOpsPerSec: 30.5 });
  });

  it('applies the rule: rates mean, latency and hit % weighted by ops, peaks max, state last', () => {
    const a = new MinuteAggregator();
    a.add(second(T0 + 1000, { readOpsPerSec: 100, readLatencyMs: 1, writeOpsPerSec: 0, CacheHitPercent: 50, UploadBufferPercentUsed: 90, QueuedWrites: 10, CachePercentUsed: 10, uploadLimitBytesPerSec: 5, IoWaitPercent: 4, TimeSinceLastRecoveryPoint: 30 }));
    a.add(second(T0 + 2000, { readOpsPerSec: 300, readLatencyMs: 5, writeOpsPerSec: 10, writeLatencyMs: 2, CacheHitPercent: 100, UploadBufferPercentUsed: 20, QueuedWrites: 5, CachePercentUsed: 12, uploadLimitBytesPerSec: 0, IoWaitPercent: 0, CachePercentDirty: 7 }));
    const m = a.flush()!;
    expect(m).toEqual({
      ts: T0 + 60_000,
      intervalMs: 60_000,
      readOpsPerSec: 200,
      writeOpsPerSec: 5,
      readBytesPerSec: 0,
      writeBytesPerSec: 0,
      readLatencyMs: (100 * 1 + 300 * 5) / 400,
      writeLatencyMs: 2,
      uploadBytesPerSec: 0,
      uploadLimitBytesPerSec: 0,
      CacheHitPercent: (100 * 50 + 300 * 100) / 400,
      CachePercentUsed: 12,
      CachePercentDirty: 7,
      UploadBufferPercentUsed: 90,
      QueuedWrites: 10,
      TimeSinceLastRecoveryPoint: 30,
      IoWaitPercent: 2,
    });
    expect(a.flush()).toBeUndefined();
  });

  it('a minute without reads has hit % = the plain mean, latency 0', () => {
    const a = new MinuteAggregator();
    a.add(second(T0 + 1000));
    a.add(second(T0 + 2000));
    expect(a.flush()).toMatchObject({ CacheHitPercent: 100, readLatencyMs: 0, writeLatencyMs: 0 });
  });

  it('a second ending exactly on the boundary belongs to the minute before; skipped minutes emit nothing', () => {
    const a = new MinuteAggregator();
    a.add(second(T0 + 59_000, { writeOpsPerSec: 1 }));
    expect(a.add(second(T0 + 60_000, { writeOpsPerSec: 3 }))).toBeUndefined();
    const m = a.add(second(T0 + 5 * 60_000 + 1));
    expect(m).toMatchObject({ ts: T0 + 60_000, writeOpsPerSec: 2 });
    expect(a.flush()).toMatchObject({ ts: T0 + 6 * 60_000 });
  });
});
