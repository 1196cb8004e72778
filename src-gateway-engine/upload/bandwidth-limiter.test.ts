import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BandwidthLimiter } from './bandwidth-limiter.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

function tracked(p: Promise<void>): { done: () => boolean } {
  let d = false;
  void p.then(() => (d = true));
  return { done: () => d };
}

describe('BandwidthLimiter (fake clock)', () => {
  it('rate 0 is unlimited', async () => {
    const l = new BandwidthLimiter(0);
    const t = tracked(l.take(10 ** 12));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.done()).toBe(true);
  });

  it('a take waits for its tokens; a take larger than one second of tokens waits for one second and leaves a debt', async () => {
    const l = new BandwidthLimiter(1000);
    const a = tracked(l.take(3000));
    await vi.advanceTimersByTimeAsync(500);
    expect(a.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(600);
    expect(a.done()).toBe(true);
    // 3000 taken with ~1000 available: the next 1000 bytes wait for the debt to be repaid.
    const b = tracked(l.take(1000));
    await vi.advanceTimersByTimeAsync(2000);
    expect(b.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(1500);
    expect(b.done()).toBe(true);
  });

  it('idle time does not bank more than one second of tokens', async () => {
    const l = new BandwidthLimiter(1000);
    await vi.advanceTimersByTimeAsync(60_000);
    const a = tracked(l.take(1000));
    await vi.advanceTimersByTimeAsync(0);
    expect(a.done()).toBe(true);
    const b = tracked(l.take(1000));
    await vi.advanceTimersByTimeAsync(0);
    expect(b.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(1100);
    expect(b.done()).toBe(true);
  });

  it('setRate(0) releases a waiting take; raising the rate speeds it up', async () => {
    const l = new BandwidthLimiter(10);
    const a = tracked(l.take(10_000));
    await vi.advanceTimersByTimeAsync(300);
    expect(a.done()).toBe(false);
    l.setRate(0);
    await vi.advanceTimersByTimeAsync(300);
    expect(a.done()).toBe(true);
    expect(l.bytesPerSecond).toBe(0);
  });
});
