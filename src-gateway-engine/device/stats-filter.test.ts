import { describe, expect, it } from 'vitest';
import { CheckedDevice } from './checked-device.js';
import { latencyQuantile, LatencyHistogram, LATENCY_BUCKET_BOUNDS_SECONDS } from './latency-histogram.js';
import { MemoryDevice } from './memory-device.js';
import { StatsFilter } from './stats-filter.js';

describe('LatencyHistogram', () => {
  it('places durations in log buckets and answers quantiles', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 99; i++) h.record(0.001);
    h.record(1);
    const s = h.snapshot();
    expect(s.count).toBe(100);
    expect(s.counts.length).toBe(LATENCY_BUCKET_BOUNDS_SECONDS.length + 1);
    const p50 = latencyQuantile(s, 0.5);
    expect(p50).toBeGreaterThanOrEqual(0.001);
    expect(p50).toBeLessThan(0.0012);
    expect(latencyQuantile(s, 0.999)).toBeGreaterThanOrEqual(1);
    expect(latencyQuantile(new LatencyHistogram().snapshot(), 0.5)).toBe(0);
  });

  it('puts huge durations in the overflow bucket', () => {
    const h = new LatencyHistogram();
    h.record(1e6);
    expect(latencyQuantile(h.snapshot(), 0.5)).toBe(Infinity);
  });
});

describe('StatsFilter', () => {
  it('latencyTotals gives ops and latency sums per kind without a snapshot', async () => {
    let clock = 0;
    const stats = new StatsFilter(new CheckedDevice(new MemoryDevice({ size: 1 << 20 })), { now: () => (clock += 3) });
    expect(stats.latencyTotals('read')).toEqual({ ops: 0, seconds: 0 });
    await stats.read(0, 512);
    await stats.read(0, 512);
    await stats.write(0, Buffer.alloc(512));
    expect(stats.latencyTotals('read').ops).toBe(2);
    expect(stats.latencyTotals('read').seconds).toBeCloseTo(0.006, 9);
    expect(stats.latencyTotals('write')).toEqual({ ops: 1, seconds: expect.closeTo(0.003, 9) });
  });

  it('counts ops, bytes, errors and latency per kind', async () => {
    let clock = 0;
    const stats = new StatsFilter(new CheckedDevice(new MemoryDevice({ size: 1 << 20 })), {
      now: () => (clock += 2), // every op takes 2 ms
    });
    await stats.write(0, Buffer.alloc(1000));
    await stats.read(0, 300);
    await stats.read(0, 200);
    await stats.flush();
    await stats.trim(0, 4096);
    await stats.writeZeroes(0, 8192);
    await stats.blockStatus(0, 4096);
    await expect(stats.read(1 << 20, 1)).rejects.toThrow();
    const s = stats.snapshot();
    expect(s.bytesWritten).toBe(1000);
    expect(s.bytesRead).toBe(500);
    expect(s.bytesTrimmed).toBe(4096);
    expect(s.bytesZeroed).toBe(8192);
    expect(s.inFlight).toBe(0);
    expect(s.byOp.read.ops).toBe(3);
    expect(s.byOp.read.errors).toBe(1);
    expect(s.byOp.write.ops).toBe(1);
    expect(s.byOp.flush.ops).toBe(1);
    expect(s.byOp.blockStatus.ops).toBe(1);
    expect(s.byOp.read.latency.count).toBe(3);
    expect(s.byOp.read.latency.sumSeconds).toBeCloseTo(0.006);
    const p50 = latencyQuantile(s.byOp.read.latency, 0.5);
    expect(p50).toBeGreaterThanOrEqual(0.002);
    expect(p50).toBeLessThan(0.0025);
  });
});
