import { readdir } from 'node:fs/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { CoreTempDirs } from '../test/support/core-temp-dirs.js';
import { MetricHistory, type MetricLevels, type MetricSource, type VolumeCounterTotals } from './metric-history.js';

const dirs = new CoreTempDirs('metric-history');
afterAll(() => dirs.cleanup());

const T0 = Date.parse('2026-01-05T10:00:00Z');

function totals(over: Partial<VolumeCounterTotals> = {}): VolumeCounterTotals {
  return { readOps: 0, writeOps: 0, readBytes: 0, writeBytes: 0, readLatencySeconds: 0, writeLatencySeconds: 0, uploadBytes: 0, cacheHits: 0, cacheMisses: 0, ...over };
}

const LEVELS: MetricLevels = { uploadLimitBytesPerSec: 7, CachePercentUsed: 1, CachePercentDirty: 2, UploadBufferPercentUsed: 3, QueuedWrites: 4, TimeSinceLastRecoveryPoint: 5, IoWaitPercent: 6 };

/** A fake gateway: volumes by key with mutable counters. */
function fakeSource(): MetricSource & { volumes: Map<object, VolumeCounterTotals>; levelCalls: number } {
  const volumes = new Map<object, VolumeCounterTotals>();
  const src = {
    volumes,
    levelCalls: 0,
    forEachVolume: (visit: (k: object, t: VolumeCounterTotals) => void) => volumes.forEach((t, k) => visit(k, t)),
    levels: () => {
      src.levelCalls++;
      return { ...LEVELS };
    },
  };
  return src;
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0, toFake: ['setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MetricHistory', () => {
  it('samples every second: rates from counter deltas, latency = mean of the interval, levels at ts', async () => {
    const src = fakeSource();
    const a = {};
    src.volumes.set(a, totals({ readOps: 1000, readLatencySeconds: 50 }));
    const h = new MetricHistory({ dir: await dirs.make(), source: src });
    await h.start(); // baseline at T0
    src.volumes.get(a)!.readOps += 200;
    src.volumes.get(a)!.readBytes += 200 * 4096;
    src.volumes.get(a)!.readLatencySeconds += 0.4; // 2 ms each
    src.volumes.get(a)!.cacheHits += 150;
    src.volumes.get(a)!.cacheMisses += 50;
    src.volumes.get(a)!.uploadBytes += 1000;
    await vi.advanceTimersByTimeAsync(1000);
    const [s] = await h.query({ resolution: 'second' });
    expect(s).toEqual({
      ts: T0 + 1000,
      intervalMs: 1000,
      readOpsPerSec: 200,
      writeOpsPerSec: 0,
      readBytesPerSec: 200 * 4096,
      writeBytesPerSec: 0,
      readLatencyMs: expect.closeTo(2, 9),
      writeLatencyMs: 0,
      uploadBytesPerSec: 1000,
      CacheHitPercent: 75,
      ...LEVELS,
    });
    await h.stop();
  });

  it('sums volumes; a volume opened later counts from zero, a closed one drops out without negative rates', async () => {
    const src = fakeSource();
    const a = {};
    src.volumes.set(a, totals({ writeOps: 10 }));
    const h = new MetricHistory({ dir: await dirs.make(), source: src });
    await h.start();
    const b = {};
    src.volumes.set(b, totals({ writeOps: 5 }));
    src.volumes.get(a)!.writeOps += 3;
    await vi.advanceTimersByTimeAsync(1000);
    src.volumes.delete(a);
    src.volumes.get(b)!.writeOps += 1;
    await vi.advanceTimersByTimeAsync(1000);
    expect((await h.query({ resolution: 'second' })).map((s) => s.writeOpsPerSec)).toEqual([8, 1]);
    await h.stop();
  });

  it('keeps the last hour of seconds and filters by time', async () => {
    const src = fakeSource();
    const h = new MetricHistory({ dir: await dirs.make(), source: src, ringCapacity: 3600 });
    await h.start();
    await vi.advanceTimersByTimeAsync(3700 * 1000);
    const all = await h.query({ resolution: 'second' });
    expect(all).toHaveLength(3600);
    expect(all[0]!.ts).toBe(T0 + 101_000);
    expect((await h.query({ resolution: 'second', fromMs: T0 + 3690_000, toMs: T0 + 3692_000 })).map((s) => s.ts)).toEqual([T0 + 3690_000, T0 + 3691_000, T0 + 3692_000]);
    await h.stop();
  });

  it('stores each finished minute on disk and serves them; the minute in progress is not served', async () => {
    const src = fakeSource();
    const a = {};
    src.volumes.set(a, totals());
    const dir = await dirs.make();
    const h = new MetricHistory({ dir, source: src });
    await h.start();
    for (let i = 0; i < 150; i++) {
      src.volumes.get(a)!.writeOps += 6;
      await vi.advanceTimersByTimeAsync(1000);
    }
    await h.stop();
    const minutes = await h.query({ resolution: 'minute' });
    expect(minutes.map((m) => m.ts)).toEqual([T0 + 60_000, T0 + 120_000]);
    expect(minutes.every((m) => m.intervalMs === 60_000 && m.writeOpsPerSec === 6)).toBe(true);
    expect(await readdir(dir)).toEqual(['2026-01-05.jsonl']);
    // Another process over the same folder reads them too (loaded lazily from disk).
    const other = new MetricHistory({ dir, source: fakeSource() });
    expect((await other.query({ resolution: 'minute', fromMs: T0 + 90_000 })).map((m) => m.ts)).toEqual([T0 + 120_000]);
  });

  it('the timer is unref\'d and stop() ends it', async () => {
    const src = fakeSource();
    const h = new MetricHistory({ dir: await dirs.make(), source: src });
    await h.start();
    expect(vi.getTimerCount()).toBe(1);
    await h.stop();
    expect(vi.getTimerCount()).toBe(0);
    const calls = src.levelCalls;
    await vi.advanceTimersByTimeAsync(5000);
    expect(src.levelCalls).toBe(calls);
  });

  it('refuses a bad query with INVALID_ARGUMENT', async () => {
    const h = new MetricHistory({ dir: await dirs.make(), source: fakeSource() });
    const bad = (p: unknown): Promise<unknown> => h.query(p as never);
    await expect(bad({ resolution: 'hour' })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, message: 'resolution must be "second" or "minute" (got "hour")' });
    await expect(bad({ resolution: 'second', fromMs: 'now' })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(bad({ resolution: 'minute', fromMs: 10, toMs: 5 })).rejects.toThrow(/fromMs \(10\) is after toMs \(5\)/);
  });
});
