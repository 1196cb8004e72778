/**
 * `POST /v1/gateways/:id/commands` `{method, params, timeoutMs?}` → `{result, servedBy}`: run an
 * engine command on a gateway of the account, wherever its connection is held
 * (forwarding/request-dispatcher.ts does the finding).
 */
import type { FastifyInstance } from 'fastify';
import type { RemoteCommand } from '../../src-gateway-engine/control/control-wire.js';
import type { AppContext } from '../http/app-context.js';
import { accountOf } from '../http/request-context.js';
import { errorResponses, gatewayIdParamsSchema } from '../http/wire-schemas.js';
import { adminAuthHook } from '../auth/admin-auth-hook.js';
import { REMOTE_COMMANDS } from '../forwarding/remote-commands.js';
import { ownedGateway } from './owned-gateway.js';

interface CommandBody {
  method: RemoteCommand;
  params?: Record<string, unknown>;
  timeoutMs?: number;
}

/** Register `POST /v1/gateways/:id/commands`. */
export function registerGatewayCommandRoute(app: FastifyInstance, ctx: AppContext): void {
  const { defaultMs, maxMs } = ctx.config.requestTimeout;
  app.post<{ Params: { id: string }; Body: CommandBody }>('/v1/gateways/:id/commands', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Run an engine command on a gateway',
      description: 'GATEWAY_OFFLINE (503): no server held the gateway before the deadline. GATEWAY_TIMEOUT (504): it got the command but did not answer in time. GATEWAY_ERROR (422): the engine refused; its own code is in error.engineCode.',
      tags: ['gateways', 'commands'],
      params: gatewayIdParamsSchema,
      body: {
        type: 'object',
        required: ['method'],
        additionalProperties: false,
        properties: {
          method: { type: 'string', enum: [...REMOTE_COMMANDS] },
          params: { type: 'object', description: "The command's parameters (the engine's command API)." },
          timeoutMs: { type: 'integer', minimum: 100, maximum: maxMs, description: `Deadline; default ${defaultMs}.` },
        },
      },
      response: {
        200: { type: 'object', required: ['result', 'servedBy'], properties: { result: { description: "The engine's answer." }, servedBy: { type: 'string', description: 'The server holding the connection.' } } },
        ...errorResponses,
      },
    },
    onRequest: adminAuthHook(ctx.state.accounts),
    handler: async (request) => {
      const record = await ownedGateway(ctx.state.gateways, accountOf(request), request.params.id);
      return ctx.commands.send({ gatewayId: record.id, method: request.body.method, params: request.body.params ?? {}, timeoutMs: request.body.timeoutMs ?? defaultMs });
    },
  });
}
