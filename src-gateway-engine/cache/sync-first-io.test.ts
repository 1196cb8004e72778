import { describe, expect, it } from 'vitest';
import { SyncFirstGate } from './sync-first-io.js';

/** A gate on a hand-driven clock; `slowBy` makes the next synchronous I/O "take" that long. */
function gateWith(options: ConstructorParameters<typeof SyncFirstGate>[0] = {}) {
  let t = 0;
  const gate = new SyncFirstGate({ slowMicros: 100, backoffMs: 50, maxBackoffMs: 200, microsPerKiB: 0, ...options, now: () => t });
  const calls: string[] = [];
  const io = (bytes: number, takesMs = 0) =>
    gate.run(
      bytes,
      () => {
        calls.push('sync');
        t += takesMs;
        return bytes;
      },
      async () => {
        calls.push('async');
        return bytes;
      },
    );
  return { gate, calls, io, advance: (ms: number) => (t += ms) };
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe('SyncFirstGate', () => {
  it('does small I/O synchronously and large I/O through the fallback', async () => {
    const { calls, io, gate } = gateWith({ maxSyncBytes: 8192 });
    expect(await io(4096)).toBe(4096);
    expect(await io(8192)).toBe(8192);
    expect(await io(8193)).toBe(8193);
    expect(calls).toEqual(['sync', 'sync', 'async']);
    expect(gate.stats).toMatchObject({ syncOps: 2, asyncOps: 1, trips: 0 });
  });

  it('backs off to the fallback after a slow synchronous I/O, probes again later, and doubles the back-off while probes stay slow', async () => {
    const { calls, io, advance, gate } = gateWith({ slowInRowToTrip: 1 });
    await io(4096, 0.5); // 500 µs: slow → back off 50 ms
    await io(4096);
    expect(calls).toEqual(['sync', 'async']);
    advance(50);
    await io(4096, 0.5); // slow probe → back off 100 ms
    advance(60);
    await io(4096);
    expect(calls.slice(2)).toEqual(['sync', 'async']);
    advance(40);
    await io(4096); // fast probe → synchronous again, back-off reset
    await io(4096);
    expect(calls.slice(4)).toEqual(['sync', 'sync']);
    await io(4096, 0.5);
    advance(49);
    await io(4096);
    advance(1);
    await io(4096);
    expect(calls.slice(6)).toEqual(['sync', 'async', 'sync']);
    expect(gate.stats.trips).toBe(3);
  });

  it('by default backs off only after two slow synchronous I/Os in a row (one alone may be a preempted thread)', async () => {
    const { calls, io, advance, gate } = gateWith();
    await io(4096, 0.5);
    await io(4096); // fast: the slow one was a one-off
    await io(4096, 0.5);
    await io(4096);
    expect(calls).toEqual(['sync', 'sync', 'sync', 'sync']);
    expect(gate.stats.trips).toBe(0);
    await io(4096, 0.5);
    await io(4096, 0.5); // two in a row → back off 50 ms
    await io(4096);
    expect(calls.slice(4)).toEqual(['sync', 'sync', 'async']);
    expect(gate.stats.trips).toBe(1);
    advance(50);
    await io(4096, 0.5); // a slow probe alone: one more synchronous try
    await io(4096, 0.5); // slow again → back off 100 ms
    await io(4096);
    advance(99);
    await io(4096);
    expect(calls.slice(7)).toEqual(['sync', 'sync', 'async', 'async']);
    advance(1);
    await io(4096);
    expect(calls[11]).toBe('sync');
    expect(gate.stats.trips).toBe(2);
  });

  it('turns a synchronous error into a rejection', async () => {
    const gate = new SyncFirstGate();
    const boom = Object.assign(new Error('EIO'), { code: 'EIO' });
    await expect(gate.run(4096, () => { throw boom; }, async () => 0)).rejects.toBe(boom);
  });

  it('lets at most maxBurst synchronous I/Os run per event-loop turn', async () => {
    const { calls, io } = gateWith({ maxBurst: 3 });
    for (let i = 0; i < 5; i++) await io(4096);
    expect(calls).toEqual(['sync', 'sync', 'sync', 'async', 'async']);
    await nextTurn();
    await io(4096);
    expect(calls[5]).toBe('sync');
  });
});
