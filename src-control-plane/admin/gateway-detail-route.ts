/** `GET /v1/gateways/:id`: one gateway of the account and its newest status sample. */
import type { FastifyInstance } from 'fastify';
import type { StatusSample } from '../../src-gateway-engine/control/control-wire.js';
import type { AppContext } from '../http/app-context.js';
import { accountOf } from '../http/request-context.js';
import { errorResponses, gatewayDetailSchema, gatewayIdParamsSchema } from '../http/wire-schemas.js';
import { adminAuthHook } from '../auth/admin-auth-hook.js';
import { gatewayView, type GatewayView } from './gateway-view.js';
import { ownedGateway } from './owned-gateway.js';

/** Register `GET /v1/gateways/:id`. */
export function registerGatewayDetailRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: { id: string } }>('/v1/gateways/:id', {
    config: { auth: 'admin' },
    schema: {
      summary: 'One gateway and its newest status sample',
      tags: ['gateways'],
      params: gatewayIdParamsSchema,
      response: { 200: gatewayDetailSchema, ...errorResponses },
    },
    onRequest: adminAuthHook(ctx.state.accounts),
    handler: async (request): Promise<GatewayView & { latestStatus: StatusSample | null }> => {
      const record = await ownedGateway(ctx.state.gateways, accountOf(request), request.params.id);
      const [holder, latestStatus] = await Promise.all([ctx.state.registry.get(record.id), ctx.state.samples.latest(record.id)]);
      return { ...gatewayView(record, holder), latestStatus };
    },
  });
}
