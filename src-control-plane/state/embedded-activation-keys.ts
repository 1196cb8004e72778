/** Activation keys for the embedded state, in activation-keys.json. */
import * as path from 'node:path';
import type { ActivationKeyRecord, ActivationKeyStore, UseActivationKeyResult } from './control-plane-state.js';
import { ACTIVATION_KEY_RETENTION_MS, EMBEDDED_FILES } from './embedded-format.js';
import type { BackgroundErrorHandler } from './background-error-handler.js';
import { JsonSnapshotFile, snapshotArray } from './json-snapshot-file.js';

/** File-backed `ActivationKeyStore`; keys are forgotten `ACTIVATION_KEY_RETENTION_MS` after they expire. */
export class EmbeddedActivationKeys implements ActivationKeyStore {
  private readonly keys = new Map<string, ActivationKeyRecord>();
  private readonly file: JsonSnapshotFile;

  private constructor(dir: string, onError: BackgroundErrorHandler) {
    const spec = EMBEDDED_FILES.activationKeys;
    this.file = new JsonSnapshotFile(path.join(dir, spec.name), spec.format, () => ({ keys: [...this.keys.values()] }), onError);
  }

  /** Loads activation-keys.json from `dir`. */
  static async load(dir: string, onError: BackgroundErrorHandler): Promise<EmbeddedActivationKeys> {
    const store = new EmbeddedActivationKeys(dir, onError);
    for (const record of snapshotArray<ActivationKeyRecord>(await store.file.load(), 'keys', store.file.file)) store.keys.set(record.key, record);
    return store;
  }

  async put(record: ActivationKeyRecord): Promise<void> {
    this.forgetOld(Date.now());
    this.keys.set(record.key, structuredClone(record));
    await this.file.save();
  }

  async get(key: string): Promise<ActivationKeyRecord | null> {
    const record = this.keys.get(key);
    return record ? structuredClone(record) : null;
  }

  async use(key: string, gatewayId: string, now: Date): Promise<UseActivationKeyResult> {
    // Decided synchronously, before any await: concurrent calls see each other's result.
    const record = this.keys.get(key);
    if (!record) return { outcome: 'unknown' };
    // The same gateway id again is a retry of the call that won: answer it the same way.
    if (record.gatewayId === gatewayId) return { outcome: 'used', record: structuredClone(record) };
    if (record.gatewayId !== null) return { outcome: 'already-used' };
    if (Date.parse(record.expiresAt) <= now.getTime()) return { outcome: 'expired' };
    record.gatewayId = gatewayId;
    await this.file.save();
    return { outcome: 'used', record: structuredClone(record) };
  }

  /** Flushes and stops accepting changes. */
  shutdown(): Promise<void> {
    return this.file.close();
  }

  private forgetOld(now: number): void {
    for (const [key, record] of this.keys) {
      if (Date.parse(record.expiresAt) + ACTIVATION_KEY_RETENTION_MS <= now) this.keys.delete(key);
    }
  }
}
