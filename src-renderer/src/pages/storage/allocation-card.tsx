import type { DiskAllocation } from '../../../../src-main/ipc/ipc-contract.js';
import { formatBytes } from '../../components/format/format-bytes.js';
import { formatPercent } from '../../components/format/format-number.js';
import { UsageBar } from '../../components/usage-bar.js';

/** One allocation: how full it is, and how full the filesystem under it is. */
export function AllocationCard({ title, alloc, testId }: { title: string; alloc: DiskAllocation; testId: string }) {
  const fsUsed = alloc.filesystemBytes - alloc.filesystemFreeBytes;
  return (
    <section className="panel" aria-label={title} data-testid={testId}>
      <h2>{title}</h2>
      <p className="mono small muted">{alloc.path}</p>
      <div className="bar-row">
        <span>Used</span>
        <UsageBar used={alloc.usedBytes} capacity={alloc.capacityBytes} label={`${title} used`} />
        <span className="num">
          {formatBytes(alloc.usedBytes)} of {formatBytes(alloc.capacityBytes)} ({formatPercent(alloc.capacityBytes > 0 ? (alloc.usedBytes / alloc.capacityBytes) * 100 : 0)})
        </span>
      </div>
      {alloc.keptBytes ? (
        <p className="small muted" data-testid={`${testId}-kept`}>
          Also holds {formatBytes(alloc.keptBytes)} of uploaded write-log files kept for later writes to overwrite (counted within the capacity).
        </p>
      ) : null}
      <div className="bar-row">
        <span>Filesystem</span>
        <UsageBar used={fsUsed} capacity={alloc.filesystemBytes} label={`${title} filesystem used`} />
        <span className="num">
          {formatBytes(alloc.filesystemFreeBytes)} free of {formatBytes(alloc.filesystemBytes)}
        </span>
      </div>
    </section>
  );
}
