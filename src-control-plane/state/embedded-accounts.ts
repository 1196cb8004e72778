/** Accounts and their API tokens (SHA-256 only) for the embedded state, in accounts.json. */
import * as path from 'node:path';
import { hashApiToken, newAccountId, newApiToken } from './api-token.js';
import type { AccountRecord, AccountStore } from './control-plane-state.js';
import { EMBEDDED_FILES } from './embedded-format.js';
import type { BackgroundErrorHandler } from './background-error-handler.js';
import { JsonSnapshotFile, snapshotArray } from './json-snapshot-file.js';

interface TokenEntry {
  sha256: string;
  accountId: string;
  createdAt: string;
}

/** File-backed `AccountStore`. */
export class EmbeddedAccounts implements AccountStore {
  private readonly accounts = new Map<string, AccountRecord>();
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly file: JsonSnapshotFile;

  private constructor(dir: string, onError: BackgroundErrorHandler) {
    const spec = EMBEDDED_FILES.accounts;
    this.file = new JsonSnapshotFile(path.join(dir, spec.name), spec.format, () => ({
      accounts: [...this.accounts.values()],
      tokens: [...this.tokens.values()],
    }), onError);
  }

  /** Loads accounts.json from `dir` (absent: no accounts yet). */
  static async load(dir: string, onError: BackgroundErrorHandler): Promise<EmbeddedAccounts> {
    const store = new EmbeddedAccounts(dir, onError);
    const data = await store.file.load();
    for (const account of snapshotArray<AccountRecord>(data, 'accounts', store.file.file)) store.accounts.set(account.id, account);
    for (const token of snapshotArray<TokenEntry>(data, 'tokens', store.file.file)) store.tokens.set(token.sha256, token);
    return store;
  }

  async create(name: string): Promise<{ account: AccountRecord; token: string }> {
    const account: AccountRecord = { id: newAccountId(), name, createdAt: new Date().toISOString() };
    const token = newApiToken();
    this.accounts.set(account.id, account);
    this.tokens.set(hashApiToken(token), { sha256: hashApiToken(token), accountId: account.id, createdAt: account.createdAt });
    await this.file.save();
    return { account: { ...account }, token };
  }

  async byToken(token: string): Promise<AccountRecord | null> {
    const entry = this.tokens.get(hashApiToken(token));
    const account = entry ? this.accounts.get(entry.accountId) : undefined;
    return account ? { ...account } : null;
  }

  async get(id: string): Promise<AccountRecord | null> {
    const account = this.accounts.get(id);
    return account ? { ...account } : null;
  }

  async list(): Promise<AccountRecord[]> {
    return [...this.accounts.values()].sort(byCreatedAt).map((a) => ({ ...a }));
  }

  /** Flushes and stops accepting changes. */
  shutdown(): Promise<void> {
    return this.file.close();
  }
}

function byCreatedAt(a: AccountRecord, b: AccountRecord): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1;
}

