/**
 * The console's one IPC contract: every channel between the console (src-renderer) and main,
 * with its request and result types, and the two channel lists main registers at run time. The
 * renderer may `import type` this file and nothing else of src-main. The same contract is served two ways: Electron IPC (preload →
 * `ipcMain.handle`, see electron-ipc.ts) and the headless console (HTTP + WebSocket, see
 * ../headless/). Channel names are `domain.action`; the preload exposes them grouped by
 * domain (`window.tidegate.volumes.create(req)`), never as a generic invoke.
 *
 * Every invoke channel takes one request object (or nothing) and resolves to its result, or
 * rejects with a ConsoleErrorBody (a stable `code` and a sentence to show).
 */
import type {
  AlertRecord,
  BandwidthScheduleEntry,
  BandwidthSettings,
  ControlStatus,
  EngineStatus,
  IscsiAccessParams,
  LogLine,
  MetricSample,
  RecoveryPoint,
  StorageConfigureParams,
  StorageInfo,
  VolumeInfo,
} from '../../src-gateway-engine/index.js';

export type {
  AlertRecord,
  BandwidthScheduleEntry,
  BandwidthSettings,
  ControlStatus,
  EngineStatus,
  IscsiAccessParams,
  LogLine,
  MetricSample,
  RecoveryPoint,
  StorageConfigureParams,
  StorageInfo,
  VolumeInfo,
};
export type { DiskAllocation, StorageWarning, VolumeClient } from '../../src-gateway-engine/index.js';

/** What the engine supervisor knows of the engine process. */
export interface EngineProcessState {
  /** starting → running; `restarting` after an unexpected exit (with backoff, never giving up); `failed` when the first start failed. */
  state: 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';
  pid: number | null;
  /** Unexpected exits since main started. */
  restarts: number;
  /** When `state` was entered (ISO 8601). */
  since: string;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  /** Why the engine last failed to start or exited, in one sentence. */
  lastError: string | null;
}

/** The gateway as the console sees it: the engine's status (null while the engine is not running) and its process. */
export interface GatewaySnapshot {
  engine: EngineProcessState;
  status: EngineStatus | null;
}

/** How the console is being served, and where things are. */
export interface AppInfo {
  version: string;
  /** `electron`: a window of the desktop app; `headless`: a browser on `tidegate serve --console`. */
  shell: 'electron' | 'headless';
  dataDir: string;
  /** The embedded control plane (https://…), or null when it is off. */
  embeddedControlPlaneUrl: string | null;
  /** The host's time zone (a default for the activation wizard). */
  hostTimezone: string;
}

export interface ActivationBeginRequest {
  /** null = the embedded control plane. */
  controlPlaneUrl: string | null;
  /** PEM of the control plane's CA; omitted = the embedded one's, else trust on first use. */
  caCertPem?: string;
}

export interface ActivationKeyInfo {
  activationKey: string;
  expiresAt: string;
  controlPlaneUrl: string;
}

export interface ActivationCompleteRequest {
  /** The gateway's name in the control plane. */
  name: string;
  /** IANA time zone, e.g. Europe/Paris. */
  timezone: string;
  /** An API token of the account the gateway joins; omitted for the embedded control plane (main reads its admin token). */
  apiToken?: string;
}

export interface VolumeCreateRequest {
  name: string;
  sizeBytes: number;
  mode: 'cached' | 'stored';
  /** Stored volumes: the local file or block device holding the primary data. */
  diskPath?: string;
  /** Default iqn.2026-11.dev.tidegate:<name>. */
  iscsiTargetName?: string;
  /** CHAP for the iSCSI target (secrets of 12–16 characters; mutual secret must differ). */
  chap?: { user: string; secret: string; mutualUser?: string; mutualSecret?: string };
  /** Export over NBD as well (export name = volume name); default true. */
  nbdExport?: boolean;
}

export interface VolumeDeleteRequest {
  name: string;
  /** The name typed again by the administrator; must equal `name`. */
  confirmName: string;
}

/** Progress of a sync the console started (`volumes.sync`), pushed as an event about once a second. */
export interface SyncProgress {
  name: string;
  phase: 'running' | 'done' | 'failed';
  /** Bytes not yet uploaded when the sync started. */
  totalBytes: number;
  /** Bytes still not uploaded now. */
  remainingBytes: number;
  /** Set when phase is done. */
  recoveryPoint: RecoveryPoint | null;
  /** Set when phase is failed. */
  error: string | null;
}

export interface MetricsHistoryRequest {
  /** How far back from now, in seconds. Up to an hour is served at 1 s, longer at 1 min (up to 14 days). */
  rangeSeconds: number;
}

export interface LogsRecentRequest {
  level?: LogLine['level'];
  limit?: number;
  afterSeq?: number;
  /** Case-insensitive text filter on the message and fields. */
  search?: string;
}

