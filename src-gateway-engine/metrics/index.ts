export {
  Counter,
  Gauge,
  Histogram,
  MetricsRegistry,
  PROMETHEUS_CONTENT_TYPE,
  escapeHelp,
  escapeLabelValue,
  exponentialBuckets,
  formatSampleValue,
  linearBuckets,
  type CounterChild,
  type GaugeChild,
  type HistogramChild,
  type HistogramOptions,
  type HistogramSnapshot,
  type Labels,
  type MetricOptions,
  type MetricsRegistryOptions,
  type MetricType,
} from './registry.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
export {
  GATEWAY_METRICS,
  GatewayMetric,
  LATENCY_BUCKETS_SECONDS,
  type GatewayMetricDef,
  type GatewayMetricName,
  type StatusUnit,
} from './gateway-metric-names.js';
export { buildEngineMetrics, registerEngineMetrics, type EngineMetrics, type EngineMetricsOptions } from './engine-metrics.js';
export { activationSummary, renderActivationPage, type ActivationSummary } from './activation-page.js';
