/**
 * The engine's one command API: the contract shared by every door into the engine (the CLI
 * over the local socket today; main's IPC and the control plane's management channel later).
 * Method name → params and result. Types only.
 */
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
  nbdExport: string;
  /** The volume's iSCSI target (LUN 0) and who may log in to it. */
  iscsi: IscsiTargetInfo;
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
  LastUploadError: string | null;
  LastUploadErrorAt: string | null;
}

export interface EngineStatus {
  gatewayId: string;
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
}

export interface RecoverResult {
  adopted: Array<{ name: string; recoveryPoint: RecoveryPoint }>;
  alreadyPresent: string[];
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
}

export type EngineCommand = keyof EngineCommandMap;
export type CommandParams<M extends EngineCommand> = EngineCommandMap[M][0];
export type CommandResult<M extends EngineCommand> = EngineCommandMap[M][1];

/** The shape every door calls. */
export type EngineCommandApi = {
  [M in EngineCommand]: (params: CommandParams<M>) => Promise<CommandResult<M>>;
};
