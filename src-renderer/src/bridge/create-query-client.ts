import { QueryClient } from '@tanstack/react-query';
import { ConsoleErrorCode, toConsoleErrorBody } from './console-error.js';

// Errors a retry cannot fix: the session has no token, or the gateway refused the request.
const NO_RETRY = new Set<string>([ConsoleErrorCode.Unauthorized, 'INVALID_ARGUMENT', 'NOT_FOUND']);

/** The console's QueryClient: a couple of retries for transient failures, none for refusals. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failures, err) => failures < 2 && !NO_RETRY.has(toConsoleErrorBody(err).code),
        staleTime: 5_000,
      },
      mutations: { retry: false },
    },
  });
}
