import type { EngineStatus } from '../../../../src-main/ipc/ipc-contract.js';
import type { Tone } from '../../components/stat-card.js';

/** What is not yet safe in the object store, gateway-wide. */
export interface DataAtRisk {
  /** Bytes written but not yet uploaded (QueuedWrites). */
  uploadBacklogBytes: number;
  /** Cache blocks not yet uploaded, summed over volumes. */
  dirtyBytes: number;
  /** Seconds since the oldest volume's newest recovery point (0 when all is uploaded). */
  oldestRecoveryPointAgeSeconds: number;
  /** Writes waiting for upload-buffer space now (back-pressure). */
  writesWaiting: number;
  tone: Tone;
  /** One sentence for the card. */
  summary: string;
}

/** Recovery point older than this is a warning; older than the second, critical. */
export const RECOVERY_POINT_WARN_SECONDS = 15 * 60;
export const RECOVERY_POINT_CRITICAL_SECONDS = 60 * 60;

export function dataAtRisk(status: EngineStatus): DataAtRisk {
  const uploadBacklogBytes = status.uploadBuffer.QueuedWrites;
  const dirtyBytes = status.volumes.reduce((sum, v) => sum + v.metrics.DirtyBytes, 0);
  const oldestRecoveryPointAgeSeconds = status.volumes.reduce((max, v) => Math.max(max, v.metrics.TimeSinceLastRecoveryPoint), 0);
  const writesWaiting = status.uploadBuffer.WritesWaitingForBuffer;
  const stuck = status.volumes.filter((v) => v.state === 'failed' || v.state === 'throttled').map((v) => v.name);
  const degraded = status.volumes.filter((v) => v.state === 'degraded').map((v) => v.name);
  let tone: Tone = 'good';
  let summary = 'All data is uploaded.';
  if (uploadBacklogBytes > 0 || oldestRecoveryPointAgeSeconds > 0) {
    tone = 'info';
    summary = 'Uploading: data is safe in the local write log until it reaches the object store.';
  }
  if (degraded.length > 0 || oldestRecoveryPointAgeSeconds > RECOVERY_POINT_WARN_SECONDS) {
    tone = 'warning';
    summary = degraded.length > 0 ? `Uploads are failing for ${degraded.join(', ')}; data waits in the write log.` : 'The recovery point is getting old: uploads are behind.';
  }
  if (stuck.length > 0 || writesWaiting > 0 || oldestRecoveryPointAgeSeconds > RECOVERY_POINT_CRITICAL_SECONDS) {
    tone = 'critical';
    summary = stuck.length > 0 ? `Needs attention: ${stuck.join(', ')} ${stuck.length === 1 ? 'is' : 'are'} throttled or failed.` : writesWaiting > 0 ? 'The upload buffer is full: writers are being slowed down.' : 'The recovery point is more than an hour old.';
  }
  return { uploadBacklogBytes, dirtyBytes, oldestRecoveryPointAgeSeconds, writesWaiting, tone, summary };
}
