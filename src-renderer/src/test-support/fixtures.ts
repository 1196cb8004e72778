/** Sample server data for tests (shapes from the IPC contract). */
import type { AppInfo, EngineStatus, GatewaySnapshot, MetricSample, StorageInfo, VolumeInfo } from '../../../src-main/ipc/ipc-contract.js';

const GiB = 1024 ** 3;

export function volumeFixture(name: string, patch: { state?: VolumeInfo['state']; QueuedWrites?: number; TimeSinceLastRecoveryPoint?: number; DirtyBytes?: number; UploadDeferring?: boolean } = {}): VolumeInfo {
  return {
    name,
    volumeId: `vol-${name}`,
    mode: 'cached',
    sizeBytes: 100 * GiB,
    diskPath: null,
    state: patch.state ?? 'available',
    error: null,
    nbdExport: name,
    iscsi: { targetName: `iqn.2026-11.dev.tidegate:${name}`, chapUser: null, mutualChapUser: null, allowedInitiators: [], sessions: 0 },
    clients: [],
    recoveryPoint: { headNo: 7, lastSeq: 100, committedAt: '2026-11-03T10:00:00.000Z' },
    metrics: {
      ReadBytes: 0,
      WriteBytes: 0,
      ReadOps: 0,
      WriteOps: 0,
      CacheHitPercent: 90,
      CloudBytesUploaded: 0,
      CloudBytesDownloaded: 0,
      UploadBufferUsedBytes: 0,
      UploadBufferPercentUsed: 0,
      QueuedWrites: patch.QueuedWrites ?? 0,
      WritesWaitingForBuffer: 0,
      DirtyBytes: patch.DirtyBytes ?? 0,
      TimeSinceLastRecoveryPoint: patch.TimeSinceLastRecoveryPoint ?? 0,
      ReadTime: 0,
      WriteTime: 0,
      ReadLatencyP50Ms: 0,
      ReadLatencyP99Ms: 0,
      WriteLatencyP50Ms: 0,
      WriteLatencyP99Ms: 0,
      UploadRetries: 0,
      UploadDeferring: patch.UploadDeferring ?? false,
      UploadDeferredSeconds: 0,
      LastUploadError: null,
      LastUploadErrorAt: null,
    },
  };
}

export function engineStatusFixture(patch: Partial<EngineStatus> = {}): EngineStatus {
  return {
    gatewayId: 'gw-local',
    activated: true,
    controlPlaneConnected: true,
    controlPlane: {
      activated: true,
      connected: true,
      controlPlaneUrl: 'https://127.0.0.1:9443',
      embeddedControlPlaneUrl: 'https://127.0.0.1:9443',
      gatewayId: 'gw-1',
      name: 'paris-office',
      timezone: 'Europe/Paris',
      serverId: 's1',
      activation: null,
      lastError: null,
      alerts: [],
    },
    IoWaitPercent: 1,
    version: '0.1.0',
    pid: 4242,
    startedAt: '2026-11-03T09:00:00.000Z',
    store: 'file:///srv/store',
    memory: { rss: 1, heapUsed: 1, external: 1, arrayBuffers: 1 },
    nbd: '127.0.0.1:10809',
    iscsi: null,
    iscsiEvents: { loginFailures: 0, protocolErrors: 0 },
    busyPoll: { budgetMicros: 50, hits: 0, misses: 0, pauses: 0, pollingSeconds: 0 },
    metrics: null,
    cache: { capacityBytes: 10 * GiB, usedBytes: 2 * GiB, CacheHitPercent: 93.5, CachePercentUsed: 20, CachePercentDirty: 1 },
    uploadBuffer: { capacityBytes: 4 * GiB, usedBytes: 0, UploadBufferPercentUsed: 0, QueuedWrites: 0, WritesWaitingForBuffer: 0, keptBytes: 0, bandwidthBytesPerSec: 0 },
    volumes: [],
    ...patch,
  };
}

export function snapshotFixture(status: EngineStatus | null = engineStatusFixture()): GatewaySnapshot {
  return {
    engine: { state: status ? 'running' : 'restarting', pid: status ? 4242 : null, restarts: 0, since: '2026-11-03T09:00:00.000Z', lastExit: null, lastError: status ? null : 'engine exited with code 1' },
    status,
  };
}

export const appInfoFixture: AppInfo = {
  version: '0.1.0',
  shell: 'headless',
  dataDir: '/var/lib/tidegate',
  embeddedControlPlaneUrl: 'https://127.0.0.1:9443',
  hostTimezone: 'Europe/Paris',
};

export function storageFixture(): StorageInfo {
  return {
    cache: { path: '/var/lib/tidegate/cache', capacityBytes: 10 * GiB, usedBytes: 2 * GiB, filesystemBytes: 500 * GiB, filesystemFreeBytes: 300 * GiB },
    uploadBuffer: { path: '/var/lib/tidegate/wal', capacityBytes: 4 * GiB, usedBytes: 0, filesystemBytes: 500 * GiB, filesystemFreeBytes: 300 * GiB },
    warnings: [],
  };
}

export function sampleFixture(ts: number, patch: Partial<MetricSample> = {}): MetricSample {
  return {
    ts,
    intervalMs: 1000,
    readOpsPerSec: 10,
    writeOpsPerSec: 20,
    readBytesPerSec: 1_000_000,
    writeBytesPerSec: 2_000_000,
    readLatencyMs: 0.5,
    writeLatencyMs: 1.5,
    uploadBytesPerSec: 1_500_000,
    uploadLimitBytesPerSec: 0,
    CacheHitPercent: 90,
    CachePercentUsed: 20,
    CachePercentDirty: 1,
    UploadBufferPercentUsed: 0,
    QueuedWrites: 0,
    TimeSinceLastRecoveryPoint: 0,
    IoWaitPercent: 0,
    ...patch,
  };
}
