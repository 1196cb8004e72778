/** Progress of a task, 0..1 (clamped). */
export function ProgressBar({ value, label, tone = 'info' }: { value: number; label: string; tone?: 'info' | 'good' | 'critical' }) {
  const pct = Math.round(Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0)) * 100);
  return (
    <div className={`bar tone-${tone}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div className="bar-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}
