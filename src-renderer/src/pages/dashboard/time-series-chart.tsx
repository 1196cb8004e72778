import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricSample } from '../../../../src-main/ipc/ipc-contract.js';
import { formatClock, formatDateTime, formatDayClock } from '../../components/format/format-time.js';

/** Fixed height: a responsive chart whose container has no height yet would warn and draw nothing. */
export const CHART_HEIGHT = 200;

export interface ChartSeries {
  key: keyof MetricSample;
  label: string;
  color: string;
  dashed?: boolean;
}

/** One metric chart over time; the latest values are also given as text for screen readers. */
export function TimeSeriesChart(props: { title: string; testId: string; rows: readonly MetricSample[]; series: readonly ChartSeries[]; domain: [number, number]; formatValue(v: number): string }) {
  const { title, testId, rows, series, domain, formatValue } = props;
  const multiDay = domain[1] - domain[0] > 86_400_000;
  const spanSeconds = (domain[1] - domain[0]) / 1000;
  const latest = rows[rows.length - 1];
  return (
    <section className="chart-panel" data-testid={testId} aria-label={title}>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <div className="chart-empty" style={{ height: CHART_HEIGHT }}>
          No samples in this range yet.
        </div>
      ) : (
        <LineChart responsive style={{ width: '100%', height: CHART_HEIGHT }} data={rows as MetricSample[]} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="var(--grid)" />
          <XAxis
            dataKey="ts"
            type="number"
            scale="time"
            domain={domain}
            allowDataOverflow
            tickFormatter={(ts: number) => (multiDay ? formatDayClock(ts) : formatClock(ts, spanSeconds <= 600))}
            minTickGap={40}
            tick={{ fontSize: 11 }}
          />
          <YAxis tickFormatter={(v: number) => formatValue(v)} width={76} tick={{ fontSize: 11 }} />
          <Tooltip isAnimationActive={false} labelFormatter={(ts) => formatDateTime(Number(ts))} formatter={(v) => formatValue(Number(v))} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {series.map((s) => (
            <Line key={s.key} dataKey={s.key} name={s.label} type="monotone" stroke={s.color} strokeWidth={1.5} strokeDasharray={s.dashed ? '5 4' : undefined} dot={false} isAnimationActive={false} />
          ))}
        </LineChart>
      )}
      {latest && (
        <p className="visually-hidden">
          Latest: {series.map((s) => `${s.label} ${formatValue(Number(latest[s.key]))}`).join(', ')}.
        </p>
      )}
    </section>
  );
}
