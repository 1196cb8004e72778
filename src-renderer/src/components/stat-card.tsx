import type { ReactNode } from 'react';

export type Tone = 'neutral' | 'good' | 'warning' | 'critical' | 'info';

/** One headline figure with its label and a line of detail. */
export function StatCard({ label, value, detail, tone = 'neutral', children }: { label: string; value: ReactNode; detail?: ReactNode; tone?: Tone; children?: ReactNode }) {
  return (
    <section className={`stat-card tone-${tone}`} aria-label={label}>
      <h3 className="stat-label">{label}</h3>
      <div className="stat-value">{value}</div>
      {detail !== undefined && <div className="stat-detail">{detail}</div>}
      {children}
    </section>
  );
}
