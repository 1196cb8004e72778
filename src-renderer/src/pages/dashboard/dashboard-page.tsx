import { useGatewaySnapshot } from '../../bridge/use-gateway-snapshot.js';
import { useLiveMetrics } from '../../bridge/use-metrics.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { LoadingState } from '../../components/loading-state.js';
import { PageHeader } from '../../components/page-header.js';
import { AlertsPanel } from './alerts-panel.js';
import { MetricCharts } from './metric-charts.js';
import { StatusCards } from './status-cards.js';

/** Health, data at risk, cache and upload, performance charts and alerts at a glance. */
export function DashboardPage() {
  const snapshot = useGatewaySnapshot();
  const live = useLiveMetrics();
  const latest = live.samples[live.samples.length - 1];
  return (
    <>
      <PageHeader title="Dashboard" description="How the gateway is doing now." />
      {snapshot.isPending ? (
        <LoadingState label="Loading the gateway’s status…" />
      ) : snapshot.isError ? (
        <ErrorBanner title="The gateway’s status could not be loaded" error={snapshot.error} onRetry={() => void snapshot.refetch()} />
      ) : (
        <>
          {snapshot.data.status === null && (
            <div className="banner banner-warning" role="status">
              <div>
                <strong>The engine is {snapshot.data.engine.state}.</strong>
                <p>{snapshot.data.engine.lastError ?? 'Volumes are offline until it runs; the figures below return when it does.'}</p>
              </div>
            </div>
          )}
          <StatusCards snapshot={snapshot.data} latest={latest} />
          <MetricCharts />
          <AlertsPanel alerts={snapshot.data.status?.controlPlane.alerts ?? null} activated={snapshot.data.status?.activated ?? false} />
        </>
      )}
    </>
  );
}
