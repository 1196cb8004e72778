/** Fastify glue: a preValidation hook that verifies a signed gateway request (request-signature.ts) and sets `request.signer`. */
import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { NonceStore } from '../state/control-plane-state.js';
import { verifySignedRequest, type SignerKind } from './request-signature.js';

/** A hook for routes signed with `x-tidegate-key` (signer 'key'). Runs after body parsing, so the exact bytes are known. */
export function signedRequestHook(signer: SignerKind, nonces: NonceStore, now: () => number, publicKeyOfGateway?: (gatewayId: string) => Promise<string | null>): preValidationAsyncHookHandler {
  return async (request: FastifyRequest) => {
    request.signer = await verifySignedRequest(
      { method: request.method, pathWithQuery: request.url, headers: request.headers, body: request.rawBody ?? Buffer.alloc(0) },
      { signer, nonces, now: now(), ...(publicKeyOfGateway ? { publicKeyOfGateway } : {}) },
    );
  };
}
