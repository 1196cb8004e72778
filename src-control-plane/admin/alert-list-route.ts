/**
 * `GET /v1/alerts?state=open|closed|all&gatewayId=`: the alerts of the account's gateways, and
 * the fleet-wide ones (gatewayId null, which name no gateway). Default: open alerts.
 */
import type { FastifyInstance } from 'fastify';
import type { AlertRecord } from '../../src-gateway-engine/control/control-wire.js';
import type { AppContext } from '../http/app-context.js';
import { accountOf } from '../http/request-context.js';
import { alertRecordSchema, errorResponses } from '../http/wire-schemas.js';
import { adminAuthHook } from '../auth/admin-auth-hook.js';
import { ownedGateway } from './owned-gateway.js';

/** Register `GET /v1/alerts`. */
export function registerAlertListRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Querystring: { state?: 'open' | 'closed' | 'all'; gatewayId?: string } }>('/v1/alerts', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Alerts of this account’s gateways and of the fleet',
      tags: ['monitoring'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          state: { type: 'string', enum: ['open', 'closed', 'all'], default: 'open' },
          gatewayId: { type: 'string', maxLength: 128, description: 'Only this gateway’s alerts.' },
        },
      },
      response: { 200: { type: 'object', required: ['alerts'], properties: { alerts: { type: 'array', items: alertRecordSchema } } }, ...errorResponses },
    },
    onRequest: adminAuthHook(ctx.state.accounts),
    handler: async (request): Promise<{ alerts: AlertRecord[] }> => {
      const account = accountOf(request);
      const state = request.query.state ?? 'open';
      if (request.query.gatewayId !== undefined) {
        const record = await ownedGateway(ctx.state.gateways, account, request.query.gatewayId);
        return { alerts: await ctx.state.alerts.list({ state, gatewayId: record.id }) };
      }
      const [alerts, gateways] = await Promise.all([ctx.state.alerts.list({ state }), ctx.state.gateways.listByAccount(account.id)]);
      const mine = new Set(gateways.map((g) => g.id));
      return { alerts: alerts.filter((a) => a.gatewayId === null || mine.has(a.gatewayId)) };
    },
  });
}
