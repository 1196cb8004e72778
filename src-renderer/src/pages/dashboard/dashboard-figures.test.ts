import { describe, expect, it } from 'vitest';
import { engineStatusFixture, sampleFixture, volumeFixture } from '../../test-support/fixtures.js';
import { sortAlerts } from './alerts-panel.js';
import { chartDomain, chartRows, downsample } from './chart-data.js';
import { dataAtRisk } from './dashboard-figures.js';

describe('dataAtRisk', () => {
  it('is good when everything is uploaded', () => {
    const r = dataAtRisk(engineStatusFixture({ volumes: [volumeFixture('a')] }));
    expect(r).toMatchObject({ uploadBacklogBytes: 0, dirtyBytes: 0, oldestRecoveryPointAgeSeconds: 0, tone: 'good' });
  });

  it('sums dirty bytes, takes the oldest recovery point and the gateway backlog', () => {
    const status = engineStatusFixture({ volumes: [volumeFixture('a', { DirtyBytes: 100, TimeSinceLastRecoveryPoint: 30 }), volumeFixture('b', { DirtyBytes: 50, TimeSinceLastRecoveryPoint: 90 })] });
    status.uploadBuffer.QueuedWrites = 4096;
    expect(dataAtRisk(status)).toMatchObject({ uploadBacklogBytes: 4096, dirtyBytes: 150, oldestRecoveryPointAgeSeconds: 90, tone: 'info' });
  });

  it('escalates for degraded, old recovery points, back-pressure and throttled volumes', () => {
    expect(dataAtRisk(engineStatusFixture({ volumes: [volumeFixture('a', { state: 'degraded' })] })).tone).toBe('warning');
    expect(dataAtRisk(engineStatusFixture({ volumes: [volumeFixture('a', { TimeSinceLastRecoveryPoint: 20 * 60 })] })).tone).toBe('warning');
    expect(dataAtRisk(engineStatusFixture({ volumes: [volumeFixture('a', { TimeSinceLastRecoveryPoint: 2 * 3600 })] })).tone).toBe('critical');
    const throttled = dataAtRisk(engineStatusFixture({ volumes: [volumeFixture('a', { state: 'throttled' })] }));
    expect(throttled).toMatchObject({ tone: 'critical', summary: expect.stringContaining('a is throttled or failed') });
  });
});

describe('chart data', () => {
  it('downsamples by averaging buckets, keeping each bucket’s last ts', () => {
    const samples = [1, 2, 3, 4, 5, 6].map((i) => sampleFixture(i * 1000, { readOpsPerSec: i }));
    const out = downsample(samples, 3);
    expect(out.map((s) => s.ts)).toEqual([2000, 4000, 6000]);
    expect(out.map((s) => s.readOpsPerSec)).toEqual([1.5, 3.5, 5.5]);
    expect(downsample(samples, 10)).toHaveLength(6);
  });

  it('ends the domain at the newest sample and clips rows to it', () => {
    const samples = [1, 2, 3].map((i) => sampleFixture(i * 1000));
    expect(chartDomain(samples, 1, 99_000)).toEqual([2000, 3000]);
    expect(chartDomain([], 60, 99_000)).toEqual([39_000, 99_000]);
    expect(chartRows(samples, [2000, 3000]).map((s) => s.ts)).toEqual([2000, 3000]);
  });
});

describe('sortAlerts', () => {
  it('keeps open alerts, most severe then newest first', () => {
    const base = { gatewayId: 'g', volume: null, message: 'm', closedAt: null, value: null };
    const alerts = [
      { ...base, id: '1', rule: 'r', severity: 'info' as const, state: 'open' as const, openedAt: '2026-11-03T10:00:00Z' },
      { ...base, id: '2', rule: 'r', severity: 'critical' as const, state: 'open' as const, openedAt: '2026-11-03T09:00:00Z' },
      { ...base, id: '3', rule: 'r', severity: 'critical' as const, state: 'open' as const, openedAt: '2026-11-03T11:00:00Z' },
      { ...base, id: '4', rule: 'r', severity: 'critical' as const, state: 'closed' as const, openedAt: '2026-11-03T12:00:00Z' },
      { ...base, id: '5', rule: 'r', severity: 'warning' as const, state: 'open' as const, openedAt: '2026-11-03T08:00:00Z' },
    ];
    expect(sortAlerts(alerts).map((a) => a.id)).toEqual(['3', '2', '5', '1']);
  });
});
