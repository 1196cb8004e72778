import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { StorageConfigureParams } from '../../../src-main/ipc/ipc-contract.js';
import { useTidegateApi } from './bridge-context.js';
import { queryKeys } from './query-keys.js';

/** Cache and upload-buffer allocations, their filesystems and sizing warnings. */
export function useStorageInfo() {
  const api = useTidegateApi();
  return useQuery({ queryKey: queryKeys.storage, queryFn: () => api.storage.describe(), refetchInterval: 30_000 });
}

/** Applies new capacities; the answer is the new StorageInfo. */
export function useConfigureStorage() {
  const api = useTidegateApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (req: StorageConfigureParams) => api.storage.configure(req),
    onSuccess: (info) => {
      queryClient.setQueryData(queryKeys.storage, info);
      return queryClient.invalidateQueries({ queryKey: queryKeys.snapshot });
    },
  });
}
