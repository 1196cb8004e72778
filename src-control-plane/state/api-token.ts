/**
 * Administrator API tokens and account ids. A token is `tg_` + 32 random bytes in base64url;
 * only its SHA-256 (hex) is ever stored, and a token is found by looking its hash up, so no
 * stored secret can be compared byte by byte against attacker input.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Prefix of every API token, so leaked tokens are easy to recognise in logs and scanners. */
export const API_TOKEN_PREFIX = 'tg_';

/** A fresh API token; show it once, store only `hashApiToken(token)`. */
export function newApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** SHA-256 of a token, lower-case hex: the only form a token is stored in. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh account id: `acct-<uuid>`. */
export function newAccountId(): string {
  return `acct-${randomUUID()}`;
}
