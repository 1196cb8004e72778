import type { AlertRecord } from '../../../../src-main/ipc/ipc-contract.js';
import { EmptyState } from '../../components/empty-state.js';
import { formatSince } from '../../components/format/format-age.js';
import { formatDateTime } from '../../components/format/format-time.js';
import { useNow } from '../../components/use-now.js';

const SEVERITY_ORDER: Record<AlertRecord['severity'], number> = { critical: 0, warning: 1, info: 2 };

/** Open alerts, most severe and newest first. */
export function sortAlerts(alerts: readonly AlertRecord[]): AlertRecord[] {
  return alerts.filter((a) => a.state === 'open').sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || Date.parse(b.openedAt) - Date.parse(a.openedAt));
}

/** The control plane's open alerts for this gateway. */
export function AlertsPanel({ alerts, activated }: { alerts: readonly AlertRecord[] | null; activated: boolean }) {
  const now = useNow(30_000);
  const open = alerts ? sortAlerts(alerts) : [];
  return (
    <section className="panel" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <div data-testid="alerts">
        {open.length === 0 ? (
          <EmptyState title="No open alerts">{activated ? 'The control plane has raised nothing for this gateway.' : 'Alerts come from the control plane once the gateway is activated.'}</EmptyState>
        ) : (
          <ul className="alert-list">
            {open.map((a) => (
              <li key={a.id} className={`alert-item tone-border-${a.severity === 'info' ? 'info' : a.severity}`} data-severity={a.severity}>
                <span className={`badge tone-${a.severity === 'info' ? 'info' : a.severity}`}>{a.severity}</span>
                <div>
                  <div>{a.message}</div>
                  <div className="muted small">
                    <span className="mono">{a.rule}</span>
                    {a.volume && <> · volume {a.volume}</>} · <span title={formatDateTime(a.openedAt)}>opened {formatSince(a.openedAt, now)}</span>
                  </div>
                </div>
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
