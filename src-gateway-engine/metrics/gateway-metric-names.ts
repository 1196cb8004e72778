/**
 * The metric names storage administrators know from AWS Storage Gateway, mapped to our
 * Prometheus names. Data only: the JSON status (console, control plane) is keyed by
 * `awsName` and reported in `statusUnit`; Prometheus uses `prometheusName` in base units
 * (bytes, seconds) with the listed labels. Percentages are 0–100 in both, as AWS reports.
 *
 * `labelNames` empty means one gateway-wide series; `['volume']` means one series per
 * volume, labelled with the volume name.
 *
 * ReadTime/WriteTime: Prometheus gets a latency histogram in seconds; the JSON status,
 * like CloudWatch, reports milliseconds (CloudWatch's Sum is total time spent, so Sum
 * divided by the operation count is the average latency).
 */
import type { MetricType } from './registry.js';

/** Unit of the value in the JSON status, as AWS CloudWatch names it. */
export type StatusUnit = 'Percent' | 'Bytes' | 'Count' | 'Seconds' | 'Milliseconds';

/** One administrator-facing metric. */
export interface GatewayMetricDef {
  /** The AWS Storage Gateway (CloudWatch) metric name; the key in the JSON status. */
  readonly awsName: string;
  /** The Prometheus metric family name. */
  readonly prometheusName: string;
  readonly type: MetricType;
  readonly labelNames: readonly ('volume')[];
  /** Unit in the JSON status. */
  readonly statusUnit: StatusUnit;
  /** HELP text (one line). */
  readonly help: string;
}

/** Histogram bounds for I/O latency in seconds: 100 µs … ~13 s, doubling. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10,
]);

const VOLUME = Object.freeze(['volume'] as const);
const GATEWAY = Object.freeze([] as const);

/** Every administrator-facing metric, keyed by its AWS name. */
export const GatewayMetric = Object.freeze({
  CacheHitPercent: {
    awsName: 'CacheHitPercent',
    prometheusName: 'tidegate_cache_hit_percent',
    type: 'gauge',
    labelNames: VOLUME,
    statusUnit: 'Percent',
    help: 'Percent of application reads served from the local cache (0-100), over the last reporting interval.',
  },
  CachePercentUsed: {
    awsName: 'CachePercentUsed',
    prometheusName: 'tidegate_cache_used_percent',
    type: 'gauge',
    labelNames: GATEWAY,
    statusUnit: 'Percent',
    help: 'Percent of the gateway cache storage in use (0-100).',
  },
  CachePercentDirty: {
    awsName: 'CachePercentDirty',
    prometheusName: 'tidegate_cache_dirty_percent',
    type: 'gauge',
    labelNames: GATEWAY,
    statusUnit: 'Percent',
    help: 'Percent of the gateway cache holding data not yet uploaded to the object store (0-100).',
  },
  UploadBufferPercentUsed: {
    awsName: 'UploadBufferPercentUsed',
    prometheusName: 'tidegate_upload_buffer_used_percent',
    type: 'gauge',
    labelNames: GATEWAY,
    statusUnit: 'Percent',
    help: 'Percent of the upload buffer (write log) in use (0-100); writers are slowed, never failed, as it fills.',
  },
  UploadBufferUsedBytes: {
    awsName: 'UploadBufferUsedBytes',
    prometheusName: 'tidegate_upload_buffer_used_bytes',
    type: 'gauge',
    labelNames: GATEWAY,
    statusUnit: 'Bytes',
    help: 'Bytes of the upload buffer (write log) in use.',
  },
  QueuedWrites: {
    awsName: 'QueuedWrites',
    prometheusName: 'tidegate_queued_writes_bytes',
    type: 'gauge',
    labelNames: VOLUME,
    statusUnit: 'Bytes',
    help: 'Bytes written by clients and made durable locally but not yet in the object store.',
  },
  CloudBytesUploaded: {
    awsName: 'CloudBytesUploaded',
    prometheusName: 'tidegate_cloud_uploaded_bytes_total',
    type: 'counter',
    labelNames: VOLUME,
    statusUnit: 'Bytes',
    help: 'Bytes uploaded to the object store.',
  },
  CloudBytesDownloaded: {
    awsName: 'CloudBytesDownloaded',
    prometheusName: 'tidegate_cloud_downloaded_bytes_total',
    type: 'counter',
    labelNames: VOLUME,
    statusUnit: 'Bytes',
    help: 'Bytes downloaded from the object store.',
  },
  TimeSinceLastRecoveryPoint: {
    awsName: 'TimeSinceLastRecoveryPoint',
    prometheusName: 'tidegate_time_since_last_recovery_point_seconds',
    type: 'gauge',
    labelNames: VOLUME,
    statusUnit: 'Seconds',
    help: 'Seconds since the newest recovery point (committed volume head) in the object store.',
  },
  ReadBytes: {
    awsName: 'ReadBytes',
    prometheusName: 'tidegate_read_bytes_total',
    type: 'counter',
    labelNames: VOLUME,
    statusUnit: 'Bytes',
    help: 'Bytes read by clients (iSCSI and NBD).',
  },
  WriteBytes: {
    awsName: 'WriteBytes',
    prometheusName: 'tidegate_write_bytes_total',
    type: 'counter',
    labelNames: VOLUME,
    statusUnit: 'Bytes',
    help: 'Bytes written by clients (iSCSI and NBD).',
  },
  ReadTime: {
    awsName: 'ReadTime',
    prometheusName: 'tidegate_read_time_seconds',
    type: 'histogram',
    labelNames: VOLUME,
    statusUnit: 'Milliseconds',
    help: 'Latency of client read operations in seconds.',
  },
  WriteTime: {
    awsName: 'WriteTime',
    prometheusName: 'tidegate_write_time_seconds',
    type: 'histogram',
    labelNames: VOLUME,
    statusUnit: 'Milliseconds',
    help: 'Latency of client write operations in seconds.',
  },
  IoWaitPercent: {
    awsName: 'IoWaitPercent',
    prometheusName: 'tidegate_io_wait_percent',
    type: 'gauge',
    labelNames: GATEWAY,
    statusUnit: 'Percent',
    help: 'Percent of time the gateway waited on local disk I/O (0-100).',
  },
  WriteLogErrors: {
    awsName: 'WriteLogErrors',
    prometheusName: 'tidegate_write_log_errors_total',
    type: 'counter',
    labelNames: VOLUME,
    statusUnit: 'Count',
    help: 'Write log I/O errors (a failed fsync stops the volume).',
  },
} as const satisfies Record<string, GatewayMetricDef>);

for (const def of Object.values(GatewayMetric)) Object.freeze(def);

/** An AWS metric name we report. */
export type GatewayMetricName = keyof typeof GatewayMetric;

/** Every administrator-facing metric, in a stable order. */
export const GATEWAY_METRICS: readonly GatewayMetricDef[] = Object.freeze(Object.values(GatewayMetric));
