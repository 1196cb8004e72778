/** Types of control-plane-cluster.js (the harness the CI test and the benchmark share). */
import type { ControlConfig, createLogger, ENGINE_DEFAULTS, GatewayControl, LogRing } from '../../src-gateway-engine/index.js';
import type { nginxConfig } from '../../src-control-plane/index.js';

/** What the harness needs of the engine (sources in tests, out/node in the bench). */
export interface EngineModule {
  GatewayControl: typeof GatewayControl;
  LogRing: typeof LogRing;
  createLogger: typeof createLogger;
  ENGINE_DEFAULTS: typeof ENGINE_DEFAULTS;
}

/** What the harness needs of the control plane. */
export interface ControlPlaneModule {
  nginxConfig: typeof nginxConfig;
}

/** A process the harness started (its own process group). */
export interface ClusterProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  alive(): boolean;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** One `tidegate control-plane serve`. */
export interface ClusterServer extends ClusterProcess {
  readonly id: string;
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  readonly hostPort: string;
}

/** A scripted gateway around the engine's real control client. */
export interface ClusterGateway {
  readonly name: string;
  readonly dataDir: string;
  readonly control: GatewayControl;
  /** The control-plane gateway id (null before activation). */
  readonly id: string | null;
  /** The server holding its connection now, as the gateway sees it; null when not connected. */
  holder(): string | null;
}

/** HTTPS JSON client trusting the deployment's CA, keep-alive. */
export declare class ApiClient {
  constructor(caCertPem: string, options?: { timeoutMs?: number; maxSockets?: number });
  request(origin: string, method: 'GET' | 'POST', path: string, options?: { token?: string; body?: unknown }): Promise<{ status: number; body: unknown }>;
  close(): void;
}

/** The running cluster. */
export interface Cluster {
  readonly root: string;
  readonly dataDir: string;
  readonly redis: ClusterProcess & { url: string; port: number };
  readonly servers: ClusterServer[];
  readonly nginx: ClusterProcess;
  readonly nginxUrl: string;
  readonly caCertPem: string;
  readonly api: ApiClient;
  readonly gateways: ClusterGateway[];
  stop(): Promise<void>;
}

/** A row of `GET /v1/gateways`. */
export interface GatewayRow {
  id: string;
  name: string;
  online: boolean;
  serverId: string | null;
  lastSeenAt: string | null;
}

/** The verdict on one forwarded `volume.list`. */
export type CommandOutcome =
  | { verdict: 'ok' | 'misrouted'; servedBy: string; ms: number; status: 200; body: unknown }
  | { verdict: 'failed'; code: string | null; status: number; ms: number; body: unknown };

export declare const REPO_ROOT: string;
export declare const TIDEGATE_BIN: string;
export declare const NGINX_PATH: string;
export declare const FAST_TIMINGS: Readonly<Partial<ControlConfig>>;
export declare function findTool(name: string, extra?: string[]): string | null;
export declare function clusterSkipReason(): string | undefined;
export declare function freePort(): Promise<number>;
export declare function sleep(ms: number): Promise<void>;
export declare function logTail(proc: ClusterProcess, n?: number): string;
export declare function startCluster(options: { controlPlane: ControlPlaneModule; serverIds?: string[]; workDir?: string; logLevel?: string }): Promise<Cluster>;
export declare function createAccount(cluster: Cluster, name: string): Promise<{ account: { id: string; name: string }; token: string }>;
export declare function volumeNameOf(gatewayName: string): string;
export declare function activateGateways(
  cluster: Cluster,
  engine: EngineModule,
  options: { count: number; token: string; prefix?: string; batch?: number; timings?: Partial<ControlConfig>; timeoutMs?: number },
): Promise<ClusterGateway[]>;
export declare function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void>;
export declare function listGateways(cluster: Cluster, token: string): Promise<GatewayRow[]>;
export declare function commandVolumeList(cluster: Cluster, token: string, origin: string, g: ClusterGateway, timeoutMs?: number): Promise<CommandOutcome>;
export declare function rssBytes(pid: number): number;
export declare function percentile(values: readonly number[], p: number): number;
