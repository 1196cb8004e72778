import type { QueryClient } from '@tanstack/react-query';
import type { TidegateApi } from '../../../src-main/ipc/ipc-contract.js';
import type { LiveMetricsStore } from './live-metrics-store.js';
import { queryKeys } from './query-keys.js';

/**
 * Pushed events → client state, so nothing polls in a tight loop:
 * - `gateway.snapshot` replaces the snapshot query, and the volume list and control status it contains;
 * - `metrics.sample` appends to the live series;
 * - `volumes.syncProgress` is kept per volume; a finished sync refreshes the volume list.
 * Returns the function that unsubscribes all three.
 */
export function connectEventsToCache(api: TidegateApi, queryClient: QueryClient, liveMetrics: LiveMetricsStore): () => void {
  const offs = [
    api.events.on('gateway.snapshot', (snapshot) => {
      queryClient.setQueryData(queryKeys.snapshot, snapshot);
      if (snapshot.status) {
        queryClient.setQueryData(queryKeys.volumes, snapshot.status.volumes);
        queryClient.setQueryData(queryKeys.activationStatus, snapshot.status.controlPlane);
      }
    }),
    api.events.on('metrics.sample', (sample) => liveMetrics.append(sample)),
    api.events.on('volumes.syncProgress', (progress) => {
      queryClient.setQueryData(queryKeys.syncProgress(progress.name), progress);
      if (progress.phase !== 'running') void queryClient.invalidateQueries({ queryKey: queryKeys.volumes });
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
