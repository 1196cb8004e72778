import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashApiToken, newAccountId, newApiToken } from './api-token.js';

describe('API tokens', () => {
  it('are tg_ + 32 random bytes in base64url, stored as SHA-256 hex', () => {
    const token = newApiToken();
    expect(token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(3), 'base64url')).toHaveLength(32);
    expect(hashApiToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashApiToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(newApiToken()).not.toBe(token);
  });

  it('account ids are acct-<uuid>', () => {
    expect(newAccountId()).toMatch(/^acct-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
