import { useMutation } from '@tanstack/react-query';
import { useTidegateApi } from './bridge-context.js';

/** Builds a support bundle (.tar.gz, base64) for the administrator to save. */
export function useSupportBundle() {
  const api = useTidegateApi();
  return useMutation({ mutationFn: () => api.diagnostics.supportBundle() });
}
