import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { TidegateApi } from '../../../src-main/ipc/ipc-contract.js';
import { connectEventsToCache } from './events-to-cache.js';
import { LiveMetricsStore } from './live-metrics-store.js';

/** What every bridge hook needs: the api (injected, so tests pass a fake) and the live series. */
export interface Bridge {
  api: TidegateApi;
  liveMetrics: LiveMetricsStore;
}

const BridgeContext = createContext<Bridge | null>(null);

/**
 * Provides the api to the hooks and connects pushed events to the cache for as long as it is
 * mounted. Must sit inside a QueryClientProvider.
 */
export function BridgeProvider({ api, children }: { api: TidegateApi; children: ReactNode }) {
  const queryClient = useQueryClient();
  const [bridge] = useState<Bridge>(() => ({ api, liveMetrics: new LiveMetricsStore() }));
  useEffect(() => connectEventsToCache(bridge.api, queryClient, bridge.liveMetrics), [bridge, queryClient]);
  return <BridgeContext.Provider value={bridge}>{children}</BridgeContext.Provider>;
}

/** The bridge of the nearest BridgeProvider. */
export function useBridge(): Bridge {
  const bridge = useContext(BridgeContext);
  if (!bridge) throw new Error('useBridge() outside <BridgeProvider>');
  return bridge;
}

/** The TidegateApi of the nearest BridgeProvider. */
export function useTidegateApi(): TidegateApi {
  return useBridge().api;
}
