import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { createFakeApi } from '../test-support/fake-tidegate-api.js';
import { engineStatusFixture, sampleFixture, snapshotFixture, volumeFixture } from '../test-support/fixtures.js';
import { connectEventsToCache } from './events-to-cache.js';
import { LiveMetricsStore } from './live-metrics-store.js';
import { queryKeys } from './query-keys.js';

describe('connectEventsToCache', () => {
  it('puts a pushed snapshot, its volumes and its control status into the cache', () => {
    const fake = createFakeApi({});
    const qc = new QueryClient();
    connectEventsToCache(fake.api, qc, new LiveMetricsStore());
    const status = engineStatusFixture({ volumes: [volumeFixture('vol1')] });
    fake.emit('gateway.snapshot', snapshotFixture(status));
    expect(qc.getQueryData(queryKeys.snapshot)).toEqual(snapshotFixture(status));
    expect(qc.getQueryData(queryKeys.volumes)).toEqual([volumeFixture('vol1')]);
    expect(qc.getQueryData(queryKeys.activationStatus)).toEqual(status.controlPlane);
  });

  it('leaves the volume list alone while the engine is down', () => {
    const fake = createFakeApi({});
    const qc = new QueryClient();
    qc.setQueryData(queryKeys.volumes, [volumeFixture('vol1')]);
    connectEventsToCache(fake.api, qc, new LiveMetricsStore());
    fake.emit('gateway.snapshot', snapshotFixture(null));
    expect(qc.getQueryData(queryKeys.volumes)).toEqual([volumeFixture('vol1')]);
  });

  it('appends metric samples to the live series', () => {
    const fake = createFakeApi({});
    const live = new LiveMetricsStore();
    connectEventsToCache(fake.api, new QueryClient(), live);
    fake.emit('metrics.sample', sampleFixture(1_000));
    fake.emit('metrics.sample', sampleFixture(2_000));
    expect(live.getSnapshot().map((s) => s.ts)).toEqual([1_000, 2_000]);
  });

  it('keeps sync progress per volume and refreshes the list when a sync ends', async () => {
    const fake = createFakeApi({});
    const qc = new QueryClient();
    connectEventsToCache(fake.api, qc, new LiveMetricsStore());
    qc.setQueryData(queryKeys.volumes, []);
    fake.emit('volumes.syncProgress', { name: 'vol1', phase: 'running', totalBytes: 100, remainingBytes: 40, recoveryPoint: null, error: null });
    expect(qc.getQueryData(queryKeys.syncProgress('vol1'))).toMatchObject({ remainingBytes: 40 });
    expect(qc.getQueryState(queryKeys.volumes)?.isInvalidated).toBe(false);
    fake.emit('volumes.syncProgress', { name: 'vol1', phase: 'done', totalBytes: 100, remainingBytes: 0, recoveryPoint: { headNo: 8, lastSeq: 1, committedAt: 'x' }, error: null });
    expect(qc.getQueryState(queryKeys.volumes)?.isInvalidated).toBe(true);
  });

  it('unsubscribes everything it subscribed', () => {
    const fake = createFakeApi({});
    const off = connectEventsToCache(fake.api, new QueryClient(), new LiveMetricsStore());
    expect(fake.listenerCount('gateway.snapshot') + fake.listenerCount('metrics.sample') + fake.listenerCount('volumes.syncProgress')).toBe(3);
    off();
    expect(fake.listenerCount('gateway.snapshot') + fake.listenerCount('metrics.sample') + fake.listenerCount('volumes.syncProgress')).toBe(0);
  });
});
