/** `GET /v1/gateways`: the account's gateways, each with whether it is online and where. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../http/app-context.js';
import { accountOf } from '../http/request-context.js';
import { errorResponses, gatewayViewSchema } from '../http/wire-schemas.js';
import { adminAuthHook } from '../auth/admin-auth-hook.js';
import { gatewayViews, type GatewayView } from './gateway-view.js';

/** Register `GET /v1/gateways`. */
export function registerGatewayListRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get('/v1/gateways', {
    config: { auth: 'admin' },
    schema: {
      summary: "The account's gateways",
      tags: ['gateways'],
      response: { 200: { type: 'object', required: ['gateways'], properties: { gateways: { type: 'array', items: gatewayViewSchema } } }, ...errorResponses },
    },
    onRequest: adminAuthHook(ctx.state.accounts),
    handler: async (request): Promise<{ gateways: GatewayView[] }> => {
      const records = await ctx.state.gateways.listByAccount(accountOf(request).id);
      records.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
      return { gateways: await gatewayViews(records, ctx.state.registry) };
    },
  });
}
