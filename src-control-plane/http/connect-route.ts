/**
 * `GET /v1/connect` without a WebSocket upgrade. Upgrades never reach Fastify (the https
 * server's 'upgrade' event goes to connections/upgrade-handler.ts); this route answers a plain
 * GET with INVALID_ARGUMENT and puts the endpoint into the OpenAPI document.
 */
import type { FastifyInstance } from 'fastify';
import { ControlError } from '../errors/control-error.js';
import { errorResponses } from './wire-schemas.js';

/** Register the plain-HTTP side of `GET /v1/connect`. */
export function registerConnectRoute(app: FastifyInstance): void {
  app.get('/v1/connect', {
    config: { auth: 'signed-gateway' },
    schema: {
      summary: "The gateway's management WebSocket",
      description:
        'A WebSocket upgrade signed with x-tidegate-gateway. Refusals are HTTP answers with the error body (GATEWAY_UNKNOWN 404, SIGNATURE_MISSING / SIGNATURE_INVALID / REQUEST_EXPIRED / NONCE_REPLAYED 401). Messages: control-wire.ts ServerMessage and GatewayMessage.',
      tags: ['gateways'],
      response: { 101: { description: 'Switching protocols (WebSocket)', type: 'null' }, ...errorResponses },
    },
    handler: async () => {
      throw new ControlError('INVALID_ARGUMENT', '/v1/connect is a WebSocket endpoint: send a signed upgrade request');
    },
  });
}
