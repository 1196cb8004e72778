import { CHART_RANGES, useChartRangeStore, type ChartRange } from '../../state/chart-range-store.js';

/** Live hour or minute history over 6 h … 14 d. */
export function RangeSelector() {
  const range = useChartRangeStore((s) => s.range);
  const setRange = useChartRangeStore((s) => s.setRange);
  return (
    <div className="segmented" role="group" aria-label="Chart range">
      {(Object.keys(CHART_RANGES) as ChartRange[]).map((r) => (
        <button key={r} type="button" aria-pressed={range === r} onClick={() => setRange(r)}>
          {r}
        </button>
      ))}
    </div>
  );
}
