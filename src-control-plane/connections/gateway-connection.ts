/**
 * One gateway's management WebSocket on this server (docs/control-plane.md § The management
 * connection).
 *
 *   accepted ──start()──▶ live ──socket closes / terminate / close()──▶ closed
 *
 * start():  send `welcome`, register `gateway → {serverId, connectionId}` in the registry
 *           (TTL REGISTRY_TTL_MS), tell the monitor the gateway is connected, touch lastSeenAt,
 *           push the gateway's open alerts. A registry failure closes the socket (1011) so the
 *           gateway reconnects rather than sit unreachable.
 * live:     every heartbeatMs: if nothing was heard for 2.5 heartbeats, terminate; else ping.
 *           Every pong refreshes the registry entry and lastSeenAt. A refresh that finds the
 *           entry naming another connection means the gateway is connected elsewhere now:
 *           this one is stale and is closed (4001). An entry that expired is set again.
 *           Messages: `reply` resolves the pending request of that id — only if its
 *           gatewayId is this connection's gateway; `status` goes to the monitor.
 * closed:   pending requests resolve as 'closed' (the dispatcher retries elsewhere), the
 *           registry entry is removed only if it still names this connection, the hub forgets it.
 *
 * Requests are keyed by id; asking again with an id already pending joins the first ask
 * (forwarded retries reuse the id), so the gateway sees each id once per connection.
 */
import type { WebSocket } from 'ws';
import type { AlertRecord, GatewayMessage, RemoteCommand, ServerMessage, StatusSample } from '../../src-gateway-engine/control/control-wire.js';
import type { ControlPlaneLogger } from '../log/control-plane-logger.js';
import type { AlertMonitor } from '../monitoring/index.js';
import type { ControlPlaneState, GatewayRecord } from '../state/index.js';

/** A registry entry lives this long unless a heartbeat refreshes it. */
export const REGISTRY_TTL_MS = 30_000;
/** A peer silent for this many heartbeats is dead. */
export const SILENT_HEARTBEATS_LIMIT = 2.5;
/** Close code: a newer connection of the same gateway took over. */
export const CLOSE_REPLACED = 4000;
/** Close code: the registry names another connection of this gateway. */
export const CLOSE_SUPERSEDED = 4001;

/** A gateway's reply to one request. */
export type GatewayReply = Extract<GatewayMessage, { type: 'reply' }>;

/** How a request on this connection ended. */
export type RequestOutcome = { kind: 'reply'; reply: GatewayReply } | { kind: 'closed' } | { kind: 'expired' };

/** One request as sent to the gateway. */
export interface GatewayRequest {
  id: string;
  method: RemoteCommand;
  params: unknown;
  /** Epoch ms after which nobody waits for the answer. */
  deadline: number;
}

/** What a connection needs from the monitor. */
export type ConnectionMonitor = Pick<AlertMonitor, 'onSample' | 'onConnected'>;

/** Everything a connection is built from. */
export interface GatewayConnectionOptions {
  socket: WebSocket;
  gateway: GatewayRecord;
  serverId: string;
  connectionId: string;
  heartbeatMs: number;
  statusIntervalMs: number;
  state: ControlPlaneState;
  monitor: ConnectionMonitor;
  logger: ControlPlaneLogger;
  /** Called once, after the socket closed and cleanup began. */
  onClosed: (connection: GatewayConnection) => void;
}

interface PendingRequest {
  promise: Promise<RequestOutcome>;
  settle: (outcome: RequestOutcome) => void;
}

/** One live management connection. */
export class GatewayConnection {
  readonly gatewayId: string;
  readonly connectionId: string;
  readonly since: Date = new Date();
  private readonly o: GatewayConnectionOptions;
  private readonly log: ControlPlaneLogger;
  private readonly pending = new Map<string, PendingRequest>();
  private readonly registryTtlMs: number;
  private lastHeardAt = Date.now();
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;
  private markFinished!: () => void;
  private readonly finished = new Promise<void>((resolve) => (this.markFinished = resolve));

