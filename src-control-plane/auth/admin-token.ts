/**
 * Administrator authentication: `Authorization: Bearer tg_…` → the token's account.
 * No header (or another scheme) is AUTH_REQUIRED; a token nobody issued is TOKEN_INVALID;
 * a token whose account is gone is ACCOUNT_UNKNOWN.
 */
import type { AccountRecord, AccountStore } from '../state/control-plane-state.js';
import { ControlError } from '../errors/control-error.js';

const BEARER_RE = /^Bearer[ ]+(\S+)\s*$/i;

/** The account of the request's bearer token; throws AUTH_REQUIRED, TOKEN_INVALID or ACCOUNT_UNKNOWN. */
export async function authenticateAdmin(authorization: string | string[] | undefined, accounts: AccountStore): Promise<AccountRecord> {
  if (typeof authorization !== 'string' || authorization.trim() === '') {
    throw new ControlError('AUTH_REQUIRED', 'this request needs an API token: Authorization: Bearer <token>');
  }
  const match = BEARER_RE.exec(authorization);
  if (!match) throw new ControlError('AUTH_REQUIRED', 'the Authorization header must be "Bearer <token>"');
  const token = match[1]!;
  const account = token.length <= 256 ? await accounts.byToken(token) : null;
  if (account === null) throw new ControlError('TOKEN_INVALID', 'the API token is not valid');
  // The token resolved, but its account may have been removed since (another server, another process).
  if ((await accounts.get(account.id)) === null) throw new ControlError('ACCOUNT_UNKNOWN', 'the account of this API token no longer exists');
  return account;
}
