import { GCProfiler } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import {
  MetricsRegistry,
  escapeHelp,
  escapeLabelValue,
  exponentialBuckets,
  formatSampleValue,
  linearBuckets,
} from './registry.js';

describe('MetricsRegistry exposition format 0.0.4', () => {
  it('renders counters, gauges and histograms exactly', () => {
    const reg = new MetricsRegistry();
    const writes = reg.counter({ name: 'tidegate_write_bytes_total', help: 'Bytes written.', labelNames: ['volume'] });
    const up = reg.gauge({ name: 'tidegate_up', help: 'Engine is up.' });
    const lat = reg.histogram({ name: 'tidegate_write_time_seconds', help: 'Write latency.', labelNames: ['volume'], buckets: [0.001, 0.01, 0.1] });

    writes.labels({ volume: 'vol1' }).inc(4096);
    writes.labels({ volume: 'vol1' }).inc(4096);
    writes.labels({ volume: 'vol2' }).inc();
    up.set(1);
    const l1 = lat.labels({ volume: 'vol1' });
    l1.observe(0.0005);
    l1.observe(0.001); // on the bound: counts in le="0.001"
    l1.observe(0.05);
    l1.observe(3);

    expect(reg.render()).toBe(
      [
        '# HELP tidegate_write_bytes_total Bytes written.',
        '# TYPE tidegate_write_bytes_total counter',
        'tidegate_write_bytes_total{volume="vol1"} 8192',
        'tidegate_write_bytes_total{volume="vol2"} 1',
        '# HELP tidegate_up Engine is up.',
        '# TYPE tidegate_up gauge',
        'tidegate_up 1',
        '# HELP tidegate_write_time_seconds Write latency.',
        '# TYPE tidegate_write_time_seconds histogram',
        'tidegate_write_time_seconds_bucket{volume="vol1",le="0.001"} 2',
        'tidegate_write_time_seconds_bucket{volume="vol1",le="0.01"} 2',
        'tidegate_write_time_seconds_bucket{volume="vol1",le="0.1"} 3',
        'tidegate_write_time_seconds_bucket{volume="vol1",le="+Inf"} 4',
        'tidegate_write_time_seconds_sum{volume="vol1"} 3.0515',
        'tidegate_write_time_seconds_count{volume="vol1"} 4',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values and HELP text', () => {
    const reg = new MetricsRegistry();
    const g = reg.gauge({ name: 'x', help: 'line1\nback\\slash "quotes" stay', labelNames: ['path'] });
    g.labels({ path: 'C:\\dir\n"q"' }).set(2);
    expect(reg.render()).toBe(
      '# HELP x line1\\nback\\\\slash "quotes" stay\n# TYPE x gauge\nx{path="C:\\\\dir\\n\\"q\\""} 2\n',
    );
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeHelp('a\\b"c\nd')).toBe('a\\\\b"c\\nd');
  });

  it('renders unlabelled metrics at 0 before any update, and labelled ones with no series as HELP/TYPE only', () => {
    const reg = new MetricsRegistry();
    reg.counter({ name: 'a_total', help: 'A.' });
    reg.gauge({ name: 'b', help: 'B.', labelNames: ['volume'] });
    reg.histogram({ name: 'c', help: 'C.', buckets: [1] });
    expect(reg.render()).toBe(
      [
        '# HELP a_total A.',
        '# TYPE a_total counter',
        'a_total 0',
        '# HELP b B.',
        '# TYPE b gauge',
        '# HELP c C.',
        '# TYPE c histogram',
        'c_bucket{le="1"} 0',
        'c_bucket{le="+Inf"} 0',
        'c_sum 0',
        'c_count 0',
        '',
      ].join('\n'),
    );
  });

  it('formats special values', () => {
    expect(formatSampleValue(NaN)).toBe('NaN');
    expect(formatSampleValue(Infinity)).toBe('+Inf');
    expect(formatSampleValue(-Infinity)).toBe('-Inf');
    expect(formatSampleValue(-0)).toBe('0');
    expect(formatSampleValue(1.5)).toBe('1.5');
    expect(formatSampleValue(2 ** 53)).toBe('9007199254740992');
    const reg = new MetricsRegistry();
    const g = reg.gauge({ name: 'g', help: 'G.' });
    g.set(NaN);
    expect(reg.render()).toContain('\ng NaN\n');
    g.set(-Infinity);
    expect(reg.render()).toContain('\ng -Inf\n');
  });

  it('orders label pairs by declared label names, whatever the object key order', () => {
    const reg = new MetricsRegistry();
    const c = reg.counter({ name: 'c_total', help: 'C.', labelNames: ['volume', 'op'] });
    c.labels({ op: 'read', volume: 'v' }).inc();
    expect(c.labels({ volume: 'v', op: 'read' }).get()).toBe(1);
    expect(reg.render()).toContain('c_total{volume="v",op="read"} 1\n');
  });
});

describe('histogram buckets', () => {
  it('counts cumulatively; le is inclusive; NaN and values above the last bound go to +Inf', () => {
    const reg = new MetricsRegistry();
    const h = reg.histogram({ name: 'h', help: 'H.', buckets: [1, 2, 5] });
    for (const v of [0, 1, 1.0001, 2, 4.9, 5, 5.1, 100]) h.observe(v);
    const snap = h.get();
    expect(snap.buckets).toEqual([1, 2, 5, Infinity]);
    expect(snap.counts).toEqual([2, 4, 6, 8]);
    expect(snap.count).toBe(8);
    expect(snap.sum).toBeCloseTo(0 + 1 + 1.0001 + 2 + 4.9 + 5 + 5.1 + 100, 9);
    h.observe(-3); // below every bound
    expect(h.get().counts[0]).toBe(3);
  });

  it('rejects bad buckets', () => {
    const reg = new MetricsRegistry();
    expect(() => reg.histogram({ name: 'h1', help: '', buckets: [] })).toThrow(/at least one bucket/);
    expect(() => reg.histogram({ name: 'h2', help: '', buckets: [1, 1] })).toThrow(/strictly increasing/);
    expect(() => reg.histogram({ name: 'h3', help: '', buckets: [2, 1] })).toThrow(/strictly increasing/);
    expect(() => reg.histogram({ name: 'h4', help: '', buckets: [1, Infinity] })).toThrow(/\+Inf is implicit/);
    expect(() => reg.histogram({ name: 'h5', help: '', buckets: [1], labelNames: ['le'] })).toThrow(/reserved/);
  });

  it('builds exponential and linear buckets', () => {
    expect(exponentialBuckets(1, 2, 4)).toEqual([1, 2, 4, 8]);
    expect(linearBuckets(0, 5, 3)).toEqual([0, 5, 10]);
    expect(() => exponentialBuckets(0, 2, 3)).toThrow();
    expect(() => linearBuckets(0, 0, 3)).toThrow();
  });
});

describe('registry rules', () => {
  it('rejects duplicate names, bad names and bad labels', () => {
    const reg = new MetricsRegistry();
    reg.counter({ name: 'dup_total', help: '' });
    expect(() => reg.gauge({ name: 'dup_total', help: '' })).toThrow(expect.objectContaining({ code: ErrorCode.AlreadyExists }));
    expect(() => reg.gauge({ name: '1bad', help: '' })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument }));
    expect(() => reg.gauge({ name: 'ok', help: '', labelNames: ['__x'] })).toThrow(/invalid label name/);
    expect(() => reg.gauge({ name: 'ok2', help: '', labelNames: ['a', 'a'] })).toThrow(/duplicate/);
    const g = reg.gauge({ name: 'ok3', help: '', labelNames: ['volume'] });
    expect(() => g.set(1)).toThrow(/use \.labels/);
    expect(() => g.labels({} as never)).toThrow(/expected labels \{volume\}/);
    expect(() => g.labels({ volume: 'a', extra: 'b' } as never)).toThrow(/expected labels/);
  });

  it('counters refuse to go down', () => {
    const reg = new MetricsRegistry();
    const c = reg.counter({ name: 'c_total', help: '' });
    expect(() => c.inc(-1)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument }));
    expect(() => c.inc(NaN)).toThrow();
    c.inc(2.5);
    expect(c.get()).toBe(2.5);
  });

  it('gauges go up and down', () => {
    const reg = new MetricsRegistry();
    const g = reg.gauge({ name: 'g', help: '' });
    g.inc();
    g.inc(5);
    g.dec(2);
    expect(g.get()).toBe(4);
  });

  it('runs collect hooks at scrape time (callback gauges)', () => {
    const reg = new MetricsRegistry();
    let used = 10;
    reg.gauge({
      name: 'tidegate_cache_used_percent',
      help: 'Cache used.',
      collect: (g) => g.set(used),
    });
    reg.counter({
      name: 'tidegate_cloud_uploaded_bytes_total',
      help: 'Uploaded.',
      labelNames: ['volume'],
      collect: (c) => c.labels({ volume: 'v1' }).set(used * 1000),
    });
    expect(reg.render()).toContain('tidegate_cache_used_percent 10\n');
    used = 42.5;
    const text = reg.render();
    expect(text).toContain('tidegate_cache_used_percent 42.5\n');
    expect(text).toContain('tidegate_cloud_uploaded_bytes_total{volume="v1"} 42500\n');
  });

  it('keeps previous values when a collect hook throws, and reports it', () => {
    const errors: string[] = [];
    const reg = new MetricsRegistry({ onCollectError: (name) => errors.push(name) });
    let fail = false;
    reg.gauge({
      name: 'g',
      help: '',
      collect: (g) => {
        if (fail) throw new Error('boom');
        g.set(7);
      },
    });
    reg.gauge({ name: 'h', help: '' }).set(1);
    expect(reg.render()).toContain('g 7\n');
    fail = true;
    const text = reg.render();
    expect(text).toContain('g 7\n');
    expect(text).toContain('h 1\n');
    expect(errors).toEqual(['g']);
  });

  it('removes series and unregisters metrics', () => {
    const reg = new MetricsRegistry();
    const c = reg.counter({ name: 'c_total', help: 'C.', labelNames: ['volume'] });
    c.labels({ volume: 'a' }).inc();
    c.labels({ volume: 'b' }).inc();
    expect(c.remove({ volume: 'a' })).toBe(true);
    expect(c.remove({ volume: 'a' })).toBe(false);
    expect(reg.render()).not.toContain('volume="a"');
    expect(reg.get('c_total')).toBe(c);
    expect(reg.unregister('c_total')).toBe(true);
    expect(reg.render()).toBe('');
  });

  it('does not allocate on hot-path updates (no GC runs during two million updates)', () => {
    const reg = new MetricsRegistry();
    const c = reg.counter({ name: 'c_total', help: '', labelNames: ['volume'] }).labels({ volume: 'v' });
    const g = reg.gauge({ name: 'g', help: '', labelNames: ['volume'] }).labels({ volume: 'v' });
    const h = reg.histogram({ name: 'h', help: '', labelNames: ['volume'], buckets: exponentialBuckets(0.0001, 2, 16) }).labels({ volume: 'v' });
    const u = reg.counter({ name: 'u_total', help: '' });
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) {
        c.inc(4096);
        u.inc();
        g.set(i);
        g.inc();
        h.observe(i * 1e-6);
      }
    };
    run(20_000); // warm up / JIT
    // With no allocation the young generation never fills, so no scavenge runs; one
    // small object per update would cause several (measured: ~16 per 2M updates).
    const profiler = new GCProfiler();
    profiler.start();
    run(2_000_000);
    const gcs = profiler.stop()?.statistics.length ?? 0;
    expect(gcs).toBeLessThanOrEqual(1);
    expect(h.get().count).toBe(2_020_000);
  });
});
