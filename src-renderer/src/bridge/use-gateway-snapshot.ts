import { useQuery } from '@tanstack/react-query';
import { useTidegateApi } from './bridge-context.js';
import { queryKeys } from './query-keys.js';

/** Slow safety-net refresh: `gateway.snapshot` events keep the data current every few seconds. */
const FALLBACK_REFRESH_MS = 30_000;

/** The engine process and its status (null while the engine is not running). */
export function useGatewaySnapshot() {
  const api = useTidegateApi();
  return useQuery({ queryKey: queryKeys.snapshot, queryFn: () => api.gateway.snapshot(), refetchInterval: FALLBACK_REFRESH_MS });
}
