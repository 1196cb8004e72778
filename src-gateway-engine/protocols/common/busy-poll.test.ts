import { createServer, connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BusyPoll, type BusyPollOptions } from './busy-poll.js';

/** A poller on a hand-driven clock and event loop: `turn()` runs what was scheduled for the next turn. */
function rig(options: Partial<BusyPollOptions> = {}) {
  let t = 1000;
  let queue: (() => void)[] = [];
  const poll = new BusyPoll({ budgetMicros: 50, now: () => t, nextTurn: (fn) => void queue.push(fn), ...options });
  return {
    poll,
    advance(us: number) {
      t += us / 1000;
    },
    /** Run one turn; returns how many callbacks ran. */
    turn(): number {
      const q = queue;
      queue = [];
      for (const fn of q) fn();
      return q.length;
    },
    /** Turns until nothing is scheduled, `stepUs` apart. */
    drain(stepUs = 10): number {
      let turns = 0;
      while (this.turn() > 0) {
        turns++;
        this.advance(stepUs);
      }
      return turns;
    },
  };
}

describe('BusyPoll', () => {
  it('keeps the loop turning for the budget after a reply, and a request inside it is a hit', () => {
    const r = rig();
    r.poll.replied(0);
    expect(r.poll.active).toBe(true);
    r.advance(30);
    expect(r.turn()).toBe(1); // still inside 50 µs: polls on
    r.poll.received();
    expect(r.poll.stats).toMatchObject({ hits: 1, misses: 0 });
    r.advance(30);
    expect(r.turn()).toBe(1); // the window ends: not a miss, a request is being served
    expect(r.poll.active).toBe(false);
    expect(r.turn()).toBe(0);
    expect(r.poll.stats).toMatchObject({ hits: 1, misses: 0 });
    expect(r.poll.stats.pollingMs).toBeCloseTo(0.06, 6);
  });

  it('counts a window with no request since the last reply as a miss, and only the first request after a reply as a hit', () => {
    const r = rig();
    r.poll.replied(0);
    r.drain();
    expect(r.poll.stats).toMatchObject({ hits: 0, misses: 1 });
    r.poll.received(); // arrives while asleep: no hit
    r.poll.replied(0);
    r.advance(10);
    r.poll.received();
    r.poll.received();
    r.poll.received();
    r.drain();
    expect(r.poll.stats).toMatchObject({ hits: 1, misses: 1 });
  });

  it('opens no window while replies still wait in the socket\'s buffer, and then leaves the last request heard', () => {
    const r = rig();
    r.poll.replied(0);
    r.poll.received(); // a hit: the request is being served
    r.poll.replied(65536); // its large reply did not all reach the kernel: the window is not extended
    r.advance(60);
    expect(r.turn()).toBe(1);
    expect(r.poll.active).toBe(false);
    expect(r.poll.stats).toMatchObject({ hits: 1, misses: 0 });
    r.poll.replied(65536);
    expect(r.poll.active).toBe(false);
    expect(r.turn()).toBe(0);
  });

  it('each reply extends the window: a client that keeps answering inside the budget keeps it polling', () => {
    const r = rig();
    for (let i = 0; i < 100; i++) {
      r.poll.replied(0);
      r.advance(40);
      r.turn();
      r.poll.received();
    }
    expect(r.poll.active).toBe(true);
    expect(r.poll.stats).toMatchObject({ hits: 100, misses: 0, pauses: 0 });
  });

  it('pauses after four misses in a row, probes after the pause, doubles it while probes miss, and a hit ends it', () => {
    const r = rig();
    const missOnce = () => {
      r.poll.replied(0);
      r.drain();
    };
    for (let i = 0; i < 4; i++) missOnce();
    expect(r.poll.stats).toMatchObject({ misses: 4, pauses: 1 });
    // Paused for 10 ms: replies start no window.
    r.poll.replied(0);
    expect(r.poll.active).toBe(false);
    r.advance(9_000);
    r.poll.replied(0);
    expect(r.poll.active).toBe(false);
    // After the pause one probe; it misses again: 20 ms now.
    r.advance(1_100);
    missOnce();
    expect(r.poll.stats).toMatchObject({ misses: 5, pauses: 2 });
    r.advance(15_000);
    r.poll.replied(0);
    expect(r.poll.active).toBe(false);
    r.advance(5_100);
    // This probe hits: polling resumes for every reply, and the pause is back to 10 ms.
    r.poll.replied(0);
    expect(r.poll.active).toBe(true);
    r.poll.received();
    r.drain();
    for (let i = 0; i < 3; i++) missOnce();
    expect(r.poll.stats.pauses).toBe(2); // three misses since the hit: not yet
    missOnce();
    expect(r.poll.stats.pauses).toBe(3);
    r.advance(10_100);
    r.poll.replied(0);
    expect(r.poll.active).toBe(true);
  });

  it('the pause stops doubling at its maximum', () => {
    const r = rig({ maxPauseMs: 40 });
    const pausedFor = (): number => {
      r.poll.replied(0);
      r.drain(); // the probe misses
      let ms = 0;
      for (;;) {
        r.poll.replied(0);
        if (r.poll.active) return ms;
        r.advance(1000);
        ms++;
      }
    };
    for (let i = 0; i < 3; i++) {
      r.poll.replied(0);
      r.drain();
    }
    expect([pausedFor(), pausedFor(), pausedFor(), pausedFor()]).toEqual([10, 20, 40, 40]);
  });

  it('a budget of 0 never polls; stop() ends the window at the next turn and starts no other', () => {
    const off = rig({ budgetMicros: 0 });
    off.poll.replied(0);
    expect(off.poll.active).toBe(false);
    expect(off.turn()).toBe(0);

    const r = rig();
    r.poll.replied(0);
    r.poll.stop();
    r.turn();
    expect(r.poll.active).toBe(false);
    r.poll.replied(0);
    expect(r.poll.active).toBe(false);
    expect(r.turn()).toBe(0);
  });

  it('rejects a negative or non-finite budget', () => {
    expect(() => new BusyPoll({ budgetMicros: -1 })).toThrow(/budgetMicros must be ≥ 0, got -1/);
    expect(() => new BusyPoll({ budgetMicros: Number.NaN })).toThrow(/budgetMicros/);
  });

  it('on the real event loop: the loop keeps turning while a loopback client answers inside the budget, and goes idle after', async () => {
    // A generous budget (20 ms) so a loaded test machine still answers inside it.
    let turns = 0;
    const poll = new BusyPoll({
      budgetMicros: 20_000,
      nextTurn: (fn) => {
        turns++;
        setImmediate(fn);
      },
    });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(port, '127.0.0.1');
    const serverSide = await accepted;
    // The client answers every byte at once; the server side replies to each answer 50 times.
    client.on('data', (d) => client.write(d));
    let rounds = 0;
    const done = new Promise<void>((resolve) => {
      serverSide.on('data', () => {
        poll.received();
        if (++rounds === 50) return resolve();
        serverSide.write('x');
        poll.replied(serverSide.writableLength);
      });
    });
    serverSide.write('x');
    poll.replied(serverSide.writableLength);
    await done;
    expect(poll.stats.hits).toBeGreaterThanOrEqual(45);
    // The loop turned without sleeping between a reply and its answer (more turns than rounds).
    expect(turns).toBeGreaterThan(50);
    await new Promise((r) => setTimeout(r, 60));
    expect(poll.active).toBe(false);
    const after = turns;
    await new Promise((r) => setTimeout(r, 30));
    expect(turns).toBe(after);
    client.destroy();
    serverSide.destroy();
    await new Promise((r) => server.close(r));
  });
});
