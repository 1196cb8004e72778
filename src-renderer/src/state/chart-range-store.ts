import { create } from 'zustand';

/** Dashboard chart ranges: the live hour (1 s, from events) or minute history. */
export const CHART_RANGES = { '1h': 3_600, '6h': 21_600, '24h': 86_400, '7d': 604_800, '14d': 1_209_600 } as const;
export type ChartRange = keyof typeof CHART_RANGES;

interface ChartRangeState {
  range: ChartRange;
  setRange(range: ChartRange): void;
}

export const useChartRangeStore = create<ChartRangeState>()((set) => ({
  range: '1h',
  setRange: (range) => set({ range }),
}));
