import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { LogsRecentRequest } from '../../../src-main/ipc/ipc-contract.js';
import { useTidegateApi } from './bridge-context.js';
import { queryKeys } from './query-keys.js';

/** How often auto-refresh polls; react-query pauses it while the page is hidden. */
export const LOGS_REFRESH_MS = 2_000;

/** Recent engine log lines (oldest first) matching the filter. */
export function useRecentLogs(req: LogsRecentRequest, autoRefresh: boolean) {
  const api = useTidegateApi();
  return useQuery({
    queryKey: queryKeys.logs(req),
    queryFn: () => api.logs.recent(req),
    refetchInterval: autoRefresh ? LOGS_REFRESH_MS : false,
    refetchIntervalInBackground: false,
    // Keep showing the previous lines while a new filter loads.
    placeholderData: keepPreviousData,
  });
}
