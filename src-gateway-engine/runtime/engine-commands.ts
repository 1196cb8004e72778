/**
 * The engine's one command API: the contract shared by every door into the engine (the CLI
 * over the local socket today; main's IPC and the control plane's management channel later).
 * Method name → params and result. Types only.
 */
import type { AlertRecord } from '../control/control-wire.js';

export interface VolumeInfo {
  name: string;
  volumeId: string;
  mode: 'cached' | 'stored';
  sizeBytes: number;
  diskPath: string | null;
  /**
   * 'available'; 'degraded' (uploads are failing: data is safe in the write log, the recovery
   * point is aging); 'throttled' (upload buffer full: writers are slowed); or 'failed'.
   */
  state: 'available' | 'degraded' | 'throttled' | 'failed';
  error: string | null;
  /** NBD export name, or null when the volume is not exported over NBD. */
  nbdExport: string | null;
  /** The volume's iSCSI target (LUN 0) and who may log in to it. */
  iscsi: IscsiTargetInfo;
  /** Initiators and NBD clients connected now. */
  clients: VolumeClient[];
  recoveryPoint: RecoveryPoint;
  metrics: VolumeMetrics;
}

export interface IscsiTargetInfo {
  targetName: string;
  /** CHAP is required (user names shown, never secrets). */
  chapUser: string | null;
  mutualChapUser: string | null;
  /** Initiator names allowed to log in; empty = any initiator. */
  allowedInitiators: string[];
  /** Sessions logged in to the target now. */
  sessions: number;
}

/** iSCSI access settings of one volume: CHAP credentials (secrets 12–16 characters) and an initiator allow-list. */
export interface IscsiAccessParams {
  name: string;
  /** Set CHAP (null turns it off; omitted leaves it as it is). */
  chap?: { user: string; secret: string; mutualUser?: string; mutualSecret?: string } | null;
  /** Replace the allow-list (empty = any initiator; omitted leaves it as it is). */
  allowedInitiators?: string[];
}

export interface RecoveryPoint {
  headNo: number;
  /** Every write with sequence <= lastSeq is in the store's image. */
  lastSeq: number;
  committedAt: string;
}

/** Per-volume metrics, named as AWS Storage Gateway names them. */
export interface VolumeMetrics {
  ReadBytes: number;
  WriteBytes: number;
  ReadOps: number;
  WriteOps: number;
  CacheHitPercent: number;
  CloudBytesUploaded: number;
  CloudBytesDownloaded: number;
  UploadBufferUsedBytes: number;
  UploadBufferPercentUsed: number;
  /** Bytes written but not yet uploaded (AWS QueuedWrites is in bytes). */
  QueuedWrites: number;
  /** Writes waiting for upload-buffer space right now (back-pressure). */
  WritesWaitingForBuffer: number;
  DirtyBytes: number;
  /** Seconds since the newest recovery point; 0 when everything is uploaded. */
  TimeSinceLastRecoveryPoint: number;
  /** Average read latency in ms since start (CloudWatch's ReadTime is Sum/SampleCount of this). */
  ReadTime: number;
  /** Average write latency in ms since start. */
  WriteTime: number;
  ReadLatencyP50Ms: number;
  ReadLatencyP99Ms: number;
  WriteLatencyP50Ms: number;
  WriteLatencyP99Ms: number;
  UploadRetries: number;
  /** Uploads are waiting while clients keep the volume busy (at most upload.deferWhileBusySeconds). */
  UploadDeferring: boolean;
  /** Seconds uploads have waited for busy clients since the volume opened. */
  UploadDeferredSeconds: number;
  LastUploadError: string | null;
  LastUploadErrorAt: string | null;
}

