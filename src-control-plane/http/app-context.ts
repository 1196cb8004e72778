/** What the routes of the HTTP app are built from (`buildControlPlaneApp`'s dependencies). */
import type { RemoteCommand } from '../../src-gateway-engine/control/control-wire.js';
import type { ControlPlaneConfig } from '../config/control-plane-config.js';
import type { ControlPlaneLogger } from '../log/control-plane-logger.js';
import type { ControlPlaneState } from '../state/control-plane-state.js';

/** A command for a gateway, wherever it is connected (forwarding/request-dispatcher.ts). */
export interface CommandRequest {
  gatewayId: string;
  method: RemoteCommand;
  params: unknown;
  timeoutMs: number;
}

/** Runs commands on gateways; rejects with GATEWAY_OFFLINE, GATEWAY_TIMEOUT or GATEWAY_ERROR. */
export interface CommandSender {
  send(request: CommandRequest): Promise<{ result: unknown; servedBy: string }>;
}

/** Dependencies of the HTTP app. */
export interface ControlPlaneAppDeps {
  config: ControlPlaneConfig;
  state: ControlPlaneState;
  logger: ControlPlaneLogger;
  /** The CA gateways pin, handed out in the activation credentials. */
  caCertPem: string;
  commands: CommandSender;
  /** Open management connections on this server, for /healthz. */
  connections: { count(): number };
  /** Clock, ms since the epoch (default Date.now); for tests. */
  clock?: () => number;
}

/** The dependencies with defaults filled, as routes see them. */
export type AppContext = Required<ControlPlaneAppDeps>;
