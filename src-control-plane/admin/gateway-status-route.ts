/**
 * `GET /v1/gateways/:id/status?from&to`: stored status samples (one per minute), oldest first.
 * `from`/`to` are ISO times or milliseconds since the epoch; the default is the last hour.
 */
import type { FastifyInstance } from 'fastify';
import type { StatusSample } from '../../src-gateway-engine/control/control-wire.js';
import type { AppContext } from '../http/app-context.js';
import { accountOf } from '../http/request-context.js';
import { errorResponses, gatewayIdParamsSchema, statusSampleSchema } from '../http/wire-schemas.js';
import { adminAuthHook } from '../auth/admin-auth-hook.js';
import { ControlError } from '../errors/control-error.js';
import { ownedGateway } from './owned-gateway.js';

const DEFAULT_SPAN_MS = 3600_000;

/** Register `GET /v1/gateways/:id/status`. */
export function registerGatewayStatusRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>('/v1/gateways/:id/status', {
    config: { auth: 'admin' },
    schema: {
      summary: "A gateway's stored status samples (1-minute resolution)",
      tags: ['gateways', 'monitoring'],
      params: gatewayIdParamsSchema,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          from: { type: 'string', description: 'ISO time or ms since the epoch; default one hour before `to`.' },
          to: { type: 'string', description: 'ISO time or ms since the epoch; default now.' },
        },
      },
      response: {
        200: { type: 'object', required: ['gatewayId', 'from', 'to', 'samples'], properties: { gatewayId: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, samples: { type: 'array', items: statusSampleSchema } } },
        ...errorResponses,
      },
    },
    onRequest: adminAuthHook(ctx.state.accounts),
    handler: async (request): Promise<{ gatewayId: string; from: string; to: string; samples: StatusSample[] }> => {
      const record = await ownedGateway(ctx.state.gateways, accountOf(request), request.params.id);
      const toMs = request.query.to === undefined ? ctx.clock() : parseInstant('to', request.query.to);
      const fromMs = request.query.from === undefined ? toMs - DEFAULT_SPAN_MS : parseInstant('from', request.query.from);
      if (fromMs > toMs) throw new ControlError('INVALID_ARGUMENT', '`from` must not be after `to`');
      const samples = await ctx.state.samples.range(record.id, fromMs, toMs);
      return { gatewayId: record.id, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), samples };
    },
  });
}

/** Milliseconds since the epoch from an ISO time or a decimal number of ms. */
function parseInstant(name: string, text: string): number {
  const ms = /^\d{1,16}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new ControlError('INVALID_ARGUMENT', `\`${name}\` must be an ISO time or milliseconds since the epoch (got ${JSON.stringify(text)})`);
  return ms;
}
