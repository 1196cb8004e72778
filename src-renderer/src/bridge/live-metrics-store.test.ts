import { describe, expect, it, vi } from 'vitest';
import { sampleFixture } from '../test-support/fixtures.js';
import { LIVE_MAX_POINTS, LiveMetricsStore, mergeSamples } from './live-metrics-store.js';

const T0 = 1_800_000_000_000;

describe('LiveMetricsStore', () => {
  it('appends pushed samples and notifies subscribers', () => {
    const store = new LiveMetricsStore();
    const listener = vi.fn();
    store.subscribe(listener);
    store.append(sampleFixture(T0));
    store.append(sampleFixture(T0 + 1000));
    expect(store.getSnapshot().map((s) => s.ts)).toEqual([T0, T0 + 1000]);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('keeps at most an hour at one sample a second', () => {
    const store = new LiveMetricsStore();
    for (let i = 0; i < LIVE_MAX_POINTS + 500; i++) store.append(sampleFixture(T0 + i * 1000));
    const samples = store.getSnapshot();
    expect(samples).toHaveLength(LIVE_MAX_POINTS);
    expect(samples[samples.length - 1]!.ts).toBe(T0 + (LIVE_MAX_POINTS + 499) * 1000);
    expect(samples[0]!.ts).toBe(T0 + 500 * 1000);
  });

  it('drops samples older than the window even when there are few', () => {
    const store = new LiveMetricsStore();
    store.append(sampleFixture(T0));
    store.append(sampleFixture(T0 + 3_600_000));
    expect(store.getSnapshot().map((s) => s.ts)).toEqual([T0 + 3_600_000]);
  });

  it('merges seeded history under samples pushed meanwhile, sorted and without duplicates', () => {
    const store = new LiveMetricsStore();
    store.append(sampleFixture(T0 + 2000, { readOpsPerSec: 99 }));
    store.seed([sampleFixture(T0), sampleFixture(T0 + 1000), sampleFixture(T0 + 2000, { readOpsPerSec: 1 })]);
    const samples = store.getSnapshot();
    expect(samples.map((s) => s.ts)).toEqual([T0, T0 + 1000, T0 + 2000]);
    expect(samples[2]!.readOpsPerSec).toBe(99);
  });

  it('puts a late sample in order', () => {
    const store = new LiveMetricsStore();
    store.append(sampleFixture(T0 + 2000));
    store.append(sampleFixture(T0 + 1000));
    expect(store.getSnapshot().map((s) => s.ts)).toEqual([T0 + 1000, T0 + 2000]);
  });

  it('returns the same array until something changes (stable for useSyncExternalStore)', () => {
    const store = new LiveMetricsStore();
    store.append(sampleFixture(T0));
    expect(store.getSnapshot()).toBe(store.getSnapshot());
  });
});

describe('mergeSamples', () => {
  it('honours maxPoints', () => {
    const a = [sampleFixture(T0), sampleFixture(T0 + 1000), sampleFixture(T0 + 2000)];
    expect(mergeSamples(a, [], 2).map((s) => s.ts)).toEqual([T0 + 1000, T0 + 2000]);
  });
});
