/**
 * Step 3 of activation: an administrator binds an activation key to their account,
 * `POST /v1/gateways` (Bearer token) with `{activationKey, name, timezone}` → 201 the gateway.
 * The key is used atomically (state.activationKeys.use), so two administrators racing for one
 * key get one gateway and one ACTIVATION_KEY_USED. Every failed submission counts against
 * the client address (submission-throttle.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ActivateGatewayRequest } from '../../src-gateway-engine/control/control-wire.js';
import type { AppContext } from '../http/app-context.js';
import { accountOf } from '../http/request-context.js';
import { errorResponses, gatewayViewSchema } from '../http/wire-schemas.js';
import { adminAuthHook } from '../auth/admin-auth-hook.js';
import { ControlError } from '../errors/control-error.js';
import { gatewayView, type GatewayView } from '../admin/gateway-view.js';
import type { GatewayRecord } from '../state/control-plane-state.js';
import { normaliseActivationKey } from '../state/index.js';
import { checkGatewayName, checkTimeZone } from './gateway-naming.js';
import { SubmissionThrottle } from './submission-throttle.js';

/** Register `POST /v1/gateways`. */
export function registerActivationSubmitRoute(app: FastifyInstance, ctx: AppContext): void {
  const throttle = new SubmissionThrottle(ctx.state.rateLimiter, ctx.config.rateLimits.failedSubmissionsPerMinute, ctx.clock);
  const authenticate = adminAuthHook(ctx.state.accounts);
  app.post<{ Body: ActivateGatewayRequest }>('/v1/gateways', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Activate a gateway: bind its activation key to this account',
      tags: ['gateways', 'activation'],
      body: {
        type: 'object',
        required: ['activationKey', 'name', 'timezone'],
        additionalProperties: false,
        properties: {
          activationKey: { type: 'string', maxLength: 64, description: 'As shown by the gateway; case and dashes do not matter.' },
          name: { type: 'string', description: '1-64 printable characters.' },
          timezone: { type: 'string', description: 'IANA time zone, e.g. Europe/Paris.' },
        },
      },
      response: { 201: gatewayViewSchema, ...errorResponses },
    },
    onRequest: async (request, reply) => {
      throttle.check(request.ip);
      await authenticate.call(app, request, reply);
    },
    onSend: async (request, reply, payload) => {
      if (reply.statusCode >= 400 && reply.statusCode < 500 && reply.statusCode !== 429) await throttle.recordFailure(request.ip);
      return payload;
    },
    handler: async (request, reply): Promise<GatewayView> => {
      const account = accountOf(request);
      const name = checkGatewayName(request.body.name);
      const timezone = checkTimeZone(request.body.timezone);
      const key = normaliseActivationKey(request.body.activationKey);
      if (key === null) throw new ControlError('ACTIVATION_KEY_UNKNOWN', 'no such activation key (12 characters, e.g. K7QF-M2XD-9TRC)');
      // A gateway that restarted activation leaves its older keys pending until they expire;
      // once one of its keys made a gateway, the others must not make a second (phantom) one.
      // Two keys of one gateway submitted at the same instant could still race; that is rare
      // and shows as a second gateway that never connects.
      const pending = await ctx.state.activationKeys.get(key);
      if (pending !== null && pending.gatewayId === null) {
        const existing = (await ctx.state.gateways.listAll()).find((g) => g.publicKey === pending.publicKey);
        if (existing !== undefined) throw new ControlError('ACTIVATION_KEY_USED', 'this gateway is already activated with a newer activation key');
      }
      const gatewayId = `gw-${randomUUID()}`;
      const now = new Date(ctx.clock());
      const used = await ctx.state.activationKeys.use(key, gatewayId, now);
      switch (used.outcome) {
        case 'unknown':
          throw new ControlError('ACTIVATION_KEY_UNKNOWN', 'no such activation key');
        case 'expired':
          throw new ControlError('ACTIVATION_KEY_EXPIRED', 'the activation key has expired; start activation on the gateway again');
        case 'already-used':
          throw new ControlError('ACTIVATION_KEY_USED', 'the activation key was already used');
        case 'used':
          break;
      }
      const record: GatewayRecord = {
        id: gatewayId,
        accountId: account.id,
        name,
        timezone,
        publicKey: used.record.publicKey,
        metadata: used.record.metadata,
        activatedAt: now.toISOString(),
        lastSeenAt: null,
      };
      await ctx.state.gateways.put(record);
      ctx.logger.info('gateway activated', { gatewayId, accountId: account.id, name, host: record.metadata.host });
      void reply.code(201);
      return gatewayView(record, null);
    },
  });
}
