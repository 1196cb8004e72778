/**
 * Step 1 of activation (docs/control-plane.md § Activation): `POST /v1/activation/register`,
 * signed with `x-tidegate-key`. Rate limited per client address before anything else is
 * looked at; the body's public key must be the key that signed.
 */
import type { FastifyInstance } from 'fastify';
import type { ActivationRegisterRequest, ActivationRegisterResponse } from '../../src-gateway-engine/control/control-wire.js';
import type { AppContext } from '../http/app-context.js';
import { signerOf } from '../http/request-context.js';
import { errorResponses, gatewayMetadataSchema } from '../http/wire-schemas.js';
import { signedRequestHook } from '../auth/signed-request-hook.js';
import { ControlError, rateLimitedError } from '../errors/control-error.js';
import { formatActivationKey, newActivationKey } from '../state/index.js';

const MINUTE_MS = 60_000;

/** Register `POST /v1/activation/register`. */
export function registerActivationRegisterRoute(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: ActivationRegisterRequest }>('/v1/activation/register', {
    config: { auth: 'signed-key' },
    schema: {
      summary: 'A gateway asks for an activation key',
      tags: ['activation'],
      body: {
        type: 'object',
        required: ['publicKey', 'metadata'],
        additionalProperties: false,
        properties: { publicKey: { type: 'string', description: 'Raw Ed25519 public key, base64url (the key that signs this request).' }, metadata: gatewayMetadataSchema },
      },
      response: {
        201: {
          type: 'object',
          required: ['activationKey', 'expiresAt'],
          properties: { activationKey: { type: 'string', description: 'e.g. K7QF-M2XD-9TRC' }, expiresAt: { type: 'string' } },
        },
        ...errorResponses,
      },
    },
    onRequest: async (request) => {
      const verdict = await ctx.state.rateLimiter.hit(`activation-register:${request.ip}`, ctx.config.rateLimits.registerPerMinute, MINUTE_MS);
      if (!verdict.allowed) throw rateLimitedError('activation requests from this address', verdict.retryAfterMs);
    },
    preValidation: signedRequestHook('key', ctx.state.nonces, ctx.clock),
    handler: async (request, reply): Promise<ActivationRegisterResponse> => {
      const signer = signerOf(request);
      if (request.body.publicKey !== signer.publicKey) throw new ControlError('PUBLIC_KEY_MISMATCH', 'publicKey must be the key that signed the request');
      const m = request.body.metadata;
      const now = ctx.clock();
      let key = newActivationKey();
      // 60 random bits: a collision is as good as impossible, but a live key must never be handed out twice.
      while ((await ctx.state.activationKeys.get(key)) !== null) key = newActivationKey();
      const expiresAt = new Date(now + ctx.config.activationTtlMs).toISOString();
      await ctx.state.activationKeys.put({
        key,
        publicKey: signer.publicKey,
        metadata: { version: m.version, host: m.host, platform: m.platform, capacityBytes: m.capacityBytes, localGatewayId: m.localGatewayId },
        createdAt: new Date(now).toISOString(),
        expiresAt,
        gatewayId: null,
      });
      ctx.logger.info('activation key issued', { host: m.host, version: m.version, expiresAt, client: request.ip });
      void reply.code(201);
      return { activationKey: formatActivationKey(key), expiresAt };
    },
  });
}
