/**
 * The gateway's side of the control plane, as the engine owns it: loads the stored
 * credentials at start and keeps the management connection up; runs activation
 * (`control.activate`); reports it all (`control.status`, and the EngineStatus fields).
 *
 * Trust for an activation, first match wins (docs/control-plane.md § Processes and trust):
 * the CA the administrator gave; the CA already pinned for that control plane (re-activation);
 * the embedded control plane's CA file, for the embedded one; else trust on first use.
 * Once activated, only the CA received in the claim is trusted.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ErrorCode, TidegateError } from '../errors/index.js';
import type { ControlConfig } from '../config/index.js';
import type { Logger, LogRing } from '../log/index.js';
import type { ActivateParams, ControlStatus, EngineStatus } from '../runtime/engine-commands.js';
import { Activation, type PendingActivation } from './activation.js';
import { loadActivation, loadPendingActivation, type ActivationRecord } from './activation-store.js';
import { controlPlaneOrigin } from './control-plane-url.js';
import type { GatewayMetadata } from './control-wire.js';
import { loadGatewayKey, loadOrCreateGatewayKey, type GatewayKey } from './gateway-key.js';
import { ManagementConnection, type RemoteCommandApi } from './management-connection.js';
import { StatusReporter } from './status-reporter.js';
import { checkCaPem, fetchPeerCa } from './tls-trust.js';

/** What the engine hands its control-plane client. */
export interface GatewayControlOptions {
  dataDir: string;
  /** The gateway's local id (its fencing identity), sent as metadata. */
  localGatewayId: string;
  version: string;
  config: ControlConfig;
  logger: Logger;
  /** What the control plane may run. */
  commands: RemoteCommandApi;
  status: () => EngineStatus;
  /** The engine's recent log lines (error lines go into status samples). */
  ring: Pick<LogRing, 'query'>;
  /** Backoff jitter (tests). */
  random?: () => number;
}

/** The engine's control-plane client. */
export class GatewayControl {
  private activation: ActivationRecord | null = null;
  private connection: ManagementConnection | undefined;
  private readonly activator: Activation;
  private readonly reporter: StatusReporter;
  private key: Promise<GatewayKey> | undefined;
  private error: string | null = null;
  /** The origin the management connection uses (the embedded control plane may have moved since activation). */
  private connectedOrigin: string | undefined;
  private closed = false;
  private readonly log: Logger;

  constructor(private readonly options: GatewayControlOptions) {
    this.log = options.logger.child({ component: 'control' });
    this.reporter = new StatusReporter({ status: options.status, ring: options.ring });
    this.activator = new Activation({
      dataDir: options.dataDir,
      key: () => this.gatewayKey(),
      metadata: () => this.metadata(),
      logger: this.log,
      pollIntervalMs: options.config.claimPollMs,
      httpTimeoutMs: options.config.requestTimeoutMs,
      onActivated: (record) => this.onActivated(record),
      onChange: () => {
        if (this.activator.lastError !== null) this.error = this.activator.lastError;
      },
    });
  }

  /**
   * Loads the stored credentials and connects when there are some; goes on polling an
   * activation that was pending when the engine stopped. Problems are logged and shown in
   * `status()`, never thrown: volumes must be served whatever the control plane's state.
   */
  async start(): Promise<void> {
    try {
      this.activation = await loadActivation(this.options.dataDir);
      if (this.activation !== null) await this.connect(this.activation);
    } catch (err) {
      this.fail('cannot use the stored control-plane credentials', err);
    }
    try {
      const pending = await loadPendingActivation(this.options.dataDir);
      if (pending !== null && !this.closed) await this.activator.resume(pending);
    } catch (err) {
      this.fail('cannot resume the pending activation', err);
    }
  }

  /** `control.activate`: registers with the control plane and returns the activation key to show. */
  async activate(params: ActivateParams): Promise<PendingActivation> {
    if (this.closed) throw new TidegateError(ErrorCode.ShuttingDown, 'the engine is shutting down');
    const { embeddedUrl, embeddedCaFile, requestTimeoutMs } = this.options.config;
    const url = params.controlPlaneUrl ?? embeddedUrl;
    if (url === null || url === undefined || url === '') {
      throw new TidegateError(ErrorCode.InvalidArgument, 'no control plane to activate with: give its URL (--control-plane https://host:port); this gateway runs no embedded control plane');
    }
    const origin = controlPlaneOrigin(url);
    try {
      let caPem: string;
      if (params.caCertPem !== undefined) {
        caPem = checkCaPem(params.caCertPem, 'the given CA certificate');
      } else if (this.activation?.controlPlaneUrl === origin) {
        caPem = this.activation.caCertPem;
      } else if (origin === embeddedUrl && embeddedCaFile !== null) {
        caPem = checkCaPem(await readCaFile(embeddedCaFile), `the embedded control plane's CA file ${embeddedCaFile}`);
      } else {
        caPem = await fetchPeerCa(origin, requestTimeoutMs);
        this.log.warn('trusting the control plane on first use: pinning the CA it presented', { controlPlane: origin });
      }
      return await this.activator.start(origin, caPem);
    } catch (err) {
      this.error = `activation at ${origin} failed: ${(err as Error).message}`;
      throw err;
    }
  }

