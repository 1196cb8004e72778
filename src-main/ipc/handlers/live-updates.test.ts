import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineStatus, MetricSample } from '../../../src-gateway-engine/index.js';
import type { GatewaySnapshot } from '../ipc-contract.js';
import { startLiveUpdates } from './live-updates.js';
import { consoleHarness, type Harness } from './test/console-harness.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const STATUS = { gatewayId: 'gw-1' } as EngineStatus;
const sample = (ts: number): MetricSample => ({ ts, intervalMs: 1_000, readOpsPerSec: ts % 97 }) as MetricSample;

let stops: Array<() => void>;
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
  stops = [];
});
afterEach(() => {
  for (const s of stops) s();
  vi.useRealTimers();
});

/**
 * An engine whose 1-second ring gains one sample per `sampleEveryMs`; it answers the last
 * three samples whatever `fromMs` says, so consecutive answers overlap.
 */
function liveHarness(): { h: Harness; ring: MetricSample[] } {
  const ring: MetricSample[] = [sample(T0 - 3_000), sample(T0 - 2_000), sample(T0 - 1_000)];
  const h = consoleHarness({ engine: { 'metrics.history': () => ring.slice(-3), status: () => STATUS } });
  return { h, ring };
}

function start(h: Harness, o: Parameters<typeof startLiveUpdates>[2]): () => void {
  const stop = startLiveUpdates(h.deps, (event, payload) => h.events.push({ event, payload: structuredClone(payload) }), o);
  stops.push(stop);
  return stop;
}

const samplesOf = (h: Harness): number[] => h.events.filter((e) => e.event === 'metrics.sample').map((e) => (e.payload as MetricSample).ts);
const snapshotsOf = (h: Harness): GatewaySnapshot[] => h.events.filter((e) => e.event === 'gateway.snapshot').map((e) => e.payload as GatewaySnapshot);

describe('startLiveUpdates', () => {
  it('emits each new sample exactly once, in order, though the engine answers overlapping windows', async () => {
    const { h, ring } = liveHarness();
    start(h, { sampleEveryMs: 100, snapshotEveryMs: 100_000 });
    await vi.advanceTimersByTimeAsync(100);
    // Samples older than 2 s before start are not news.
    expect(samplesOf(h)).toEqual([T0 - 1_000]);
    for (let i = 0; i < 5; i++) {
      ring.push(sample(T0 + i * 1_000));
      await vi.advanceTimersByTimeAsync(100);
      await vi.advanceTimersByTimeAsync(100); // a tick with nothing new
    }
    expect(samplesOf(h)).toEqual([T0 - 1_000, T0, T0 + 1_000, T0 + 2_000, T0 + 3_000, T0 + 4_000]);
    // It asks only for what is newer than the last sample it emitted.
    const lastCall = h.calls.filter((c) => c.method === 'metrics.history').at(-1)!;
    expect(lastCall.params).toEqual({ resolution: 'second', fromMs: T0 + 4_001 });
  });

  it('emits a snapshot on the first tick and every snapshotEveryMs', async () => {
    const { h } = liveHarness();
    start(h, { sampleEveryMs: 100, snapshotEveryMs: 300 });
    await vi.advanceTimersByTimeAsync(100);
    expect(snapshotsOf(h)).toHaveLength(1);
    expect(snapshotsOf(h)[0]).toEqual({ engine: h.engineProcess.state, status: STATUS });
    await vi.advanceTimersByTimeAsync(200);
    expect(snapshotsOf(h)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(snapshotsOf(h)).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(600);
    expect(snapshotsOf(h)).toHaveLength(4);
  });

  it('pushes a snapshot at once when the engine process changes state', async () => {
    const { h } = liveHarness();
    start(h, { sampleEveryMs: 10_000, snapshotEveryMs: 10_000 });
    h.engineProcess.set({ state: 'restarting', pid: null, restarts: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(snapshotsOf(h)).toEqual([{ engine: expect.objectContaining({ state: 'restarting', restarts: 1 }), status: null }]);
    expect(h.calls).toEqual([]); // not running: the status is not asked
  });

  it('while the engine is not running asks for no samples but still sends snapshots', async () => {
    const { h } = liveHarness();
    h.engineProcess.set({ state: 'starting', pid: null });
    start(h, { sampleEveryMs: 100, snapshotEveryMs: 100 });
    await vi.advanceTimersByTimeAsync(300);
    expect(h.calls).toEqual([]);
    expect(snapshotsOf(h)).toHaveLength(3);
    expect(snapshotsOf(h).every((s) => s.status === null && s.engine.state === 'starting')).toBe(true);
  });

  it('keeps going when the engine fails to answer', async () => {
    const { h, ring } = liveHarness();
    let fail = true;
    h.script['metrics.history'] = () => {
      if (fail) throw new Error('ECONNREFUSED');
      return ring.slice(-3);
    };
    start(h, { sampleEveryMs: 100, snapshotEveryMs: 100 });
    await vi.advanceTimersByTimeAsync(200);
    expect(samplesOf(h)).toEqual([]);
    expect(snapshotsOf(h)).toHaveLength(2);
    fail = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(samplesOf(h)).toEqual([T0 - 1_000]);
  });

  it('does not overlap calls when the engine is slow', async () => {
    const { h, ring } = liveHarness();
    let inFlight = 0;
    let most = 0;
    h.script['metrics.history'] = async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 350));
      inFlight--;
      return ring.slice(-3);
    };
    start(h, { sampleEveryMs: 100, snapshotEveryMs: 100_000 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(most).toBe(1);
    expect(samplesOf(h)).toEqual([T0 - 1_000]);
  });

  it('does nothing while nobody is watching', async () => {
    const { h, ring } = liveHarness();
    let watched = false;
    start(h, { sampleEveryMs: 100, snapshotEveryMs: 100, isWatched: () => watched });
    await vi.advanceTimersByTimeAsync(1_000);
    h.engineProcess.set({ state: 'restarting' });
    h.engineProcess.set({ state: 'running' });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.calls).toEqual([]);
    expect(h.events).toEqual([]);
    watched = true;
    ring.push(sample(T0 + 1_500));
    await vi.advanceTimersByTimeAsync(100);
    expect(samplesOf(h).length).toBeGreaterThan(0);
    expect(snapshotsOf(h)).toHaveLength(1);
  });

  it('stops cleanly: no more calls, events or state listeners', async () => {
    const { h, ring } = liveHarness();
    const stop = start(h, { sampleEveryMs: 100, snapshotEveryMs: 100 });
    await vi.advanceTimersByTimeAsync(100);
    expect(h.engineProcess.listeners.size).toBe(1);
    stop();
    expect(h.engineProcess.listeners.size).toBe(0);
    const calls = h.calls.length;
    const events = h.events.length;
    ring.push(sample(T0 + 5_000));
    h.engineProcess.set({ state: 'restarting' });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.calls).toHaveLength(calls);
    expect(h.events).toHaveLength(events);
  });
});
