import type { MetricSample } from '../../../../src-main/ipc/ipc-contract.js';
import { useLiveMetrics, useMetricsHistory } from '../../bridge/use-metrics.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { formatRate } from '../../components/format/format-bytes.js';
import { formatCount, formatMs } from '../../components/format/format-number.js';
import { LoadingState } from '../../components/loading-state.js';
import { CHART_RANGES, useChartRangeStore } from '../../state/chart-range-store.js';
import { chartDomain, chartRows } from './chart-data.js';
import { RangeSelector } from './range-selector.js';
import { TimeSeriesChart, type ChartSeries } from './time-series-chart.js';

const IOPS: ChartSeries[] = [
  { key: 'readOpsPerSec', label: 'Read IOPS', color: '#2563eb' },
  { key: 'writeOpsPerSec', label: 'Write IOPS', color: '#d97706' },
];
const THROUGHPUT: ChartSeries[] = [
  { key: 'readBytesPerSec', label: 'Read', color: '#2563eb' },
  { key: 'writeBytesPerSec', label: 'Write', color: '#d97706' },
  { key: 'uploadBytesPerSec', label: 'Upload', color: '#059669' },
];
const UPLOAD_LIMIT: ChartSeries = { key: 'uploadLimitBytesPerSec', label: 'Upload limit', color: '#6b7280', dashed: true };
const LATENCY: ChartSeries[] = [
  { key: 'readLatencyMs', label: 'Read latency', color: '#2563eb' },
  { key: 'writeLatencyMs', label: 'Write latency', color: '#d97706' },
];

/** IOPS, throughput and latency: the live hour (1 s, pushed) or minute history for longer ranges. */
export function MetricCharts() {
  const range = useChartRangeStore((s) => s.range);
  const rangeSeconds = CHART_RANGES[range];
  const live = useLiveMetrics();
  const history = useMetricsHistory(rangeSeconds, range !== '1h');
  const source: { samples: readonly MetricSample[]; loading: boolean; error: Error | null; retry?: () => void } =
    range === '1h'
      ? { samples: live.samples, loading: live.isSeeding && live.samples.length === 0, error: live.samples.length === 0 ? live.seedError : null }
      : { samples: history.data ?? [], loading: history.isPending, error: history.error, retry: () => void history.refetch() };

  return (
    <section className="panel" aria-labelledby="charts-title">
      <div className="panel-head">
        <h2 id="charts-title">Performance</h2>
        <span className="muted small">{range === '1h' ? 'Live, 1 s samples' : 'History, 1 min samples'}</span>
        <RangeSelector />
      </div>
      {source.loading ? (
        <LoadingState label="Loading metrics…" />
      ) : source.error ? (
        <ErrorBanner title="Metric history could not be loaded" error={source.error} onRetry={source.retry} />
      ) : (
        <Charts samples={source.samples} rangeSeconds={rangeSeconds} />
      )}
    </section>
  );
}

function Charts({ samples, rangeSeconds }: { samples: readonly MetricSample[]; rangeSeconds: number }) {
  const domain = chartDomain(samples, rangeSeconds, Date.now());
  const rows = chartRows(samples, domain);
  const hasLimit = rows.some((r) => r.uploadLimitBytesPerSec > 0);
  return (
    <div className="chart-grid">
      <TimeSeriesChart title="IOPS" testId="chart-iops" rows={rows} series={IOPS} domain={domain} formatValue={formatCount} />
      <TimeSeriesChart title="Throughput" testId="chart-throughput" rows={rows} series={hasLimit ? [...THROUGHPUT, UPLOAD_LIMIT] : THROUGHPUT} domain={domain} formatValue={formatRate} />
      <TimeSeriesChart title="Latency" testId="chart-latency" rows={rows} series={LATENCY} domain={domain} formatValue={formatMs} />
    </div>
  );
}
