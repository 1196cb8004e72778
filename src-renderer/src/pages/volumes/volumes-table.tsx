import type { VolumeInfo } from '../../../../src-main/ipc/ipc-contract.js';
import { formatAge } from '../../components/format/format-age.js';
import { formatBytes } from '../../components/format/format-bytes.js';
import { formatPercent } from '../../components/format/format-number.js';
import { formatDateTime } from '../../components/format/format-time.js';
import { useDialogStore } from '../../state/dialog-store.js';
import { SyncCell } from './sync-cell.js';
import { UploadState } from './upload-state.js';

const STATE_LABEL: Record<VolumeInfo['state'], string> = {
  available: 'Available',
  degraded: 'Degraded',
  throttled: 'Throttled',
  failed: 'Failed',
};

const STATE_HELP: Record<VolumeInfo['state'], string> = {
  available: 'Serving reads and writes.',
  degraded: 'Uploads are failing: data is safe in the write log, but the recovery point is aging.',
  throttled: 'The upload buffer is full: writers are slowed down until uploads catch up.',
  failed: 'The volume stopped; see the error.',
};

/** The volumes with their state, size, backlog, clients, recovery point and actions. */
export function VolumesTable({ volumes }: { volumes: readonly VolumeInfo[] }) {
  const openDialog = useDialogStore((s) => s.open);
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Volume</th>
            <th scope="col">State</th>
            <th scope="col" className="num">Size</th>
            <th scope="col" className="num">Queued writes</th>
            <th scope="col" className="num">Cache hit</th>
            <th scope="col">Clients</th>
            <th scope="col">Recovery point</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {volumes.map((v) => (
            <tr key={v.name} data-testid={`volume-row-${v.name}`}>
              <th scope="row">
                <div className="mono">{v.name}</div>
                <div className="muted small">
                  {v.mode === 'cached' ? 'Cached' : 'Stored'}
                  {v.nbdExport ? ' · NBD' : ''}
                  {v.iscsi.chapUser ? ' · CHAP' : ''}
                </div>
                <div className="muted small mono" title="iSCSI target">
                  {v.iscsi.targetName}
                </div>
              </th>
              <td>
                <span className={`badge volume-state volume-state-${v.state}`} title={STATE_HELP[v.state]} data-testid={`volume-state-${v.name}`}>
                  {STATE_LABEL[v.state]}
                </span>
                {v.error && <div className="field-error small">{v.error}</div>}
                {!v.error && v.metrics.LastUploadError && v.state !== 'available' && <div className="field-error small">{v.metrics.LastUploadError}</div>}
              </td>
              <td className="num">{formatBytes(v.sizeBytes)}</td>
              <td className="num" title={`${v.metrics.QueuedWrites} bytes`}>
                {formatBytes(v.metrics.QueuedWrites)}
                {v.metrics.WritesWaitingForBuffer > 0 && <div className="small tone-text-warning">{v.metrics.WritesWaitingForBuffer} writes waiting</div>}
              </td>
              <td className="num">{v.mode === 'cached' ? formatPercent(v.metrics.CacheHitPercent) : '—'}</td>
              <td>
                {v.clients.length === 0 ? (
                  <span className="muted">None</span>
                ) : (
                  <ul className="plain-list small">
                    {v.clients.map((c) => (
                      <li key={`${c.protocol}-${c.address}`} title={c.initiator ?? undefined}>
                        {c.protocol === 'iscsi' ? 'iSCSI' : 'NBD'} {c.address}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>
                <div title={`Committed ${formatDateTime(v.recoveryPoint.committedAt)}`}>{formatAge(v.metrics.TimeSinceLastRecoveryPoint)} old</div>
                <UploadState volume={v} />
              </td>
              <td>
                <div className="row-actions">
                  <SyncCell volume={v} />
                  <button type="button" className="button button-small button-danger-outline" aria-label={`Delete ${v.name}`} onClick={() => openDialog({ kind: 'deleteVolume', name: v.name })}>
                    Delete
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
