import type { VolumeInfo } from '../../../../src-main/ipc/ipc-contract.js';
import { formatBytes } from '../../components/format/format-bytes.js';

/** True when nothing written to the volume is left to upload and its recovery point is current. */
export function isFullyUploaded(v: VolumeInfo): boolean {
  return v.metrics.QueuedWrites === 0 && v.metrics.TimeSinceLastRecoveryPoint === 0;
}

/** Per-volume "is everything in the object store?" indicator. */
export function UploadState({ volume }: { volume: VolumeInfo }) {
  const done = isFullyUploaded(volume);
  const q = volume.metrics.QueuedWrites;
  const pending = q > 0 ? `${formatBytes(q)} to upload` : 'Recovery point pending';
  return (
    <span data-testid={`volume-upload-state-${volume.name}`} data-bytes={q} className={done ? 'upload-state upload-done' : 'upload-state upload-pending'}>
      {done ? 'All data uploaded' : volume.metrics.UploadDeferring ? `${pending} (waiting for clients to quiet down)` : pending}
    </span>
  );
}
