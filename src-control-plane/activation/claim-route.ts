/**
 * Step 4 of activation: `POST /v1/activation/claim`, signed with `x-tidegate-key`. The gateway
 * polls it: 202 pending until an administrator submitted the key, then 200 with its
 * credentials. Only the key that registered may claim (PUBLIC_KEY_MISMATCH otherwise), and
 * that is checked before anything about the key's state is revealed.
 */
import type { FastifyInstance } from 'fastify';
import type { ActivationClaimRequest, ActivationCredentials, ActivationPending } from '../../src-gateway-engine/control/control-wire.js';
import type { AppContext } from '../http/app-context.js';
import { signerOf } from '../http/request-context.js';
import { errorResponses } from '../http/wire-schemas.js';
import { signedRequestHook } from '../auth/signed-request-hook.js';
import { ControlError } from '../errors/control-error.js';
import { normaliseActivationKey } from '../state/index.js';

/** Register `POST /v1/activation/claim`. */
export function registerActivationClaimRoute(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: ActivationClaimRequest }>('/v1/activation/claim', {
    config: { auth: 'signed-key' },
    schema: {
      summary: 'A gateway collects its credentials once the key was submitted',
      tags: ['activation'],
      body: { type: 'object', required: ['activationKey'], additionalProperties: false, properties: { activationKey: { type: 'string', maxLength: 64 } } },
      response: {
        200: {
          description: 'activated',
          type: 'object',
          required: ['state', 'gatewayId', 'accountId', 'name', 'timezone', 'caCertPem', 'connectPath'],
          properties: {
            state: { type: 'string', enum: ['activated'] },
            gatewayId: { type: 'string' },
            accountId: { type: 'string' },
            name: { type: 'string' },
            timezone: { type: 'string' },
            caCertPem: { type: 'string', description: 'The CA the gateway pins from now on.' },
            connectPath: { type: 'string', enum: ['/v1/connect'] },
          },
        },
        202: { description: 'not submitted yet', type: 'object', required: ['state', 'expiresAt'], properties: { state: { type: 'string', enum: ['pending'] }, expiresAt: { type: 'string' } } },
        ...errorResponses,
      },
    },
    preValidation: signedRequestHook('key', ctx.state.nonces, ctx.clock),
    handler: async (request, reply): Promise<ActivationCredentials | ActivationPending> => {
      const signer = signerOf(request);
      const key = normaliseActivationKey(request.body.activationKey);
      const record = key === null ? null : await ctx.state.activationKeys.get(key);
      if (record === null) throw new ControlError('ACTIVATION_KEY_UNKNOWN', 'no such activation key');
      if (record.publicKey !== signer.publicKey) throw new ControlError('PUBLIC_KEY_MISMATCH', 'this activation key was registered by another key');
      if (record.gatewayId !== null) {
        const gateway = await ctx.state.gateways.get(record.gatewayId);
        if (gateway === null) throw new ControlError('INTERNAL', `activation key bound to ${record.gatewayId}, but that gateway record is missing`);
        return { state: 'activated', gatewayId: gateway.id, accountId: gateway.accountId, name: gateway.name, timezone: gateway.timezone, caCertPem: ctx.caCertPem, connectPath: '/v1/connect' };
      }
      if (Date.parse(record.expiresAt) <= ctx.clock()) throw new ControlError('ACTIVATION_KEY_EXPIRED', 'the activation key expired before an administrator submitted it; start activation again');
      void reply.code(202);
      return { state: 'pending', expiresAt: record.expiresAt };
    },
  });
}
