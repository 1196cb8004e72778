import { describe, expect, it } from 'vitest';
import type { MetricSample } from '../runtime/engine-commands.js';
import { METRIC_SAMPLE_FIELDS, MetricSampleRing } from './metric-sample-ring.js';

function sample(ts: number, v = ts): MetricSample {
  const s = {} as Record<keyof MetricSample, number>;
  for (const f of METRIC_SAMPLE_FIELDS) s[f] = v;
  s.ts = ts;
  return s as MetricSample;
}

describe('MetricSampleRing', () => {
  it('keeps the newest N samples, oldest first, every field intact', () => {
    const r = new MetricSampleRing(3);
    expect(r.query()).toEqual([]);
    for (let t = 1; t <= 5; t++) r.push(sample(t * 1000, t));
    expect(r.size).toBe(3);
    expect(r.query()).toEqual([sample(3000, 3), sample(4000, 4), sample(5000, 5)]);
  });

  it('copies the pushed object (the sampler reuses one)', () => {
    const r = new MetricSampleRing(4);
    const s = sample(1000, 1);
    r.push(s);
    s.ts = 2000;
    s.readOpsPerSec = 99;
    r.push(s);
    expect(r.query().map((x) => [x.ts, x.readOpsPerSec])).toEqual([
      [1000, 1],
      [2000, 99],
    ]);
  });

  it('filters by fromMs and toMs, both inclusive', () => {
    const r = new MetricSampleRing(10);
    for (let t = 1; t <= 10; t++) r.push(sample(t * 1000));
    expect(r.query(3000, 5000).map((s) => s.ts)).toEqual([3000, 4000, 5000]);
    expect(r.query(9500).map((s) => s.ts)).toEqual([10_000]);
    expect(r.query(undefined, 1000).map((s) => s.ts)).toEqual([1000]);
    expect(r.query(20_000)).toEqual([]);
  });

  it('refuses a zero capacity', () => {
    expect(() => new MetricSampleRing(0)).toThrow(RangeError);
  });
});
