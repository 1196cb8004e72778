import type { GatewaySnapshot, MetricSample } from '../../../../src-main/ipc/ipc-contract.js';
import { engineTone } from '../../components/engine-state.js';
import { formatAge, formatSince } from '../../components/format/format-age.js';
import { formatBytes, formatLimit, formatRate } from '../../components/format/format-bytes.js';
import { formatCount, formatMs, formatPercent } from '../../components/format/format-number.js';
import { StatCard } from '../../components/stat-card.js';
import { StatusBadge } from '../../components/status-badge.js';
import { UsageBar } from '../../components/usage-bar.js';
import { useNow } from '../../components/use-now.js';
import { hashFor } from '../../state/routes.js';
import { dataAtRisk } from './dashboard-figures.js';

/** Engine health, control-plane connection, data at risk, cache, upload and I/O now. */
export function StatusCards({ snapshot, latest }: { snapshot: GatewaySnapshot; latest: MetricSample | undefined }) {
  const now = useNow(10_000);
  const { engine, status } = snapshot;
  const risk = status ? dataAtRisk(status) : null;
  const uploadRate = latest?.uploadBytesPerSec ?? null;
  const limit = latest?.uploadLimitBytesPerSec ?? status?.uploadBuffer.bandwidthBytesPerSec ?? 0;
  return (
    <div className="card-grid three">
      <StatCard
        label="Engine"
        tone={engineTone(engine.state)}
        value={<StatusBadge tone={engineTone(engine.state)}>{engine.state}</StatusBadge>}
        detail={
          <>
            {engine.state === 'running' && engine.pid !== null ? `pid ${engine.pid}, ` : ''}
            {engine.state} for {formatSince(engine.since, now).replace(/ ago$/, '')}
            {engine.restarts > 0 ? `, ${engine.restarts} restart${engine.restarts === 1 ? '' : 's'}` : ''}
            {engine.lastError && <div className="field-error">{engine.lastError}</div>}
          </>
        }
      />
      <StatCard
        label="Control plane"
        tone={!status ? 'neutral' : !status.activated ? 'warning' : status.controlPlaneConnected ? 'good' : 'critical'}
        value={!status ? '—' : !status.activated ? 'Not activated' : status.controlPlaneConnected ? 'Connected' : 'Disconnected'}
        detail={
          status && (
            <>
              {status.activated ? (status.controlPlane.controlPlaneUrl ?? '') : <a href={hashFor('activation')}>Activate this gateway</a>}
              {status.controlPlane.lastError && <div className="field-error">{status.controlPlane.lastError}</div>}
            </>
          )
        }
      />
      <StatCard
        label="Data at risk"
        tone={risk?.tone ?? 'neutral'}
        value={
          risk ? (
            <span data-testid="upload-backlog" data-bytes={risk.uploadBacklogBytes} title={`${risk.uploadBacklogBytes} bytes`}>
              {formatBytes(risk.uploadBacklogBytes)}
            </span>
          ) : (
            '—'
          )
        }
        detail={
          risk && (
            <>
              <div>Upload backlog (QueuedWrites) · dirty cache {formatBytes(risk.dirtyBytes)}</div>
              <div>
                Recovery point age <strong data-testid="recovery-point-age">{formatAge(risk.oldestRecoveryPointAgeSeconds)}</strong>
                {risk.writesWaiting > 0 && <> · {risk.writesWaiting} writes waiting for buffer</>}
              </div>
              <div>{risk.summary}</div>
            </>
          )
        }
      />
      <StatCard
        label="Cache"
        value={status ? `${formatPercent(status.cache.CacheHitPercent)} hits` : '—'}
        detail={
          status && (
            <>
              <UsageBar used={status.cache.usedBytes} capacity={status.cache.capacityBytes} label="Cache used" />
              {formatBytes(status.cache.usedBytes)} of {formatBytes(status.cache.capacityBytes)} used · {formatPercent(status.cache.CachePercentDirty)} dirty
            </>
          )
        }
      />
      <StatCard
        label="Upload"
        value={<span data-testid="upload-rate">{uploadRate === null ? '—' : formatRate(uploadRate)}</span>}
        detail={
          status && (
            <>
              {uploadRate !== null && limit > 0 && <UsageBar used={uploadRate} capacity={limit} label="Upload rate against the limit" />}
              Limit {formatLimit(limit)} · buffer {formatPercent(status.uploadBuffer.UploadBufferPercentUsed)} used ({formatBytes(status.uploadBuffer.usedBytes)} of {formatBytes(status.uploadBuffer.capacityBytes)})
            </>
          )
        }
      />
      <StatCard
        label="I/O now"
        value={latest ? `${formatCount(latest.readOpsPerSec + latest.writeOpsPerSec)} IOPS` : '—'}
        detail={
          latest && (
            <>
              {formatRate(latest.readBytesPerSec + latest.writeBytesPerSec)} · read {formatMs(latest.readLatencyMs)} · write {formatMs(latest.writeLatencyMs)} · I/O wait {formatPercent(latest.IoWaitPercent)}
            </>
          )
        }
      />
    </div>
  );
}
