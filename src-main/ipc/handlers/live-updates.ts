/**
 * What main pushes to the console without being asked: each new 1-second metric sample as
 * `metrics.sample`, and the gateway snapshot every few seconds and at once when the engine
 * process changes state. Main asks the engine for new samples once a second (a cheap call on
 * the local socket); consoles never poll. Nothing is asked while no console is watching.
 */
import type { ConsoleDeps, EmitEvent } from './console-deps.js';
import { gatewaySnapshot } from './gateway-handlers.js';

export interface LiveUpdateOptions {
  sampleEveryMs?: number;
  snapshotEveryMs?: number;
  /** False while no console window or browser is connected. */
  isWatched?: () => boolean;
}

/** Start pushing; returns the function that stops it. */
export function startLiveUpdates(deps: ConsoleDeps, emit: EmitEvent, o: LiveUpdateOptions = {}): () => void {
  const isWatched = o.isWatched ?? (() => true);
  let lastSampleTs = Date.now() - 2_000;
  let busy = false;

  const pushSamples = async (): Promise<void> => {
    if (deps.engineProcess.state.state !== 'running') return;
    const samples = await deps.engine('metrics.history', { resolution: 'second', fromMs: lastSampleTs + 1 }, 5_000);
    for (const s of samples) {
      if (s.ts <= lastSampleTs) continue;
      lastSampleTs = s.ts;
      emit('metrics.sample', s);
    }
  };
  const pushSnapshot = async (): Promise<void> => emit('gateway.snapshot', await gatewaySnapshot(deps));

  let ticks = 0;
  const snapshotEvery = Math.max(1, Math.round((o.snapshotEveryMs ?? 2_000) / (o.sampleEveryMs ?? 1_000)));
  const timer = setInterval(() => {
    if (busy || !isWatched()) return;
    busy = true;
    const withSnapshot = ticks++ % snapshotEvery === 0;
    (async () => {
      await pushSamples().catch(() => undefined); // an engine restarting answers nothing; the snapshot says so
      if (withSnapshot) await pushSnapshot().catch(() => undefined);
    })().finally(() => (busy = false));
  }, o.sampleEveryMs ?? 1_000);
  timer.unref();
  const unsubscribe = deps.engineProcess.onStateChange(() => {
    if (isWatched()) void pushSnapshot().catch(() => undefined);
  });
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