  constructor(options: GatewayConnectionOptions) {
    this.o = options;
    this.gatewayId = options.gateway.id;
    this.connectionId = options.connectionId;
    this.log = options.logger.child({ gatewayId: this.gatewayId, connectionId: this.connectionId });
    // Long heartbeats still need the entry to outlive the gap between two refreshes.
    this.registryTtlMs = Math.max(REGISTRY_TTL_MS, 3 * options.heartbeatMs);
    options.socket.on('message', (data, isBinary) => this.onMessage(isBinary ? null : data.toString()));
    options.socket.on('pong', () => this.onPong());
    options.socket.on('close', (code, reason) => this.onClose(code, reason.toString()));
    options.socket.on('error', (err) => this.log.warn('management connection error', { err }));
  }

  /** Welcome the gateway, register it and start the heartbeat. */
  async start(): Promise<void> {
    const welcome: ServerMessage = { type: 'welcome', protocol: 1, serverId: this.o.serverId, gatewayId: this.gatewayId, heartbeatMs: this.o.heartbeatMs, statusIntervalMs: this.o.statusIntervalMs };
    this.send(welcome);
    this.heartbeat = setInterval(() => this.beat(), this.o.heartbeatMs);
    this.heartbeat.unref();
    try {
      await this.o.state.registry.set(this.gatewayId, { serverId: this.o.serverId, connectionId: this.connectionId, since: this.since.toISOString() }, this.registryTtlMs);
    } catch (err) {
      this.log.error('could not register the connection; closing it so the gateway reconnects', { err });
      this.close(1011, 'registry unavailable');
      return;
    }
    if (this.closed) {
      // Closed while registering: the close handler's removeIf may have run first.
      await this.o.state.registry.removeIf(this.gatewayId, this.connectionId).catch(() => undefined);
      return;
    }
    this.log.info('gateway connected', { host: this.o.gateway.metadata.host, version: this.o.gateway.metadata.version });
    await Promise.all([
      this.o.monitor.onConnected(this.gatewayId).catch((err: unknown) => this.log.warn('monitor.onConnected failed', { err })),
      this.touch(),
      this.pushAlerts(),
    ]);
  }

  /** Send a request (or join the pending one of the same id); resolves with the reply, 'closed' or 'expired' at the deadline. */
  request(request: GatewayRequest): Promise<RequestOutcome> {
    const existing = this.pending.get(request.id);
    if (existing) return existing.promise;
    if (this.closed) return Promise.resolve({ kind: 'closed' });
    let settle!: (outcome: RequestOutcome) => void;
    const promise = new Promise<RequestOutcome>((resolve) => {
      const timer = setTimeout(() => finish({ kind: 'expired' }), Math.max(0, request.deadline - Date.now()));
      const finish = (outcome: RequestOutcome): void => {
        clearTimeout(timer);
        if (this.pending.get(request.id)?.promise === promise) this.pending.delete(request.id);
        resolve(outcome);
      };
      settle = finish;
    });
    this.pending.set(request.id, { promise, settle });
    this.send({ type: 'request', id: request.id, method: request.method, params: request.params, deadline: request.deadline });
    return promise;
  }

  /** Push the gateway's open alerts. */
  async pushAlerts(): Promise<void> {
    let alerts: AlertRecord[];
    try {
      alerts = await this.o.state.alerts.list({ state: 'open', gatewayId: this.gatewayId });
    } catch (err) {
      this.log.warn('could not read alerts to push', { err });
      return;
    }
    this.send({ type: 'alerts', alerts });
  }

  /** Close gracefully (the gateway reconnects). */
  close(code: number, reason: string): void {
    if (this.o.socket.readyState === this.o.socket.OPEN || this.o.socket.readyState === this.o.socket.CONNECTING) this.o.socket.close(code, reason);
    else this.o.socket.terminate();
  }

  /** Drop the socket without a closing handshake (dead peer). */
  terminate(): void {
    this.o.socket.terminate();
  }

  /** Resolves once the socket closed and the registry entry was removed (or that failed). */
  whenClosed(): Promise<void> {
    return this.finished;
  }

