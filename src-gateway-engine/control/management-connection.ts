/**
 * The management connection (docs/control-plane.md § The management connection): the one
 * WebSocket a gateway dials out to its control plane and keeps open, waiting for requests.
 * The gateway never listens for management connections and never asks for configuration on
 * this channel; it answers requests, pushes status samples and keeps the alerts it is sent.
 *
 * States:
 *
 *   idle ──start()──▶ connecting ──101──▶ open ──welcome──▶ ready
 *                       ▲   │               │                 │
 *                       │   │ refused       │ closed, or      │ closed, or 2.5 heartbeats
 *          backoff      │   │ (401/404…),   │ silent too long │ without a word (terminated)
 *          timer fires  │   │ TLS/network   ▼                 ▼
 *                       └─ backoff ◀──────────────────────────┘
 *
 *   close() from any state ──▶ closed (terminal: timers cleared, socket closed, no reconnect)
 *
 * Reconnects wait `random() × min(max, base × 2^n)` (full jitter), n counting attempts since
 * the last connection that lived `backoffResetAfterMs`. Refusals are retried the same way:
 * GATEWAY_UNKNOWN may mean the gateway was deleted, but it may also be a control plane
 * restored from an older backup, so the gateway keeps trying and shows the error.
 *
 * Liveness: the server pings every heartbeat (ws answers pings by itself); the gateway pings
 * every heartbeat too, and any frame from the server (message, ping, pong) counts as a sign
 * of life. After 2.5 heartbeats of silence the socket is terminated and redialled.
 *
 * Requests are answered through the engine's command API, remote commands only. Replies are
 * remembered by request id (reply-cache.ts) across reconnects, so a retried request runs once.
 */
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import { ErrorCode, TidegateError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { backoffDelay } from '../objectstore/backoff.js';
import type { EngineCommandApi } from '../runtime/engine-commands.js';
import { parseErrorBody } from './control-plane-error.js';
import { connectUrl } from './control-plane-url.js';
import type { AlertRecord, GatewayMessage, RemoteCommand, ServerMessage, StatusSample } from './control-wire.js';
import type { GatewayKey } from './gateway-key.js';
import { isRemoteCommand } from './remote-commands.js';
import { ReplyCache } from './reply-cache.js';
import { signRequest } from './request-signer.js';
import { connectionError, pinnedTlsOptions } from './tls-trust.js';

/** Where the connection is; see the file comment. */
export type ManagementState = 'idle' | 'connecting' | 'open' | 'ready' | 'backoff' | 'closed';

/** Timing of the connection; defaults are the spec's. */
export interface ManagementTimings {
  /** Ping interval until the server's welcome names its own (default 10 s). */
  heartbeatMs: number;
  /** Heartbeats of silence after which the peer is dead (2.5). */
  deadAfterHeartbeats: number;
  /** First reconnect delay scale (0.5 s). */
  backoffBaseMs: number;
  /** Longest reconnect delay (30 s). */
  backoffMaxMs: number;
  /** A connection that lived this long resets the backoff (60 s). */
  backoffResetAfterMs: number;
  /** Status push interval until the welcome names one (10 s). */
  statusIntervalMs: number;
}

/** The spec's timings. */
export const DEFAULT_MANAGEMENT_TIMINGS: Readonly<ManagementTimings> = Object.freeze({
  heartbeatMs: 10_000,
  deadAfterHeartbeats: 2.5,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  backoffResetAfterMs: 60_000,
  statusIntervalMs: 10_000,
});

/** The commands the control plane may call. */
export type RemoteCommandApi = Pick<EngineCommandApi, RemoteCommand>;

type Reply = Extract<GatewayMessage, { type: 'reply' }>;

/** One gateway's connection: where, as whom, trusting what, serving which commands. */
export interface ManagementConnectionOptions {
  /** The control plane's origin, `https://host:port`. */
  origin: string;
  gatewayId: string;
  /** The CA pinned at activation. */
  caPem: string;
  key: GatewayKey;
  commands: RemoteCommandApi;
  /** Builds the next status sample. */
  sample: () => StatusSample;
  logger: Logger;
  timings?: Partial<ManagementTimings>;
  /** For backoff jitter (tests make it deterministic). */
  random?: () => number;
  /** Called whenever state, serverId, alerts or lastError change. */
  onChange?: () => void;
}

/** Largest message accepted from the server. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Largest refusal body read. */
const MAX_REFUSAL_BYTES = 64 * 1024;

/** A gateway's management connection to its control plane. */
export class ManagementConnection {
  private st: ManagementState = 'idle';
  private ws: WebSocket | undefined;
  private readonly timings: ManagementTimings;
  private heartbeatMs: number;
  private statusIntervalMs: number;
  private attempt = 0;
  private openedAt = 0;
  private lastHeard = 0;
  private lastPing = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private server: string | null = null;
  private currentAlerts: AlertRecord[] = [];
  private error: string | null = null;
  private readonly replies = new ReplyCache<Reply>();
  private readonly random: () => number;
  private readonly log: Logger;
  private closedPromise: Promise<void> | undefined;
  /** Connections that reached `open`, since start (for tests and diagnostics). */
  connections = 0;

  constructor(private readonly options: ManagementConnectionOptions) {
    this.timings = { ...DEFAULT_MANAGEMENT_TIMINGS, ...options.timings };
    this.heartbeatMs = this.timings.heartbeatMs;
    this.statusIntervalMs = this.timings.statusIntervalMs;
    this.random = options.random ?? Math.random;
    this.log = options.logger.child({ component: 'control' });
  }

  get state(): ManagementState {
    return this.st;
  }

  /** Welcomed by a server and alive. */
  get connected(): boolean {
    return this.st === 'ready';
  }

  /** The server holding the connection, while ready. */
  get serverId(): string | null {
    return this.server;
  }

  /** The gateway's open alerts, as the control plane last sent them. */
  get alerts(): AlertRecord[] {
    return this.currentAlerts;
  }

  /** Why the last connection attempt failed or the last connection ended; null once welcomed. */
  get lastError(): string | null {
    return this.error;
  }

  /** Starts dialling (once). */
  start(): void {
    if (this.st !== 'idle') return;
    this.connect();
  }

  /** Closes the connection for good; resolves once the socket is closed. Safe to call twice. */
  close(): Promise<void> {
    this.closedPromise ??= (async () => {
      this.setState('closed');
      this.clearTimers();
      clearTimeout(this.reconnectTimer);
      const ws = this.ws;
      if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        if (ws.readyState === WebSocket.OPEN) {
          ws.close(1001, 'gateway shutting down');
          // A peer that does not finish the closing handshake must not hold the engine's shutdown.
          setTimeout(() => ws.terminate(), Math.min(2_000, this.heartbeatMs)).unref();
        } else {
          ws.terminate();
        }
      });
    })();
    return this.closedPromise;
  }

  private connect(): void {
    if (this.st === 'closed') return;
    this.setState('connecting');
    const url = connectUrl(this.options.origin);
    const headers = signRequest(this.options.key, { gatewayId: this.options.gatewayId }, 'GET', url.pathname + url.search);
    const ws = new WebSocket(url, {
      headers: { ...headers },
      ...pinnedTlsOptions(this.options.caPem),
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE_BYTES,
      handshakeTimeout: Math.ceil(this.timings.deadAfterHeartbeats * this.timings.heartbeatMs),
    });
    this.ws = ws;
    let refused = false;
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      refused = true;
      readBody(res, MAX_REFUSAL_BYTES).then(
        (text) => {
          this.onRefused(res.statusCode ?? 0, text);
          ws.terminate();
        },
        () => {
          this.onRefused(res.statusCode ?? 0, '');
          ws.terminate();
        },
      );
    });
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data, isBinary) => {
      this.lastHeard = Date.now();
      if (isBinary) {
        this.log.warn('ignoring a binary message from the control plane', {});
        return;
      }
      this.onMessage(ws, rawText(data));
    });
    ws.on('ping', () => (this.lastHeard = Date.now()));
    ws.on('pong', () => (this.lastHeard = Date.now()));
    ws.on('error', (err) => {
      if (refused || this.st === 'closed') return;
      this.setError(connectionError(err, this.options.origin).message);
    });
    ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString('utf8')));
  }

  private onOpen(ws: WebSocket): void {
    if (ws !== this.ws || this.st === 'closed') return;
    this.connections++;
    this.openedAt = Date.now();
    this.lastHeard = this.openedAt;
    this.lastPing = this.openedAt;
    this.setState('open');
    this.startHeartbeat(ws);
  }

  private onRefused(status: number, text: string): void {
    let body: unknown = undefined;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // not JSON: the status alone says it
    }
    const e = parseErrorBody(body);
    const what = e ? `${e.message} (${e.code})` : `HTTP ${status}`;
    const hint = e?.code === 'GATEWAY_UNKNOWN' ? '; the gateway may have been deleted from the control plane: activate it again if so' : '';
    this.setError(`the control plane refused the management connection: ${what}${hint}`, { code: e?.code ?? null, status });
  }

  private onMessage(ws: WebSocket, text: string): void {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(text) as ServerMessage;
    } catch {
      this.log.warn('ignoring a message from the control plane that is not JSON', { bytes: text.length });
      return;
    }
    switch (msg?.type) {
      case 'welcome':
        this.onWelcome(ws, msg);
        return;
      case 'request':
        this.onRequest(ws, msg);
        return;
      case 'alerts':
        if (!Array.isArray(msg.alerts)) {
          this.log.warn('ignoring an alerts message without a list', {});
          return;
        }
        this.currentAlerts = msg.alerts;
        this.options.onChange?.();
        return;
      default:
        this.log.debug('ignoring a message of unknown type from the control plane', { type: String((msg as { type?: unknown } | null)?.type) });
    }
  }

  private onWelcome(ws: WebSocket, msg: Extract<ServerMessage, { type: 'welcome' }>): void {
    if (msg.gatewayId !== this.options.gatewayId) {
      this.setError(`the control plane welcomed gateway ${String(msg.gatewayId)}, not ${this.options.gatewayId}; dropping the connection`);
      ws.terminate();
      return;
    }
    if (msg.protocol !== 1) this.log.warn('the control plane speaks another protocol version', { protocol: msg.protocol, ours: 1 });
    if (isPositive(msg.heartbeatMs)) this.heartbeatMs = msg.heartbeatMs;
    if (isPositive(msg.statusIntervalMs)) this.statusIntervalMs = msg.statusIntervalMs;
    this.server = typeof msg.serverId === 'string' ? msg.serverId : null;
    this.error = null;
    this.setState('ready');
    this.log.info('management connection ready', { controlPlane: this.options.origin, serverId: this.server, heartbeatMs: this.heartbeatMs });
    this.startHeartbeat(ws);
    clearInterval(this.statusTimer);
    this.pushStatus(ws);
    this.statusTimer = setInterval(() => this.pushStatus(ws), this.statusIntervalMs);
  }

  private onRequest(ws: WebSocket, msg: Extract<ServerMessage, { type: 'request' }>): void {
    if (typeof msg.id !== 'string' || msg.id === '') {
      this.log.warn('ignoring a request without an id', {});
      return;
    }
    let reply = this.replies.get(msg.id);
    if (reply === undefined) {
      reply = this.run(msg);
      this.replies.set(msg.id, reply);
    } else {
      this.log.debug('answering a repeated request from the reply cache', { id: msg.id });
    }
    void reply.then((r) => this.send(ws, r));
  }

  /** Runs one request; never rejects (errors become error replies). */
  private async run(msg: Extract<ServerMessage, { type: 'request' }>): Promise<Reply> {
    const base = { type: 'reply' as const, id: msg.id, gatewayId: this.options.gatewayId };
    const fail = (code: string, message: string): Reply => ({ ...base, ok: false, error: { code, message } });
    if (typeof msg.deadline !== 'number' || !Number.isFinite(msg.deadline)) return fail(ErrorCode.InvalidArgument, 'the request has no deadline');
    if (Date.now() > msg.deadline) return fail(ErrorCode.Timeout, `the request arrived after its deadline (${new Date(msg.deadline).toISOString()}); it was not run`);
    if (!isRemoteCommand(msg.method)) return fail(ErrorCode.NotSupported, `${JSON.stringify(msg.method)} is not a command the control plane may run`);
    try {
      const fn = this.options.commands[msg.method] as (p: unknown) => Promise<unknown>;
      const result = await fn(msg.params ?? {});
      return { ...base, ok: true, result: result ?? null };
    } catch (err) {
      const code = err instanceof TidegateError ? err.code : ErrorCode.IoError;
      return fail(code, err instanceof Error ? err.message : String(err));
    }
  }

  private pushStatus(ws: WebSocket): void {
    let sample: StatusSample;
    try {
      sample = this.options.sample();
    } catch (err) {
      this.log.warn('could not build a status sample', { error: err });
      return;
    }
    this.send(ws, { type: 'status', sample });
  }

  private send(ws: WebSocket, msg: GatewayMessage): void {
    // A reply for a socket that has gone is dropped: the server retries on the new one and gets it from the cache.
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(msg), (err) => {
      if (err) this.log.debug('send to the control plane failed', { error: err.message });
    });
  }

  private startHeartbeat(ws: WebSocket): void {
    clearInterval(this.heartbeatTimer);
    // Check four times a heartbeat so death is seen within 2.5–2.75 heartbeats, not 3.5.
    this.heartbeatTimer = setInterval(() => this.heartbeat(ws), Math.max(1, Math.floor(this.heartbeatMs / 4)));
  }

  private heartbeat(ws: WebSocket): void {
    if (ws !== this.ws || ws.readyState !== WebSocket.OPEN) return;
    const now = Date.now();
    const deadAfter = this.timings.deadAfterHeartbeats * this.heartbeatMs;
    if (now - this.lastHeard > deadAfter) {
      this.setError(`the control plane was silent for ${now - this.lastHeard} ms (more than ${this.timings.deadAfterHeartbeats} heartbeats); reconnecting`);
      ws.terminate();
      return;
    }
    if (this.st === 'open' && now - this.openedAt > deadAfter) {
      // Pongs alone keep a socket alive, but a server that never welcomes us is not serving us.
      this.setError(`the control plane did not welcome the gateway within ${Math.round(deadAfter)} ms; reconnecting`);
      ws.terminate();
      return;
    }
    if (now - this.lastPing >= this.heartbeatMs) {
      this.lastPing = now;
      ws.ping();
    }
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.clearTimers();
    const wasReady = this.st === 'ready';
    this.server = null;
    if (this.st === 'closed') return;
    if (wasReady) this.log.warn('management connection lost', { controlPlane: this.options.origin, code, reason, lastError: this.error });
    if (this.openedAt !== 0 && Date.now() - this.openedAt >= this.timings.backoffResetAfterMs) this.attempt = 0;
    this.openedAt = 0;
    const delay = backoffDelay(this.attempt++, { baseDelayMs: this.timings.backoffBaseMs, maxDelayMs: this.timings.backoffMaxMs }, this.random);
    if (this.error === null) this.error = `the management connection closed (${code}${reason ? ` ${reason}` : ''})`;
    this.setState('backoff');
    this.log.debug('reconnecting to the control plane', { inMs: delay, attempt: this.attempt });
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private clearTimers(): void {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.statusTimer);
    this.heartbeatTimer = undefined;
    this.statusTimer = undefined;
  }

  private setState(s: ManagementState): void {
    if (this.st === s) return;
    this.st = s;
    this.options.onChange?.();
  }

  /** Records why the connection is not up; logs it once per distinct message (retries would flood the log). */
  private setError(message: string, fields: Record<string, unknown> = {}): void {
    if (this.error !== message) this.log.warn('management connection problem', { controlPlane: this.options.origin, error: message, ...fields });
    this.error = message;
    this.options.onChange?.();
  }
}

function isPositive(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function readBody(res: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('aborted')));
  });
}