/** A support bundle to save: a .tar.gz of status, recent logs, settings (no secrets) and metric history. */
export interface SupportBundle {
  fileName: string;
  bytes: number;
  dataBase64: string;
}

/** Channel → (request) => result. A channel whose request is `void` takes no argument. */
export interface IpcInvokeMap {
  'app.info': (req: void) => AppInfo;
  'gateway.snapshot': (req: void) => GatewaySnapshot;
  'activation.status': (req: void) => ControlStatus;
  'activation.begin': (req: ActivationBeginRequest) => ActivationKeyInfo;
  /** Submit the pending key as the administrator and wait until the gateway is activated and connected. */
  'activation.complete': (req: ActivationCompleteRequest) => ControlStatus;
  'volumes.list': (req: void) => VolumeInfo[];
  'volumes.create': (req: VolumeCreateRequest) => VolumeInfo;
  'volumes.delete': (req: VolumeDeleteRequest) => { deleted: string };
  /** Resolves when the volume is a recovery point; progress arrives as `volumes.syncProgress` events. */
  'volumes.sync': (req: { name: string }) => RecoveryPoint;
  'volumes.setIscsiAccess': (req: IscsiAccessParams) => VolumeInfo;
  'storage.describe': (req: void) => StorageInfo;
  'storage.configure': (req: StorageConfigureParams) => StorageInfo;
  'bandwidth.get': (req: void) => BandwidthSettings;
  'bandwidth.configure': (req: { bytesPerSec?: number; schedule?: BandwidthScheduleEntry[] }) => BandwidthSettings;
  'metrics.history': (req: MetricsHistoryRequest) => MetricSample[];
  'logs.recent': (req: LogsRecentRequest) => LogLine[];
  'diagnostics.supportBundle': (req: void) => SupportBundle;
}

/** Event → payload, pushed from main to every console window. */
export interface IpcEventMap {
  /** Once a second while the engine runs. */
  'metrics.sample': MetricSample;
  /** Every few seconds, and at once when the engine process changes state. */
  'gateway.snapshot': GatewaySnapshot;
  'volumes.syncProgress': SyncProgress;
}

export type IpcInvokeChannel = keyof IpcInvokeMap;
export type IpcEventName = keyof IpcEventMap;
export type IpcRequest<C extends IpcInvokeChannel> = Parameters<IpcInvokeMap[C]>[0];
export type IpcResult<C extends IpcInvokeChannel> = ReturnType<IpcInvokeMap[C]>;

/** A rejected call: a stable code (the engine's, the control plane's, or the console's own) and a sentence to show. */
export interface ConsoleErrorBody {
  code: string;
  message: string;
}

/** Split `domain.action` channel names into `{ domain: { action: fn } }`. */
type DomainOf<C extends string> = C extends `${infer D}.${string}` ? D : never;
type ActionOf<C extends string> = C extends `${string}.${infer A}` ? A : never;
type InvokeFn<C extends IpcInvokeChannel> = IpcRequest<C> extends void ? () => Promise<IpcResult<C>> : (req: IpcRequest<C>) => Promise<IpcResult<C>>;

/** What the preload exposes as `window.tidegate` (and what the headless bridge builds): named functions grouped by domain. */
export type TidegateApi = {
  [D in DomainOf<IpcInvokeChannel>]: { [C in IpcInvokeChannel as DomainOf<C> extends D ? ActionOf<C> : never]: InvokeFn<C> };
} & {
  events: {
    /** Subscribe; returns the unsubscribe function. */
    on<E extends IpcEventName>(event: E, listener: (payload: IpcEventMap[E]) => void): () => void;
  };
};

/** Every invoke channel, for registration and for the preload (kept complete by the type). */
export const IPC_INVOKE_CHANNELS = [
  'app.info',
  'gateway.snapshot',
  'activation.status',
  'activation.begin',
  'activation.complete',
  'volumes.list',
  'volumes.create',
  'volumes.delete',
  'volumes.sync',
  'volumes.setIscsiAccess',
  'storage.describe',
  'storage.configure',
  'bandwidth.get',
  'bandwidth.configure',
  'metrics.history',
  'logs.recent',
  'diagnostics.supportBundle',
] as const satisfies readonly IpcInvokeChannel[];

/** Fails to compile when a channel of the map is missing from IPC_INVOKE_CHANNELS. */
export const IPC_INVOKE_CHANNELS_COMPLETE: Exclude<IpcInvokeChannel, (typeof IPC_INVOKE_CHANNELS)[number]> extends never ? true : never = true;

/** Every event name. */
export const IPC_EVENT_NAMES = ['metrics.sample', 'gateway.snapshot', 'volumes.syncProgress'] as const satisfies readonly IpcEventName[];
