import { describe, expect, it } from 'vitest';
import { GATEWAY_METRICS, GatewayMetric, LATENCY_BUCKETS_SECONDS } from './gateway-metric-names.js';
import { MetricsRegistry } from './registry.js';

describe('gateway metric names', () => {
  it('covers every AWS name the administrator expects', () => {
    expect(Object.keys(GatewayMetric).sort()).toEqual(
      [
        'CacheHitPercent',
        'CachePercentUsed',
        'CachePercentDirty',
        'UploadBufferPercentUsed',
        'UploadBufferUsedBytes',
        'QueuedWrites',
        'CloudBytesUploaded',
        'CloudBytesDownloaded',
        'TimeSinceLastRecoveryPoint',
        'ReadBytes',
        'WriteBytes',
        'ReadTime',
        'WriteTime',
        'IoWaitPercent',
        'WriteLogErrors',
      ].sort(),
    );
    for (const [key, def] of Object.entries(GatewayMetric)) expect(def.awsName).toBe(key);
    expect(GatewayMetric.CacheHitPercent.prometheusName).toBe('tidegate_cache_hit_percent');
  });

  it('uses unique, well-formed Prometheus names following conventions', () => {
    const names = GATEWAY_METRICS.map((d) => d.prometheusName);
    expect(new Set(names).size).toBe(names.length);
    for (const d of GATEWAY_METRICS) {
      expect(d.prometheusName).toMatch(/^tidegate_[a-z0-9_]+$/);
      if (d.type === 'counter') expect(d.prometheusName).toMatch(/_total$/);
      else expect(d.prometheusName).not.toMatch(/_total$/);
      expect(d.help.length).toBeGreaterThan(0);
      expect(d.help).not.toContain('\n');
    }
  });

  it('registers cleanly in a registry', () => {
    const reg = new MetricsRegistry();
    for (const d of GATEWAY_METRICS) {
      const opts = { name: d.prometheusName, help: d.help, labelNames: d.labelNames };
      if (d.type === 'counter') reg.counter(opts);
      else if (d.type === 'gauge') reg.gauge(opts);
      else reg.histogram({ ...opts, buckets: LATENCY_BUCKETS_SECONDS });
    }
    const text = reg.render();
    for (const d of GATEWAY_METRICS) expect(text).toContain(`# TYPE ${d.prometheusName} ${d.type}\n`);
  });

  it('is frozen data', () => {
    expect(Object.isFrozen(GatewayMetric)).toBe(true);
    expect(Object.isFrozen(GatewayMetric.ReadTime)).toBe(true);
    expect(Object.isFrozen(GATEWAY_METRICS)).toBe(true);
  });
});