  /** True once the socket closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  private send(message: ServerMessage): void {
    if (this.o.socket.readyState !== this.o.socket.OPEN) return;
    this.o.socket.send(JSON.stringify(message), (err) => {
      if (err) this.log.debug('send failed', { err, type: message.type });
    });
  }

  private beat(): void {
    const silentMs = Date.now() - this.lastHeardAt;
    if (silentMs > SILENT_HEARTBEATS_LIMIT * this.o.heartbeatMs) {
      this.log.warn('gateway silent for too long; dropping its connection', { silentMs });
      this.terminate();
      return;
    }
    try {
      this.o.socket.ping();
    } catch (err) {
      this.log.debug('ping failed', { err });
    }
  }

  private onPong(): void {
    this.lastHeardAt = Date.now();
    void this.refreshRegistration();
    void this.touch();
  }

  private async refreshRegistration(): Promise<void> {
    try {
      if (await this.o.state.registry.refresh(this.gatewayId, this.connectionId, this.registryTtlMs)) return;
      if (this.closed) return;
      const holder = await this.o.state.registry.get(this.gatewayId);
      if (holder === null) {
        await this.o.state.registry.set(this.gatewayId, { serverId: this.o.serverId, connectionId: this.connectionId, since: this.since.toISOString() }, this.registryTtlMs);
        this.log.info('registry entry had expired; registered again');
      } else if (holder.connectionId !== this.connectionId) {
        this.log.info('the gateway is connected elsewhere now; closing this connection', { holder: holder.serverId });
        this.close(CLOSE_SUPERSEDED, 'superseded by a newer connection');
      }
    } catch (err) {
      this.log.warn('could not refresh the registry entry', { err });
    }
  }

  private async touch(): Promise<void> {
    await this.o.state.gateways.touch(this.gatewayId, new Date()).catch((err: unknown) => this.log.debug('could not touch lastSeenAt', { err }));
  }

  private onMessage(text: string | null): void {
    this.lastHeardAt = Date.now();
    let message: unknown;
    try {
      if (text === null) throw new Error('binary frame');
      message = JSON.parse(text);
    } catch {
      this.log.warn('ignored a message that is not JSON text');
      return;
    }
    const m = message as Partial<Record<string, unknown>>;
    if (m?.type === 'reply') this.onReply(m);
    else if (m?.type === 'status') this.onStatus(m.sample);
    else this.log.warn('ignored a message of unknown type', { type: typeof m?.type === 'string' ? m.type : null });
  }

  private onReply(m: Partial<Record<string, unknown>>): void {
    if (typeof m.id !== 'string' || typeof m.ok !== 'boolean') {
      this.log.warn('ignored a malformed reply');
      return;
    }
    if (m.gatewayId !== this.gatewayId) {
      this.log.warn('rejected a reply naming another gateway', { requestId: m.id, claimed: typeof m.gatewayId === 'string' ? m.gatewayId : null });
      return;
    }
    const pending = this.pending.get(m.id);
    if (!pending) {
      this.log.debug('reply to no pending request (late or duplicate)', { requestId: m.id });
      return;
    }
    const error = m.error as { code?: unknown; message?: unknown } | undefined;
    const reply: GatewayReply = m.ok
      ? { type: 'reply', id: m.id, gatewayId: this.gatewayId, ok: true, result: m.result ?? null }
      : { type: 'reply', id: m.id, gatewayId: this.gatewayId, ok: false, error: { code: typeof error?.code === 'string' ? error.code : 'UNKNOWN', message: typeof error?.message === 'string' ? error.message : 'the gateway reported an error' } };
    pending.settle({ kind: 'reply', reply });
  }

  private onStatus(sample: unknown): void {
    if (typeof sample !== 'object' || sample === null || typeof (sample as { at?: unknown }).at !== 'string' || !Number.isFinite(Date.parse((sample as { at: string }).at))) {
      this.log.warn('ignored a malformed status sample');
      return;
    }
    void this.o.monitor.onSample(this.o.gateway, sample as StatusSample).catch((err: unknown) => this.log.warn('monitor.onSample failed', { err }));
    void this.touch();
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const p of [...this.pending.values()]) p.settle({ kind: 'closed' });
    this.pending.clear();
    this.log.info('gateway disconnected', { code, reason });
    this.o.onClosed(this);
    void this.o.state.registry
      .removeIf(this.gatewayId, this.connectionId)
      .catch((err: unknown) => this.log.warn('could not remove the registry entry', { err }))
      .finally(() => this.markFinished());
  }
}
