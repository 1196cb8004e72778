import type { VolumeInfo } from '../../../../src-main/ipc/ipc-contract.js';
import { useSyncProgress, useSyncVolume } from '../../bridge/use-volumes.js';
import { toConsoleErrorBody } from '../../bridge/console-error.js';
import { formatBytes } from '../../components/format/format-bytes.js';
import { ProgressBar } from '../../components/progress-bar.js';

/** "Sync now" for one volume, with progress from `volumes.syncProgress` events and the outcome. */
export function SyncCell({ volume }: { volume: VolumeInfo }) {
  const sync = useSyncVolume();
  const progress = useSyncProgress(volume.name);
  const running = sync.isPending || progress?.phase === 'running';
  const label = `Sync ${volume.name}`;
  let status = null;
  if (progress?.phase === 'running' || (sync.isPending && progress === undefined)) {
    const total = progress?.totalBytes ?? 0;
    const remaining = progress?.remainingBytes ?? 0;
    const ratio = total > 0 ? (total - remaining) / total : 0;
    status = (
      <div className="sync-status">
        <ProgressBar value={ratio} label={`Sync progress of ${volume.name}`} />
        <span className="muted">{progress ? `${formatBytes(remaining)} of ${formatBytes(total)} left` : 'Starting…'}</span>
      </div>
    );
  } else if (progress?.phase === 'failed' || sync.isError) {
    status = (
      <div className="sync-status field-error" role="alert">
        Sync failed: {progress?.error ?? toConsoleErrorBody(sync.error).message}
      </div>
    );
  } else if (progress?.phase === 'done' || sync.isSuccess) {
    const point = progress?.recoveryPoint ?? sync.data;
    status = <div className="sync-status muted">Synced{point ? ` — recovery point ${point.headNo}` : ''}</div>;
  }
  return (
    <div className="sync-cell">
      <button type="button" className="button button-small" aria-label={label} title={label} disabled={running || volume.state === 'failed'} onClick={() => sync.mutate(volume.name)}>
        {running ? 'Syncing…' : 'Sync now'}
      </button>
      {status}
    </div>
  );
}
