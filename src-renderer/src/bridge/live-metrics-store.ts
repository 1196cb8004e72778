/**
 * The live metric series: the last hour of 1 s samples, fed by `metrics.sample` events and
 * seeded once from `metrics.history`. A tiny external store (read with useSyncExternalStore)
 * rather than react-query data: it changes every second, and copying a bounded array is
 * cheaper than react-query's structural sharing over 3,600 objects.
 */
import type { MetricSample } from '../../../src-main/ipc/ipc-contract.js';

/** One hour at one sample a second. */
export const LIVE_WINDOW_MS = 3_600_000;
export const LIVE_MAX_POINTS = 3_600;

/** Merges two series sorted by ts into one, newer duplicates (same ts) winning, trimmed to the window. */
export function mergeSamples(older: readonly MetricSample[], newer: readonly MetricSample[], maxPoints = LIVE_MAX_POINTS, windowMs = LIVE_WINDOW_MS): MetricSample[] {
  const byTs = new Map<number, MetricSample>();
  for (const s of older) byTs.set(s.ts, s);
  for (const s of newer) byTs.set(s.ts, s);
  const all = [...byTs.values()].sort((a, b) => a.ts - b.ts);
  return trim(all, maxPoints, windowMs);
}

function trim(samples: MetricSample[], maxPoints: number, windowMs: number): MetricSample[] {
  if (samples.length === 0) return samples;
  const newest = samples[samples.length - 1]!.ts;
  let start = Math.max(0, samples.length - maxPoints);
  while (start < samples.length && samples[start]!.ts <= newest - windowMs) start++;
  return start === 0 ? samples : samples.slice(start);
}

export class LiveMetricsStore {
  #samples: readonly MetricSample[] = [];
  readonly #listeners = new Set<() => void>();

  constructor(
    private readonly maxPoints = LIVE_MAX_POINTS,
    private readonly windowMs = LIVE_WINDOW_MS,
  ) {}

  /** Adds one pushed sample (the common case: newer than everything, appended in place order). */
  append(sample: MetricSample): void {
    const last = this.#samples[this.#samples.length - 1];
    if (last === undefined || sample.ts > last.ts) this.#set(trim([...this.#samples, sample], this.maxPoints, this.windowMs));
    else this.#set(mergeSamples(this.#samples, [sample], this.maxPoints, this.windowMs));
  }

  /** Merges history fetched at start; samples pushed meanwhile win over history with the same ts. */
  seed(history: readonly MetricSample[]): void {
    this.#set(mergeSamples(history, this.#samples, this.maxPoints, this.windowMs));
  }

  readonly getSnapshot = (): readonly MetricSample[] => this.#samples;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  #set(next: readonly MetricSample[]): void {
    this.#samples = next;
    for (const l of [...this.#listeners]) l();
  }
}
