import { useQuery } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import type { MetricSample } from '../../../src-main/ipc/ipc-contract.js';
import { useBridge, useTidegateApi } from './bridge-context.js';
import { LIVE_WINDOW_MS } from './live-metrics-store.js';
import { queryKeys } from './query-keys.js';

/**
 * The live last hour: 1 s samples from `metrics.sample` events, seeded once per session with
 * the hour the engine kept in memory (so the chart is not empty after a reload).
 */
export function useLiveMetrics(): { samples: readonly MetricSample[]; isSeeding: boolean; seedError: Error | null } {
  const { api, liveMetrics } = useBridge();
  const seed = useQuery({
    queryKey: queryKeys.liveSeed,
    queryFn: async () => {
      const history = await api.metrics.history({ rangeSeconds: LIVE_WINDOW_MS / 1000 });
      liveMetrics.seed(history);
      return history.length;
    },
    staleTime: Infinity,
    gcTime: Infinity,
  });
  const samples = useSyncExternalStore(liveMetrics.subscribe, liveMetrics.getSnapshot);
  return { samples, isSeeding: seed.isPending, seedError: seed.error };
}

/** Minute-resolution history for ranges beyond the live hour, refreshed once a minute. */
export function useMetricsHistory(rangeSeconds: number, enabled = true) {
  const api = useTidegateApi();
  return useQuery({
    queryKey: queryKeys.metricsHistory(rangeSeconds),
    queryFn: () => api.metrics.history({ rangeSeconds }),
    enabled,
    staleTime: 60_000,
    refetchInterval: enabled ? 60_000 : false,
  });
}