export interface EngineStatus {
  gatewayId: string;
  /** The gateway holds control-plane credentials. */
  activated: boolean;
  /** Its management connection is up. */
  controlPlaneConnected: boolean;
  controlPlane: ControlStatus;
  /** Percent of CPU time the host waited on local disk I/O over the last few seconds (Linux; 0 elsewhere). */
  IoWaitPercent: number;
  version: string;
  pid: number;
  startedAt: string;
  store: string;
  /** Memory of the engine process, in bytes. */
  memory: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
  nbd: string | null;
  /** The iSCSI portal, or null when iSCSI is off. */
  iscsi: string | null;
  /** iSCSI logins refused (authentication, authorization, unknown target) and connections dropped for protocol errors, since start. */
  iscsiEvents: { loginFailures: number; protocolErrors: number };
  /**
   * Polling after replies (protocols.busyPollMicroseconds; 0 = off): replies whose next
   * request arrived while polling (a wake-up saved), windows that found none, pauses after
   * misses in a row, and the seconds spent in polling windows, since start.
   */
  busyPoll: { budgetMicros: number; hits: number; misses: number; pauses: number; pollingSeconds: number };
  metrics: string | null;
  cache: {
    capacityBytes: number;
    usedBytes: number;
    CacheHitPercent: number;
    CachePercentUsed: number;
    CachePercentDirty: number;
  };
  uploadBuffer: {
    capacityBytes: number;
    usedBytes: number;
    UploadBufferPercentUsed: number;
    /** Bytes written but not yet uploaded, all volumes. */
    QueuedWrites: number;
    /** Writes waiting for upload-buffer space, all volumes. */
    WritesWaitingForBuffer: number;
    /** Uploaded segments' files kept to hold new writes (within the capacity; not in usedBytes), all volumes. */
    keptBytes: number;
    bandwidthBytesPerSec: number;
  };
  volumes: VolumeInfo[];
}

export interface CreateVolumeParams {
  name: string;
  sizeBytes: number;
  mode: 'cached' | 'stored';
  /** Stored volumes: the local file or device holding the primary data. */
  diskPath?: string;
  /** iSCSI target name; default iqn.2026-11.dev.tidegate:<name>. */
  iscsiTargetName?: string;
  /** Export the volume over NBD (export name = volume name); default true. */
  nbdExport?: boolean;
}

export interface RecoverResult {
  adopted: Array<{ name: string; recoveryPoint: RecoveryPoint }>;
  alreadyPresent: string[];
}

/** The gateway's side of the control plane (docs/control-plane.md). */
export interface ControlStatus {
  activated: boolean;
  connected: boolean;
  /** Where the gateway is (or is being) activated. */
  controlPlaneUrl: string | null;
  /** The embedded control plane's URL, when this gateway runs one. */
  embeddedControlPlaneUrl: string | null;
  /** Identity given by the control plane at activation. */
  gatewayId: string | null;
  name: string | null;
  timezone: string | null;
  /** The control-plane server holding the connection now. */
  serverId: string | null;
  /** A pending activation: the key to type into the console or `tidegate activate`. */
  activation: { activationKey: string; expiresAt: string; controlPlaneUrl: string } | null;
  /** Why the last activation step or connection attempt failed. */
  lastError: string | null;
  /** Open alerts the control plane raised for this gateway. */
  alerts: AlertRecord[];
}

export interface ActivateParams {
  /** e.g. https://127.0.0.1:9443; omitted = the embedded control plane. */
  controlPlaneUrl?: string;
  /** PEM of the CA to trust before activation; omitted = the embedded one's, else trust on first use. */
  caCertPem?: string;
}

