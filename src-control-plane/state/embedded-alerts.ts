/** Alerts for the embedded state, in alerts.json; the open-alert index is rebuilt on load. */
import * as path from 'node:path';
import type { AlertRecord } from '../../src-gateway-engine/control/control-wire.js';
import { alertKeyString, newOpenAlert } from './alert-key.js';
import { alertMatches, sortAlerts } from './alert-listing.js';
import type { AlertKey, AlertStore } from './control-plane-state.js';
import { EMBEDDED_FILES } from './embedded-format.js';
import type { BackgroundErrorHandler } from './background-error-handler.js';
import { JsonSnapshotFile, snapshotArray } from './json-snapshot-file.js';

/** File-backed `AlertStore`. */
export class EmbeddedAlerts implements AlertStore {
  private readonly alerts = new Map<string, AlertRecord>();
  /** alertKeyString → id of the open alert. */
  private readonly openIds = new Map<string, string>();
  private readonly file: JsonSnapshotFile;

  private constructor(dir: string, onError: BackgroundErrorHandler) {
    const spec = EMBEDDED_FILES.alerts;
    this.file = new JsonSnapshotFile(path.join(dir, spec.name), spec.format, () => ({ alerts: [...this.alerts.values()] }), onError);
  }

  /** Loads alerts.json from `dir`. */
  static async load(dir: string, onError: BackgroundErrorHandler): Promise<EmbeddedAlerts> {
    const store = new EmbeddedAlerts(dir, onError);
    for (const alert of snapshotArray<AlertRecord>(await store.file.load(), 'alerts', store.file.file)) {
      store.alerts.set(alert.id, alert);
      if (alert.state === 'open') store.openIds.set(alertKeyString(alert), alert.id);
    }
    return store;
  }

  async open(key: AlertKey, fields: Pick<AlertRecord, 'severity' | 'message' | 'value'>, at: Date): Promise<{ alert: AlertRecord; created: boolean }> {
    const keyString = alertKeyString(key);
    const openId = this.openIds.get(keyString);
    const existing = openId === undefined ? undefined : this.alerts.get(openId);
    if (existing) return { alert: { ...existing }, created: false };
    const alert: AlertRecord = newOpenAlert(key, fields, at);
    this.alerts.set(alert.id, alert);
    this.openIds.set(keyString, alert.id);
    await this.file.save();
    return { alert: { ...alert }, created: true };
  }

  async close(key: AlertKey, at: Date): Promise<AlertRecord | null> {
    const keyString = alertKeyString(key);
    const openId = this.openIds.get(keyString);
    const alert = openId === undefined ? undefined : this.alerts.get(openId);
    if (!alert) return null;
    this.openIds.delete(keyString);
    alert.state = 'closed';
    alert.closedAt = at.toISOString();
    await this.file.save();
    return { ...alert };
  }

  async list(filter: { state?: 'open' | 'closed' | 'all'; gatewayId?: string }): Promise<AlertRecord[]> {
    return sortAlerts([...this.alerts.values()].filter((a) => alertMatches(a, filter))).map((a) => ({ ...a }));
  }

  /** Flushes and stops accepting changes. */
  shutdown(): Promise<void> {
    return this.file.close();
  }
}