  /** `control.status`. */
  status(): ControlStatus {
    const a = this.activation;
    const pending = this.activator.pending;
    const c = this.connection;
    return {
      activated: a !== null,
      connected: c?.connected ?? false,
      controlPlaneUrl: (a !== null ? (this.connectedOrigin ?? a.controlPlaneUrl) : null) ?? pending?.controlPlaneUrl ?? null,
      embeddedControlPlaneUrl: this.options.config.embeddedUrl,
      gatewayId: a?.gatewayId ?? null,
      name: a?.name ?? null,
      timezone: a?.timezone ?? null,
      serverId: c?.serverId ?? null,
      activation: pending === null ? null : { ...pending },
      lastError: c !== undefined && !c.connected ? (c.lastError ?? this.error) : this.error,
      alerts: c?.alerts ?? [],
    };
  }

  /** Stops activation and closes the management connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.activator.stop();
    await this.connection?.close();
  }

  private async onActivated(record: ActivationRecord): Promise<void> {
    this.activation = record;
    this.error = null;
    if (this.closed) return;
    try {
      await this.connect(record);
    } catch (err) {
      this.fail('cannot connect after activation', err);
    }
  }

  /** Replaces the management connection with one for `record`. */
  private async connect(record: ActivationRecord): Promise<void> {
    const old = this.connection;
    this.connection = undefined;
    await old?.close();
    if (this.closed) return;
    const key = await loadGatewayKey(this.options.dataDir);
    if (key === undefined) {
      throw new TidegateError(ErrorCode.NotActivated, `the gateway key is missing from ${this.options.dataDir}; the stored credentials cannot be used: activate the gateway again`);
    }
    this.key = Promise.resolve(key);
    const c = this.options.config;
    let wasConnected = false;
    const origin = await this.currentOrigin(record);
    this.connectedOrigin = origin;
    const connection: ManagementConnection = new ManagementConnection({
      origin,
      gatewayId: record.gatewayId,
      caPem: record.caCertPem,
      key,
      commands: this.options.commands,
      sample: () => this.reporter.sample(),
      logger: this.options.logger,
      timings: {
        heartbeatMs: c.heartbeatMs,
        backoffBaseMs: c.reconnectBaseMs,
        backoffMaxMs: c.reconnectMaxMs,
        backoffResetAfterMs: c.reconnectResetMs,
        statusIntervalMs: c.statusIntervalMs,
      },
      ...(this.options.random !== undefined ? { random: this.options.random } : {}),
      onChange: () => {
        // Being welcomed settles every earlier failure; later ones are recorded again.
        if (connection.connected && !wasConnected) this.error = null;
        wasConnected = connection.connected;
      },
    });
    this.connection = connection;
    connection.start();
  }

  /**
   * Where to connect: the stored URL, except for a gateway activated on this machine's embedded
   * control plane (recognised by its CA), which follows that control plane to whatever address
   * it listens on now.
   */
  private async currentOrigin(record: ActivationRecord): Promise<string> {
    const { embeddedUrl, embeddedCaFile } = this.options.config;
    if (embeddedUrl === null || embeddedCaFile === null || embeddedUrl === record.controlPlaneUrl) return record.controlPlaneUrl;
    const embeddedCa = await readFile(embeddedCaFile, 'utf8').catch(() => null);
    if (embeddedCa?.trim() !== record.caCertPem.trim()) return record.controlPlaneUrl;
    this.log.info('the embedded control plane moved; connecting to its new address', { was: record.controlPlaneUrl, now: embeddedUrl });
    return embeddedUrl;
  }

  /** The gateway key, made on first use; a failed load is retried on the next call. */
  private gatewayKey(): Promise<GatewayKey> {
    this.key ??= loadOrCreateGatewayKey(this.options.dataDir).catch((err: unknown) => {
      this.key = undefined;
      throw err;
    });
    return this.key;
  }

  private metadata(): GatewayMetadata {
    const s = this.options.status();
    return {
      version: this.options.version,
      host: hostname(),
      platform: `${process.platform} ${process.arch}`,
      capacityBytes: s.cache.capacityBytes + s.uploadBuffer.capacityBytes,
      localGatewayId: this.options.localGatewayId,
    };
  }

  private fail(what: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.error = `${what}: ${message}`;
    this.log.error(what, { error: err });
  }
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new TidegateError(ErrorCode.NotFound, `cannot read the embedded control plane's CA file ${path}: ${(err as Error).message}`, { cause: err });
  }
}
