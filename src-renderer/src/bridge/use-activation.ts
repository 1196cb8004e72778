import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ActivationBeginRequest, ActivationCompleteRequest, ActivationKeyInfo } from '../../../src-main/ipc/ipc-contract.js';
import { useTidegateApi } from './bridge-context.js';
import { queryKeys } from './query-keys.js';

/** The gateway's control-plane status: activated, connected, a pending key, the last error, alerts. */
export function useActivationStatus() {
  const api = useTidegateApi();
  return useQuery({ queryKey: queryKeys.activationStatus, queryFn: () => api.activation.status() });
}

/** The activation key to show: the one `activation.begin` returned, else a pending one from the status. */
export function usePendingActivationKey(): ActivationKeyInfo | null {
  const status = useActivationStatus();
  // Never fetched: only useBeginActivation writes this key.
  const fromBegin = useQuery<ActivationKeyInfo | null>({ queryKey: queryKeys.activationKey, queryFn: skipToken, gcTime: Infinity });
  return fromBegin.data ?? status.data?.activation ?? null;
}

/** Registers with the control plane and gets an activation key. */
export function useBeginActivation() {
  const api = useTidegateApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (req: ActivationBeginRequest) => api.activation.begin(req),
    onSuccess: (key) => {
      queryClient.setQueryData(queryKeys.activationKey, key);
      void queryClient.invalidateQueries({ queryKey: queryKeys.activationStatus });
    },
  });
}

/** Submits the pending key with a name and time zone; resolves once the gateway is activated and connected. */
export function useCompleteActivation() {
  const api = useTidegateApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (req: ActivationCompleteRequest) => api.activation.complete(req),
    onSuccess: (status) => {
      queryClient.setQueryData(queryKeys.activationStatus, status);
      queryClient.setQueryData(queryKeys.activationKey, null);
      void queryClient.invalidateQueries({ queryKey: queryKeys.snapshot });
    },
  });
}
