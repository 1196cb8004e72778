import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { IpcRequest } from '../../../src-main/ipc/ipc-contract.js';
import { useTidegateApi } from './bridge-context.js';
import { queryKeys } from './query-keys.js';

/** The default upload limit, the weekly schedule, its time zone and the limit in force now. */
export function useBandwidth() {
  const api = useTidegateApi();
  // The effective limit changes when a window starts or ends: refresh once a minute.
  return useQuery({ queryKey: queryKeys.bandwidth, queryFn: () => api.bandwidth.get(), refetchInterval: 60_000 });
}

/** Saves the default limit and/or the schedule. */
export function useConfigureBandwidth() {
  const api = useTidegateApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (req: IpcRequest<'bandwidth.configure'>) => api.bandwidth.configure(req),
    onSuccess: (settings) => {
      queryClient.setQueryData(queryKeys.bandwidth, settings);
      return queryClient.invalidateQueries({ queryKey: queryKeys.snapshot });
    },
  });
}
