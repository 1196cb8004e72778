// @vitest-environment happy-dom
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TidegateApi, VolumeInfo } from '../../../src-main/ipc/ipc-contract.js';
import { createFakeApi } from '../test-support/fake-tidegate-api.js';
import { engineStatusFixture, sampleFixture, snapshotFixture, storageFixture, volumeFixture } from '../test-support/fixtures.js';
import { testQueryClient } from '../test-support/render-with-bridge.js';
import { BridgeProvider } from './bridge-context.js';
import { ConsoleError } from './console-error.js';
import { useGatewaySnapshot } from './use-gateway-snapshot.js';
import { useLiveMetrics } from './use-metrics.js';
import { useConfigureStorage, useStorageInfo } from './use-storage.js';
import { useCreateVolume, useDeleteVolume, useSyncProgress, useSyncVolume, useVolumes } from './use-volumes.js';

afterEach(cleanup);

function wrapperFor(api: TidegateApi, queryClient = testQueryClient()) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>
      <BridgeProvider api={api}>{children}</BridgeProvider>
    </QueryClientProvider>
  );
  return { wrapper, queryClient };
}

describe('useVolumes / mutations', () => {
  it('lists volumes, and a create refetches the list', async () => {
    let volumes: VolumeInfo[] = [];
    const fake = createFakeApi({
      'volumes.list': () => volumes,
      'gateway.snapshot': () => snapshotFixture(),
      'volumes.create': (req) => {
        const v = volumeFixture(req.name);
        volumes = [...volumes, v];
        return v;
      },
    });
    const { wrapper } = wrapperFor(fake.api);
    const { result } = renderHook(() => ({ list: useVolumes(), create: useCreateVolume() }), { wrapper });
    await waitFor(() => expect(result.current.list.data).toEqual([]));
    await act(() => result.current.create.mutateAsync({ name: 'vol1', sizeBytes: 4096, mode: 'cached' }));
    await waitFor(() => expect(result.current.list.data?.map((v) => v.name)).toEqual(['vol1']));
    expect(fake.calls).toHaveBeenCalledWith('volumes.create', { name: 'vol1', sizeBytes: 4096, mode: 'cached' });
    expect(fake.calls.mock.calls.filter(([c]) => c === 'volumes.list')).toHaveLength(2);
  });

  it('surfaces the ConsoleError of a failed call', async () => {
    const fake = createFakeApi({
      'volumes.list': () => {
        throw new ConsoleError('ENGINE_DOWN', 'the engine is restarting');
      },
    });
    const { wrapper } = wrapperFor(fake.api);
    const { result } = renderHook(() => useVolumes(), { wrapper });
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(result.current.error).toMatchObject({ code: 'ENGINE_DOWN', message: 'the engine is restarting' });
  });

  it('deletes with the typed name and refreshes the list', async () => {
    const del = vi.fn(() => ({ deleted: 'vol1' }));
    const fake = createFakeApi({ 'volumes.list': () => [], 'gateway.snapshot': () => snapshotFixture(), 'volumes.delete': del });
    const { wrapper, queryClient } = wrapperFor(fake.api);
    const { result } = renderHook(() => ({ list: useVolumes(), del: useDeleteVolume() }), { wrapper });
    await waitFor(() => expect(result.current.list.isSuccess).toBe(true));
    const before = fake.calls.mock.calls.length;
    await act(() => result.current.del.mutateAsync({ name: 'vol1', confirmName: 'vol1' }));
    expect(del).toHaveBeenCalledWith({ name: 'vol1', confirmName: 'vol1' });
    await waitFor(() => expect(fake.calls.mock.calls.slice(before).map(([c]) => c)).toContain('volumes.list'));
    expect(queryClient.getQueryState(['volumes', 'list'])?.isInvalidated).toBe(false);
  });

  it('shows sync progress pushed as events for that volume only', async () => {
    let finish: (v: { headNo: number; lastSeq: number; committedAt: string }) => void = () => {};
    const fake = createFakeApi({
      'volumes.list': () => [],
      'volumes.sync': () => new Promise((resolve) => (finish = resolve)),
    });
    const { wrapper } = wrapperFor(fake.api);
    const { result } = renderHook(() => ({ sync: useSyncVolume(), p1: useSyncProgress('vol1'), p2: useSyncProgress('vol2') }), { wrapper });
    act(() => result.current.sync.mutate('vol1'));
    await waitFor(() => expect(result.current.sync.isPending).toBe(true));
    act(() => fake.emit('volumes.syncProgress', { name: 'vol1', phase: 'running', totalBytes: 1000, remainingBytes: 250, recoveryPoint: null, error: null }));
    await waitFor(() => expect(result.current.p1?.remainingBytes).toBe(250));
    expect(result.current.p2).toBeUndefined();
    act(() => finish({ headNo: 9, lastSeq: 5, committedAt: '2026-11-03T10:00:00Z' }));
    await waitFor(() => expect(result.current.sync.isSuccess).toBe(true));
    expect(result.current.sync.data?.headNo).toBe(9);
  });
});

