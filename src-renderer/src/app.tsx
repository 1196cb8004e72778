import { useEffect, type ComponentType } from 'react';
import { useGatewaySnapshot } from './bridge/use-gateway-snapshot.js';
import { AppLayout } from './components/app-layout.js';
import { LoadingState } from './components/loading-state.js';
import { ActivationPage } from './pages/activation/activation-page.js';
import { BandwidthPage } from './pages/bandwidth/bandwidth-page.js';
import { DashboardPage } from './pages/dashboard/dashboard-page.js';
import { LogsPage } from './pages/logs/logs-page.js';
import { StoragePage } from './pages/storage/storage-page.js';
import { VolumesPage } from './pages/volumes/volumes-page.js';
import { navigate, useNavigationStore } from './state/navigation-store.js';
import { parseHashRoute, type PageId } from './state/routes.js';

const PAGE_VIEWS: Record<PageId, ComponentType> = {
  dashboard: DashboardPage,
  volumes: VolumesPage,
  storage: StoragePage,
  bandwidth: BandwidthPage,
  logs: LogsPage,
  activation: ActivationPage,
};

/**
 * The console. With a route in the URL, that page; without one, the activation wizard for a
 * gateway not yet activated, else the dashboard (decided once the first snapshot arrives).
 */
export function App() {
  const page = useNavigationStore((s) => s.page);
  const snapshot = useGatewaySnapshot();
  const activated = snapshot.data?.status?.activated;
  const decided = snapshot.isSuccess || snapshot.isError;

  useEffect(() => {
    if (page !== null || !decided || useNavigationStore.getState().page !== null) return;
    // The URL may already name a page whose hashchange event has not been delivered yet (a
    // link followed while the first snapshot was on its way): take it rather than overwrite it.
    const named = parseHashRoute(window.location.hash);
    if (named !== null) useNavigationStore.getState().setPage(named);
    else navigate(activated === false ? 'activation' : 'dashboard', { replace: true });
  }, [page, decided, activated]);

  const View = page ? PAGE_VIEWS[page] : null;
  return <AppLayout>{View ? <View key={page} /> : <LoadingState label="Connecting to the gateway…" />}</AppLayout>;
}
