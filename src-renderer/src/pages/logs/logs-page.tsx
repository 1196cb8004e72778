import type { LogLine, LogsRecentRequest } from '../../../../src-main/ipc/ipc-contract.js';
import { useRecentLogs } from '../../bridge/use-logs.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { Field } from '../../components/field.js';
import { formatDateTime } from '../../components/format/format-time.js';
import { LoadingState } from '../../components/loading-state.js';
import { PageHeader } from '../../components/page-header.js';
import { useDebouncedValue } from '../../components/use-debounced-value.js';
import { useLogFilterStore } from '../../state/log-filter-store.js';
import { SupportBundleButton } from './support-bundle-button.js';

const LOG_LIMIT = 500;
const LEVEL_TONE: Record<LogLine['level'], string> = { debug: 'neutral', info: 'info', warn: 'warning', error: 'critical' };

/** Recent engine logs with a level and text filter, and the support bundle. */
export function LogsPage() {
  const { level, search, autoRefresh, setLevel, setSearch, setAutoRefresh } = useLogFilterStore();
  const debouncedSearch = useDebouncedValue(search.trim(), 300);
  const req: LogsRecentRequest = { limit: LOG_LIMIT, ...(level !== 'all' ? { level } : {}), ...(debouncedSearch ? { search: debouncedSearch } : {}) };
  const logs = useRecentLogs(req, autoRefresh);
  return (
    <>
      <PageHeader title="Logs & diagnostics" description="The engine’s recent log lines; a support bundle gathers them with status and settings (no secrets)." actions={<SupportBundleButton />} />
      <div className="toolbar" role="search">
        <Field label="Minimum level">
          {(c) => (
            <select {...c} value={level} onChange={(e) => setLevel(e.target.value as LogLine['level'] | 'all')}>
              <option value="all">All levels</option>
              <option value="debug">Debug</option>
              <option value="info">Info</option>
              <option value="warn">Warning</option>
              <option value="error">Error</option>
            </select>
          )}
        </Field>
        <Field label="Search">
          {(c) => <input {...c} type="search" placeholder="Text in the message or fields" value={search} onChange={(e) => setSearch(e.target.value)} />}
        </Field>
        <label className="choice toolbar-toggle">
          <input type="checkbox" checked={autoRefresh} onChange={(e) => setAutoRefresh(e.target.checked)} />
          <span>Auto-refresh every 2 s</span>
        </label>
        {!autoRefresh && (
          <button type="button" className="button" onClick={() => void logs.refetch()} disabled={logs.isFetching}>
            Refresh
          </button>
        )}
      </div>
      {logs.isPending ? (
        <LoadingState label="Loading logs…" />
      ) : logs.isError ? (
        <ErrorBanner title="The logs could not be loaded" error={logs.error} onRetry={() => void logs.refetch()} />
      ) : logs.data.length === 0 ? (
        <EmptyState title="No log lines match">{level !== 'all' || debouncedSearch ? 'Try a lower level or a different search.' : 'The engine has not logged anything yet.'}</EmptyState>
      ) : (
        <LogTable lines={logs.data} />
      )}
    </>
  );
}

function LogTable({ lines }: { lines: readonly LogLine[] }) {
  // Newest first: auto-refresh adds at the top, where the eye is.
  const rows = [...lines].reverse();
  return (
    <div className="table-wrap log-table-wrap">
      <table className="table log-table" data-testid="log-lines">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Level</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((l) => (
            <tr key={l.seq}>
              <td className="mono small nowrap">{formatDateTime(l.ts)}</td>
              <td>
                <span className={`badge tone-${LEVEL_TONE[l.level]}`}>{l.level}</span>
              </td>
              <td>
                <div>{l.msg}</div>
                {Object.keys(l.fields).length > 0 && <div className="mono small muted log-fields">{formatFields(l.fields)}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}