describe('useGatewaySnapshot', () => {
  it('is replaced by pushed snapshots without another call', async () => {
    const fake = createFakeApi({ 'gateway.snapshot': () => snapshotFixture(null) });
    const { wrapper } = wrapperFor(fake.api);
    const { result } = renderHook(() => useGatewaySnapshot(), { wrapper });
    await waitFor(() => expect(result.current.data?.engine.state).toBe('restarting'));
    act(() => fake.emit('gateway.snapshot', snapshotFixture(engineStatusFixture())));
    await waitFor(() => expect(result.current.data?.engine.state).toBe('running'));
    expect(fake.calls.mock.calls.filter(([c]) => c === 'gateway.snapshot')).toHaveLength(1);
  });
});

describe('useLiveMetrics', () => {
  it('seeds from an hour of history once, then appends pushed samples', async () => {
    const history = vi.fn(() => [sampleFixture(1_000), sampleFixture(2_000)]);
    const fake = createFakeApi({ 'metrics.history': history });
    const { wrapper } = wrapperFor(fake.api);
    const { result, rerender } = renderHook(() => useLiveMetrics(), { wrapper });
    await waitFor(() => expect(result.current.samples.map((s) => s.ts)).toEqual([1_000, 2_000]));
    expect(history).toHaveBeenCalledWith({ rangeSeconds: 3600 });
    act(() => fake.emit('metrics.sample', sampleFixture(3_000)));
    await waitFor(() => expect(result.current.samples.map((s) => s.ts)).toEqual([1_000, 2_000, 3_000]));
    rerender();
    expect(history).toHaveBeenCalledTimes(1);
  });
});

describe('useStorageInfo / useConfigureStorage', () => {
  it('puts the configured StorageInfo in the cache', async () => {
    const configured = { ...storageFixture(), cache: { ...storageFixture().cache, capacityBytes: 20 * 1024 ** 3 } };
    const fake = createFakeApi({ 'storage.describe': () => storageFixture(), 'storage.configure': () => configured, 'gateway.snapshot': () => snapshotFixture() });
    const { wrapper } = wrapperFor(fake.api);
    const { result } = renderHook(() => ({ info: useStorageInfo(), configure: useConfigureStorage() }), { wrapper });
    await waitFor(() => expect(result.current.info.data?.cache.capacityBytes).toBe(10 * 1024 ** 3));
    await act(() => result.current.configure.mutateAsync({ cacheBytes: 20 * 1024 ** 3 }));
    await waitFor(() => expect(result.current.info.data?.cache.capacityBytes).toBe(20 * 1024 ** 3));
    expect(fake.calls).toHaveBeenCalledWith('storage.configure', { cacheBytes: 20 * 1024 ** 3 });
  });
});
