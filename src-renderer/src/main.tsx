// The console's entry: one QueryClient, the bridge (Electron preload or headless transport),
// the hash router, and the app.
import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { BridgeProvider } from './bridge/bridge-context.js';
import { createQueryClient } from './bridge/create-query-client.js';
import { getTidegateApi } from './bridge/get-tidegate-api.js';
import { startHashSync } from './state/navigation-store.js';
import './styles/base.css';
import './styles/layout.css';
import './styles/components.css';
import './styles/pages.css';

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root element');

startHashSync();
const queryClient = createQueryClient();
const api = getTidegateApi();

createRoot(rootElement).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BridgeProvider api={api}>
        <App />
      </BridgeProvider>
    </QueryClientProvider>
  </StrictMode>,
);
