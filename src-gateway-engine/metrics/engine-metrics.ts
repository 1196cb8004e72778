/**
 * The engine's Prometheus endpoint: every administrator-facing metric that the engine
 * status carries, read from one `status()` snapshot per scrape (nothing on the I/O path).
 * Per-volume series follow the volume list: a deleted volume's series disappear.
 */
import { formatHostPort, type HostPort } from '../config/host-port.js';
import type { ControlStatus, EngineStatus } from '../runtime/engine-commands.js';
import { GatewayMetric, type GatewayMetricDef } from './gateway-metric-names.js';
import { startMetricsServer } from './metrics-server.js';
import { MetricsRegistry, type Counter, type Gauge } from './registry.js';

/** A running engine metrics endpoint. */
export interface EngineMetrics {
  /** "host:port" actually bound. */
  readonly address: string;
  readonly registry: MetricsRegistry;
  close(): Promise<void>;
}

export interface EngineMetricsOptions {
  /** Told when reading the status fails during a scrape (previous values are served). */
  onError?: (err: unknown) => void;
  /** Serve the activation page (`/activation`) from this control status. */
  activation?: () => ControlStatus;
}

/** Registers the status-backed metrics on `registry` (exported for tests; no server). */
export function registerEngineMetrics(registry: MetricsRegistry, status: () => EngineStatus): void {
  const gauge = (d: GatewayMetricDef): Gauge<string> => registry.gauge({ name: d.prometheusName, help: d.help, labelNames: d.labelNames });
  const counter = (d: GatewayMetricDef): Counter<string> =>
    registry.counter({ name: d.prometheusName, help: d.help, labelNames: d.labelNames });
  const M = GatewayMetric;

  const cacheUsed = gauge(M.CachePercentUsed);
  const cacheDirty = gauge(M.CachePercentDirty);
  const bufPercent = gauge(M.UploadBufferPercentUsed);
  const bufBytes = gauge(M.UploadBufferUsedBytes);
  const cacheHit = gauge(M.CacheHitPercent);
  const queued = gauge(M.QueuedWrites);
  const sinceRp = gauge(M.TimeSinceLastRecoveryPoint);
  const up = counter(M.CloudBytesUploaded);
  const down = counter(M.CloudBytesDownloaded);
  const readBytes = counter(M.ReadBytes);
  const writeBytes = counter(M.WriteBytes);
  const readOps = registry.counter({ name: 'tidegate_read_ops_total', help: 'Client read operations.', labelNames: ['volume'] });
  const writeOps = registry.counter({ name: 'tidegate_write_ops_total', help: 'Client write operations.', labelNames: ['volume'] });
  const retries = registry.counter({ name: 'tidegate_upload_retries_total', help: 'Object store upload retries.', labelNames: ['volume'] });
  const deferring = registry.gauge({
    name: 'tidegate_upload_deferring',
    help: '1 while uploads wait for busy clients to quiet down (upload.deferWhileBusySeconds), else 0.',
    labelNames: ['volume'],
  });
  const deferred = registry.counter({ name: 'tidegate_upload_deferred_seconds_total', help: 'Seconds uploads have waited for busy clients.', labelNames: ['volume'] });
  const failed = registry.gauge({
    name: 'tidegate_volume_failed',
    help: '1 when the volume has stopped (failed fsync, lost ownership, could not open), else 0.',
    labelNames: ['volume'],
  });
  const latency = (name: string, help: string) => registry.gauge({ name, help, labelNames: ['volume'] });
  const readAvg = latency('tidegate_read_time_seconds_average', 'Average client read latency since start, in seconds (AWS ReadTime).');
  const writeAvg = latency('tidegate_write_time_seconds_average', 'Average client write latency since start, in seconds (AWS WriteTime).');
  const readP99 = latency('tidegate_read_latency_p99_seconds', '99th percentile client read latency since start, in seconds.');
  const writeP99 = latency('tidegate_write_latency_p99_seconds', '99th percentile client write latency since start, in seconds.');
  const iscsiSessions = registry.gauge({ name: 'tidegate_iscsi_sessions', help: 'iSCSI sessions logged in to the volume\'s target.', labelNames: ['volume'] });
  const loginFailures = registry.counter({ name: 'tidegate_iscsi_login_failures_total', help: 'iSCSI logins refused (authentication, authorization, unknown target).' });
  const protocolErrors = registry.counter({ name: 'tidegate_iscsi_protocol_errors_total', help: 'iSCSI connections dropped for protocol errors (malformed PDUs, bad digests).' });
  const pollHits = registry.counter({ name: 'tidegate_busy_poll_hits_total', help: 'Replies whose next request arrived while the engine was still polling (a wake-up saved).' });
  const pollMisses = registry.counter({ name: 'tidegate_busy_poll_misses_total', help: 'Polling windows after a reply that ended with no request.' });
  const bufKept = registry.gauge({ name: 'tidegate_upload_buffer_kept_bytes', help: 'Bytes of uploaded write-log segment files kept to hold new writes (overwriting them is faster than new files); within the upload buffer, not counted as used.' });
  const pollSeconds = registry.counter({ name: 'tidegate_busy_poll_seconds_total', help: 'Seconds the engine spent in polling windows (protocols.busyPollMicroseconds), requests served inside them included.' });
  const perVolume = [iscsiSessions, cacheHit, queued, sinceRp, up, down, readBytes, writeBytes, readOps, writeOps, retries, deferring, deferred, failed, readAvg, writeAvg, readP99, writeP99];

  registry.addCollector(() => {
    const s = status();
    cacheUsed.set(s.cache.CachePercentUsed);
    cacheDirty.set(s.cache.CachePercentDirty);
    bufPercent.set(s.uploadBuffer.UploadBufferPercentUsed);
    bufBytes.set(s.uploadBuffer.usedBytes);
    bufKept.set(s.uploadBuffer.keptBytes);
    loginFailures.set(s.iscsiEvents.loginFailures);
    protocolErrors.set(s.iscsiEvents.protocolErrors);
    pollHits.set(s.busyPoll.hits);
    pollMisses.set(s.busyPoll.misses);
    pollSeconds.set(s.busyPoll.pollingSeconds);
    for (const m of perVolume) m.reset();
    for (const v of s.volumes) {
      const l = { volume: v.name };
      const vm = v.metrics;
      iscsiSessions.labels(l).set(v.iscsi.sessions);
      cacheHit.labels(l).set(vm.CacheHitPercent);
      queued.labels(l).set(vm.QueuedWrites);
      sinceRp.labels(l).set(vm.TimeSinceLastRecoveryPoint);
      up.labels(l).set(vm.CloudBytesUploaded);
      down.labels(l).set(vm.CloudBytesDownloaded);
      readBytes.labels(l).set(vm.ReadBytes);
      writeBytes.labels(l).set(vm.WriteBytes);
      readOps.labels(l).set(vm.ReadOps);
      writeOps.labels(l).set(vm.WriteOps);
      retries.labels(l).set(vm.UploadRetries);
      deferring.labels(l).set(vm.UploadDeferring ? 1 : 0);
      deferred.labels(l).set(vm.UploadDeferredSeconds);
      failed.labels(l).set(v.state === 'failed' ? 1 : 0);
      readAvg.labels(l).set(vm.ReadTime / 1000);
      writeAvg.labels(l).set(vm.WriteTime / 1000);
      readP99.labels(l).set(vm.ReadLatencyP99Ms / 1000);
      writeP99.labels(l).set(vm.WriteLatencyP99Ms / 1000);
    }
  });
}

/** Starts the /metrics endpoint on `addr`, fed by `status()` at scrape time. */
export async function buildEngineMetrics(
  addr: HostPort,
  status: () => EngineStatus,
  options: EngineMetricsOptions = {},
): Promise<EngineMetrics> {
  const registry = new MetricsRegistry({ onCollectError: (_name, err) => options.onError?.(err) });
  registerEngineMetrics(registry, status);
  const server = await startMetricsServer({ host: addr.host, port: addr.port, registry, ...(options.activation !== undefined ? { activation: options.activation } : {}) });
  return {
    address: formatHostPort(server.address),
    registry,
    close: () => server.close(),
  };
}
