/** Fastify glue: an onRequest hook that authenticates the administrator (admin-token.ts) and sets `request.account`. */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { AccountStore } from '../state/control-plane-state.js';
import { authenticateAdmin } from './admin-token.js';

/** A hook for admin routes. */
export function adminAuthHook(accounts: AccountStore): onRequestAsyncHookHandler {
  return async (request: FastifyRequest) => {
    request.account = await authenticateAdmin(request.headers.authorization, accounts);
  };
}
