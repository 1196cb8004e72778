import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { SyncProgress, VolumeCreateRequest, VolumeDeleteRequest } from '../../../src-main/ipc/ipc-contract.js';
import { useTidegateApi } from './bridge-context.js';
import { queryKeys } from './query-keys.js';

/** The gateway's volumes (kept fresh by `gateway.snapshot` events). */
export function useVolumes() {
  const api = useTidegateApi();
  return useQuery({ queryKey: queryKeys.volumes, queryFn: () => api.volumes.list() });
}

/** Creates a volume; the list and the snapshot change. */
export function useCreateVolume() {
  const api = useTidegateApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (req: VolumeCreateRequest) => api.volumes.create(req),
    onSuccess: () => Promise.all([queryClient.invalidateQueries({ queryKey: queryKeys.volumes }), queryClient.invalidateQueries({ queryKey: queryKeys.snapshot })]),
  });
}

/** Deletes a volume (the request carries the name typed again). */
export function useDeleteVolume() {
  const api = useTidegateApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (req: VolumeDeleteRequest) => api.volumes.delete(req),
    onSuccess: ({ deleted }) => {
      queryClient.removeQueries({ queryKey: queryKeys.syncProgress(deleted) });
      return Promise.all([queryClient.invalidateQueries({ queryKey: queryKeys.volumes }), queryClient.invalidateQueries({ queryKey: queryKeys.snapshot })]);
    },
  });
}

/** Uploads everything a volume holds and makes a recovery point; progress comes from useSyncProgress. */
export function useSyncVolume() {
  const api = useTidegateApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api.volumes.sync({ name }),
    onMutate: (name) => {
      // Forget a previous sync's outcome so the bar starts fresh.
      queryClient.removeQueries({ queryKey: queryKeys.syncProgress(name) });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.volumes }),
  });
}

/** The last `volumes.syncProgress` event for a volume, or undefined when none arrived. */
export function useSyncProgress(name: string): SyncProgress | undefined {
  // Never fetched: only the events bridge writes this key.
  return useQuery<SyncProgress>({ queryKey: queryKeys.syncProgress(name), queryFn: skipToken }).data;
}
