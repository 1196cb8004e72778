/** Gateway records for the embedded state, in gateways.json. */
import * as path from 'node:path';
import type { GatewayRecord, GatewayStore } from './control-plane-state.js';
import { EMBEDDED_FILES } from './embedded-format.js';
import type { BackgroundErrorHandler } from './background-error-handler.js';
import { JsonSnapshotFile, snapshotArray } from './json-snapshot-file.js';

/**
 * How long a `touch` may wait before it is written. lastSeenAt is soft state refreshed every
 * heartbeat: after a crash it may be this much older than it was, nothing more.
 */
export const TOUCH_SAVE_DELAY_MS = 5_000;

/** File-backed `GatewayStore`. */
export class EmbeddedGateways implements GatewayStore {
  private readonly gateways = new Map<string, GatewayRecord>();
  private readonly file: JsonSnapshotFile;

  private constructor(dir: string, onError: BackgroundErrorHandler, private readonly touchDelayMs: number) {
    const spec = EMBEDDED_FILES.gateways;
    this.file = new JsonSnapshotFile(path.join(dir, spec.name), spec.format, () => ({ gateways: [...this.gateways.values()] }), onError);
  }

  /** Loads gateways.json from `dir`. */
  static async load(dir: string, onError: BackgroundErrorHandler, touchDelayMs = TOUCH_SAVE_DELAY_MS): Promise<EmbeddedGateways> {
    const store = new EmbeddedGateways(dir, onError, touchDelayMs);
    for (const record of snapshotArray<GatewayRecord>(await store.file.load(), 'gateways', store.file.file)) store.gateways.set(record.id, record);
    return store;
  }

  async put(record: GatewayRecord): Promise<void> {
    this.gateways.set(record.id, structuredClone(record));
    await this.file.save();
  }

  async get(id: string): Promise<GatewayRecord | null> {
    const record = this.gateways.get(id);
    return record ? structuredClone(record) : null;
  }

  async listByAccount(accountId: string): Promise<GatewayRecord[]> {
    return this.sorted().filter((g) => g.accountId === accountId);
  }

  async listAll(): Promise<GatewayRecord[]> {
    return this.sorted();
  }

  async touch(id: string, at: Date): Promise<void> {
    const record = this.gateways.get(id);
    if (!record) return;
    // Never move lastSeenAt backwards (a late heartbeat from an older connection).
    if (record.lastSeenAt !== null && Date.parse(record.lastSeenAt) >= at.getTime()) return;
    record.lastSeenAt = at.toISOString();
    this.file.saveSoon(this.touchDelayMs);
  }

  /** Writes a pending touch and stops accepting changes. */
  shutdown(): Promise<void> {
    return this.file.close();
  }

  private sorted(): GatewayRecord[] {
    return [...this.gateways.values()]
      .sort((a, b) => (a.activatedAt < b.activatedAt ? -1 : a.activatedAt > b.activatedAt ? 1 : a.id < b.id ? -1 : 1))
      .map((g) => structuredClone(g));
  }
}
