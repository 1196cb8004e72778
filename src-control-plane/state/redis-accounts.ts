/** Accounts and hashed API tokens in Redis (layout: redis-keys.ts). */
import { hashApiToken, newAccountId, newApiToken } from './api-token.js';
import type { AccountRecord, AccountStore } from './control-plane-state.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';

/** Redis `AccountStore`. */
export class RedisAccounts implements AccountStore {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  async create(name: string): Promise<{ account: AccountRecord; token: string }> {
    const account: AccountRecord = { id: newAccountId(), name, createdAt: new Date().toISOString() };
    const token = newApiToken();
    await this.link.transaction('accounts.create', (m) =>
      m.hset(this.keys.accounts(), account.id, JSON.stringify(account)).hset(this.keys.tokens(), hashApiToken(token), account.id),
    );
    return { account, token };
  }

  async byToken(token: string): Promise<AccountRecord | null> {
    const accountId = await this.link.run('accounts.byToken', (c) => c.hget(this.keys.tokens(), hashApiToken(token)));
    return accountId === null ? null : this.get(accountId);
  }

  async get(id: string): Promise<AccountRecord | null> {
    const json = await this.link.run('accounts.get', (c) => c.hget(this.keys.accounts(), id));
    return json === null ? null : (JSON.parse(json) as AccountRecord);
  }

  async list(): Promise<AccountRecord[]> {
    const all = await this.link.run('accounts.list', (c) => c.hvals(this.keys.accounts()));
    return all
      .map((json) => JSON.parse(json) as AccountRecord)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  }
}

