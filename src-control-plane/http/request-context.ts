/**
 * What the hooks of a request learn and the handlers use: the exact body bytes (for signature
 * hashing), the administrator's account, the verified gateway signer. Declared on Fastify's
 * request type once, here.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountRecord } from '../state/control-plane-state.js';
import type { VerifiedSigner } from '../auth/request-signature.js';
import { ControlError } from '../errors/control-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Exact bytes of a JSON body; null without a body. */
    rawBody: Buffer | null;
    /** Set by the admin-auth hook. */
    account: AccountRecord | null;
    /** Set by the signed-request hook. */
    signer: VerifiedSigner | null;
  }
}

/** Declare the per-request fields (Fastify wants decorations before use). */
export function decorateRequestContext(app: FastifyInstance): void {
  app.decorateRequest('rawBody', null);
  app.decorateRequest('account', null);
  app.decorateRequest('signer', null);
}

/** The authenticated account; a route without the admin hook calling this is a programming error. */
export function accountOf(request: FastifyRequest): AccountRecord {
  if (request.account === null) throw new ControlError('INTERNAL', 'route is missing the admin authentication hook');
  return request.account;
}

/** The verified signer; a route without the signed-request hook calling this is a programming error. */
export function signerOf(request: FastifyRequest): VerifiedSigner {
  if (request.signer === null) throw new ControlError('INTERNAL', 'route is missing the signed-request hook');
  return request.signer;
}
