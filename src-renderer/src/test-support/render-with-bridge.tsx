import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import type { TidegateApi } from '../../../src-main/ipc/ipc-contract.js';
import { BridgeProvider } from '../bridge/bridge-context.js';

/** A QueryClient for tests: no retries (errors show at once), no refetch on focus. */
export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false }, mutations: { retry: false } } });
}

/** Renders `ui` inside the providers the console uses, with `api` injected. */
export function renderWithBridge(ui: ReactElement, api: TidegateApi, queryClient = testQueryClient()): RenderResult & { queryClient: QueryClient } {
  const result = render(
    <QueryClientProvider client={queryClient}>
      <BridgeProvider api={api}>{ui}</BridgeProvider>
    </QueryClientProvider>,
  );
  return { ...result, queryClient };
}
