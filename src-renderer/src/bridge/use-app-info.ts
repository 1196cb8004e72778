import { useQuery } from '@tanstack/react-query';
import { useTidegateApi } from './bridge-context.js';
import { queryKeys } from './query-keys.js';

/** Version, shell, data folder, embedded control plane and host time zone (fixed for the session). */
export function useAppInfo() {
  const api = useTidegateApi();
  return useQuery({ queryKey: queryKeys.appInfo, queryFn: () => api.app.info(), staleTime: Infinity });
}
