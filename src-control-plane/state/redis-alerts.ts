/** Alerts in Redis: a hash per alert, an index of open alerts, opened and closed by Lua scripts. */
import type { AlertRecord } from '../../src-gateway-engine/control/control-wire.js';
import { alertKeyString, newOpenAlert } from './alert-key.js';
import { alertMatches, sortAlerts, type AlertFilter } from './alert-listing.js';
import type { AlertKey, AlertStore } from './control-plane-state.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { CLOSE_ALERT, OPEN_ALERT } from './redis-scripts.js';

/** Redis `AlertStore`: two servers opening the same alert get one alert. */
export class RedisAlerts implements AlertStore {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  async open(key: AlertKey, fields: Pick<AlertRecord, 'severity' | 'message' | 'value'>, at: Date): Promise<{ alert: AlertRecord; created: boolean }> {
    const proposed: AlertRecord = newOpenAlert(key, fields, at);
    const [created, json, state, closedAt] = (await this.link.script(
      'alerts.open',
      OPEN_ALERT,
      [this.keys.openAlerts(), this.keys.alerts()],
      [alertKeyString(key), proposed.id, JSON.stringify(proposed), at.getTime(), this.keys.alertPrefix()],
    )) as [number, string, string, string];
    return { alert: alertFrom(json, state, closedAt), created: created === 1 };
  }

  async close(key: AlertKey, at: Date): Promise<AlertRecord | null> {
    const reply = (await this.link.script('alerts.close', CLOSE_ALERT, [this.keys.openAlerts()], [alertKeyString(key), at.toISOString(), this.keys.alertPrefix()])) as
      | [string, string, string]
      | null;
    return reply === null ? null : alertFrom(...reply);
  }

  async list(filter: AlertFilter): Promise<AlertRecord[]> {
    const ids = await this.link.run('alerts.list', (c) => c.zrange(this.keys.alerts(), '0', '-1'));
    const out: AlertRecord[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      const rows = await this.link.transaction('alerts.list', (m) => {
        for (const id of batch) m.hmget(this.keys.alert(id), 'record', 'state', 'closedAt');
        return m;
      });
      for (const row of rows as Array<[string | null, string | null, string | null]>) {
        if (row[0] === null) continue;
        const alert = alertFrom(row[0], row[1] ?? 'open', row[2] ?? '');
        if (alertMatches(alert, filter)) out.push(alert);
      }
    }
    return sortAlerts(out);
  }
}

/** An alert from its stored JSON (as opened) and its current state fields. */
function alertFrom(json: string, state: string, closedAt: string): AlertRecord {
  const record = JSON.parse(json) as AlertRecord;
  return { ...record, state: state === 'closed' ? 'closed' : 'open', closedAt: closedAt === '' ? null : closedAt };
}
