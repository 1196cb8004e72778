/**
 * `GET /v1/connect` upgrades, taken from the https server's 'upgrade' event before Fastify
 * sees them. The signed upgrade (x-tidegate-gateway) is verified BEFORE the WebSocket is
 * accepted; a refusal is an ordinary HTTP answer with the JSON error body
 * (`HTTP/1.1 401 Unauthorized` + `{error:{code,message}}`), after which the socket is closed.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { verifySignedRequest } from '../auth/request-signature.js';
import { ControlError } from '../errors/control-error.js';
import { toControlError } from '../http/error-handler.js';
import type { ControlPlaneLogger } from '../log/control-plane-logger.js';
import type { ControlPlaneState, GatewayRecord } from '../state/index.js';
import type { ConnectionHub } from './connection-hub.js';

/** Path of the management WebSocket. */
export const CONNECT_PATH = '/v1/connect';
/** Largest message a gateway may send (a reply to `logs.recent` is the biggest). */
export const MAX_GATEWAY_MESSAGE_BYTES = 16 * 1024 * 1024;

/** What the upgrade handler needs. */
export interface UpgradeHandlerOptions {
  state: ControlPlaneState;
  hub: ConnectionHub;
  logger: ControlPlaneLogger;
  /** Clock, ms (default Date.now). */
  clock?: () => number;
}

/** The 'upgrade' listener of the https server, and the WebSocket server behind it. */
export interface UpgradeHandler {
  onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Stop accepting (sockets in the hub are closed by the hub). */
  close(): Promise<void>;
}

/** Create the upgrade handler. */
export function createUpgradeHandler(o: UpgradeHandlerOptions): UpgradeHandler {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_GATEWAY_MESSAGE_BYTES, perMessageDeflate: false, clientTracking: false });
  const clock = o.clock ?? Date.now;
  let closed = false;

  async function admit(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = request.url ?? '/';
    if (target.split('?')[0] !== CONNECT_PATH) throw new ControlError('NOT_FOUND', `no WebSocket endpoint at ${target.split('?')[0]}`);
    if (request.method !== 'GET') throw new ControlError('INVALID_ARGUMENT', 'a WebSocket upgrade must be a GET');
    if (closed) throw new ControlError('INTERNAL', 'this server is shutting down; connect again', { httpStatus: 503 });
    let gateway: GatewayRecord | null = null;
    await verifySignedRequest(
      { method: 'GET', pathWithQuery: target, headers: request.headers, body: Buffer.alloc(0) },
      {
        signer: 'gateway',
        nonces: o.state.nonces,
        now: clock(),
        publicKeyOfGateway: async (id) => {
          gateway = await o.state.gateways.get(id);
          return gateway?.publicKey ?? null;
        },
      },
    );
    const admitted = gateway as GatewayRecord | null;
    if (admitted === null) throw new ControlError('INTERNAL', 'signed upgrade without a gateway');
    wss.handleUpgrade(request, socket, head, (ws) => o.hub.accept(ws, admitted));
  }

  return {
    onUpgrade(request, socket, head) {
      socket.on('error', (err) => o.logger.debug('upgrade socket error', { err }));
      admit(request, socket, head).catch((err: unknown) => {
        const error = toControlError(err);
        if (error.code === 'INTERNAL') o.logger.error('upgrade failed', { err });
        else o.logger.info('refused a management connection', { code: error.code, gatewayId: request.headers['x-tidegate-gateway'] ?? null, client: request.socket.remoteAddress });
        refuse(socket, error);
      });
    },
    close() {
      closed = true;
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}

/** Answer an upgrade with an HTTP error and the JSON error body, then close the socket. */
function refuse(socket: Duplex, error: ControlError): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(error.toBody());
  const head = [
    `HTTP/1.1 ${error.httpStatus} ${STATUS_CODES[error.httpStatus] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(error.retryAfterSeconds !== null ? [`Retry-After: ${error.retryAfterSeconds}`] : []),
    'Connection: close',
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}
