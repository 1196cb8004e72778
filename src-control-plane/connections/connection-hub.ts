/**
 * The management connections this server holds, one per gateway. A new connection of a
 * gateway replaces the old one here (the old one is closed with 4000; its cleanup cannot
 * remove the new registry entry, which names another connection id).
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { ControlPlaneLogger } from '../log/control-plane-logger.js';
import type { ControlPlaneState, GatewayRecord } from '../state/index.js';
import { CLOSE_REPLACED, GatewayConnection, type ConnectionMonitor, type GatewayRequest, type RequestOutcome } from './gateway-connection.js';

/** What the hub is built from. */
export interface ConnectionHubOptions {
  serverId: string;
  state: ControlPlaneState;
  monitor: ConnectionMonitor;
  logger: ControlPlaneLogger;
  heartbeatMs: number;
  statusIntervalMs: number;
}

/** This server's live management connections. */
export class ConnectionHub {
  private readonly connections = new Map<string, GatewayConnection>();
  private readonly everyConnection = new Set<GatewayConnection>();
  private closing = false;

  constructor(private readonly o: ConnectionHubOptions) {}

  /** Take over an accepted WebSocket of `gateway`: replace any older connection of it, then welcome and register. */
  accept(socket: WebSocket, gateway: GatewayRecord): GatewayConnection {
    const connection = new GatewayConnection({
      socket,
      gateway,
      serverId: this.o.serverId,
      connectionId: randomUUID(),
      heartbeatMs: this.o.heartbeatMs,
      statusIntervalMs: this.o.statusIntervalMs,
      state: this.o.state,
      monitor: this.o.monitor,
      logger: this.o.logger,
      onClosed: (c) => {
        if (this.connections.get(c.gatewayId) === c) this.connections.delete(c.gatewayId);
        void c.whenClosed().then(() => this.everyConnection.delete(c));
      },
    });
    if (this.closing) {
      connection.close(1001, 'server shutting down');
      return connection;
    }
    const old = this.connections.get(gateway.id);
    this.connections.set(gateway.id, connection);
    this.everyConnection.add(connection);
    if (old) {
      this.o.logger.info('a new connection replaces the old one', { gatewayId: gateway.id, old: old.connectionId, new: connection.connectionId });
      old.close(CLOSE_REPLACED, 'replaced by a newer connection');
    }
    void connection.start().catch((err: unknown) => this.o.logger.error('could not start a management connection', { gatewayId: gateway.id, err }));
    return connection;
  }

  /** The live connection of a gateway on this server. */
  get(gatewayId: string): GatewayConnection | undefined {
    const c = this.connections.get(gatewayId);
    return c && !c.isClosed ? c : undefined;
  }

  /** Send a request to a gateway held here; null when it is not held here. */
  request(gatewayId: string, request: GatewayRequest): Promise<RequestOutcome> | null {
    return this.get(gatewayId)?.request(request) ?? null;
  }

  /** Push a gateway's open alerts if it is held here; false when it is not. */
  pushAlerts(gatewayId: string): boolean {
    const c = this.get(gatewayId);
    if (!c) return false;
    void c.pushAlerts();
    return true;
  }

  /** Live connections on this server. */
  count(): number {
    return this.connections.size;
  }

  /** Close every connection (1001) and wait until their registry entries are gone; new ones are refused. */
  async closeAll(): Promise<void> {
    this.closing = true;
    const all = [...this.everyConnection];
    for (const c of all) c.close(1001, 'server shutting down');
    // A peer that does not answer the closing handshake is cut off after a moment.
    const cutOff = setTimeout(() => all.forEach((c) => c.terminate()), 2_000);
    cutOff.unref();
    await Promise.all(all.map((c) => c.whenClosed()));
    clearTimeout(cutOff);
  }
}