/** One engine log entry, as `logs.recent` returns it. */
export interface LogLine {
  seq: number;
  ts: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/**
 * One point of the gateway's metric history: rates over the interval that ends at `ts`,
 * levels at `ts`. Whole gateway (all volumes).
 */
export interface MetricSample {
  /** End of the interval, ms since the epoch. */
  ts: number;
  /** Length of the interval the rates cover, ms (1,000 for the live series, 60,000 for stored minutes). */
  intervalMs: number;
  readOpsPerSec: number;
  writeOpsPerSec: number;
  readBytesPerSec: number;
  writeBytesPerSec: number;
  /** Mean latency of the operations completed in the interval, ms (0 when there were none). */
  readLatencyMs: number;
  writeLatencyMs: number;
  /** Bytes uploaded to the object store per second (CloudBytesUploaded's rate). */
  uploadBytesPerSec: number;
  /** The upload limit in force at `ts` (0 = unlimited). */
  uploadLimitBytesPerSec: number;
  CacheHitPercent: number;
  CachePercentUsed: number;
  CachePercentDirty: number;
  UploadBufferPercentUsed: number;
  /** Bytes written but not yet uploaded. */
  QueuedWrites: number;
  /** Seconds since the oldest volume's newest recovery point (0 when all is uploaded). */
  TimeSinceLastRecoveryPoint: number;
  IoWaitPercent: number;
}

/** One client connected to a volume. */
export interface VolumeClient {
  protocol: 'iscsi' | 'nbd';
  /** Remote address and port, e.g. 10.0.0.7:51234. */
  address: string;
  /** iSCSI initiator name; null for NBD. */
  initiator: string | null;
  connectedAt: string;
}

/** Space set aside on a local disk for the cache or the upload buffer (the write log). */
export interface DiskAllocation {
  /** Folder holding it. */
  path: string;
  /** Configured capacity. */
  capacityBytes: number;
  usedBytes: number;
  /** Disk it holds besides `usedBytes` and counts as its own: the write logs' kept segment files (upload buffer only). */
  keptBytes?: number;
  /** Size and free space of the filesystem holding `path`. */
  filesystemBytes: number;
  filesystemFreeBytes: number;
}

export interface StorageWarning {
  /** Stable code, e.g. FILESYSTEM_TOO_SMALL, CACHE_BELOW_GUIDANCE, UPLOAD_BUFFER_HIGH, CACHE_DIRTY_HIGH. */
  code: string;
  severity: 'warning' | 'critical';
  message: string;
}

export interface StorageInfo {
  cache: DiskAllocation;
  uploadBuffer: DiskAllocation;
  warnings: StorageWarning[];
}

/** New capacities (bytes); an omitted one is left as it is. Applied at once and kept across restarts. */
export interface StorageConfigureParams {
  cacheBytes?: number;
  uploadBufferBytes?: number;
}

/** A weekly window with its own upload limit, in the gateway's time zone. */
export interface BandwidthScheduleEntry {
  /** Days it applies to: 0 = Sunday … 6 = Saturday. */
  days: number[];
  /** "HH:MM", inclusive. */
  start: string;
  /** "HH:MM", exclusive; "24:00" = end of day. Must be after start. */
  end: string;
  /** Limit inside the window (0 = unlimited). */
  bytesPerSec: number;
}

export interface BandwidthSettings {
  /** Limit outside every scheduled window (0 = unlimited). */
  bytesPerSec: number;
  schedule: BandwidthScheduleEntry[];
  /** Time zone the schedule is read in (the gateway's, else the host's). */
  timezone: string;
  /** The limit in force now. */
  effectiveBytesPerSec: number;
}

/** Method → [params, result]. */
export interface EngineCommandMap {
  status: [Record<string, never>, EngineStatus];
  'volume.create': [CreateVolumeParams, VolumeInfo];
  'volume.list': [Record<string, never>, VolumeInfo[]];
  'volume.delete': [{ name: string }, { deleted: string }];
  'volume.sync': [{ name: string }, RecoveryPoint];
  recover: [{ store?: string; force?: boolean }, RecoverResult];
  'bandwidth.set': [{ bytesPerSec: number }, { bytesPerSec: number }];
  'volume.iscsi': [IscsiAccessParams, VolumeInfo];
  /** Start (or restart) activation: register with the control plane and return the activation key. */
  'control.activate': [ActivateParams, { activationKey: string; expiresAt: string; controlPlaneUrl: string }];
  'control.status': [Record<string, never>, ControlStatus];
  /** Metric history: 'second' = the last hour kept in memory; 'minute' = stored on disk for 14 days. */
  'metrics.history': [{ resolution: 'second' | 'minute'; fromMs?: number; toMs?: number }, MetricSample[]];
  'storage.describe': [Record<string, never>, StorageInfo];
  'storage.configure': [StorageConfigureParams, StorageInfo];
  'bandwidth.get': [Record<string, never>, BandwidthSettings];
  /** Set the default limit and/or the weekly schedule; kept across restarts. */
  'bandwidth.configure': [{ bytesPerSec?: number; schedule?: BandwidthScheduleEntry[] }, BandwidthSettings];
  /** Recent engine log lines, oldest first. */
  'logs.recent': [{ level?: 'debug' | 'info' | 'warn' | 'error'; limit?: number; afterSeq?: number }, LogLine[]];
}

export type EngineCommand = keyof EngineCommandMap;
export type CommandParams<M extends EngineCommand> = EngineCommandMap[M][0];
export type CommandResult<M extends EngineCommand> = EngineCommandMap[M][1];

/** The shape every door calls. */
export type EngineCommandApi = {
  [M in EngineCommand]: (params: CommandParams<M>) => Promise<CommandResult<M>>;
};
