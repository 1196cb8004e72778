import { formatBytes } from './format/format-bytes.js';

/** How much of a capacity is used; turns amber at 80 % and red at 95 %. */
export function UsageBar({ used, capacity, label }: { used: number; capacity: number; label: string }) {
  const ratio = capacity > 0 ? Math.min(1, Math.max(0, used / capacity)) : 0;
  const tone = ratio >= 0.95 ? 'critical' : ratio >= 0.8 ? 'warning' : 'good';
  const pct = Math.round(ratio * 100);
  return (
    <div className={`bar tone-${tone}`} role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={`${formatBytes(used)} of ${formatBytes(capacity)} (${pct}%)`}>
      <div className="bar-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}
