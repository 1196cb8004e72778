import { describe, expect, it } from 'vitest';
import { ForegroundLoad } from './foreground-load.js';

/** A meter over counters the test moves by hand; 100 ms windows, busy at 1,000 ops/s or 10 MB/s. */
function rig() {
  const totals = { ops: 0, bytes: 0 };
  const load = new ForegroundLoad(() => ({ ...totals }), { windowMs: 100, busyOpsPerSec: 1000, busyBytesPerSec: 10_000_000 });
  return { totals, load };
}

describe('ForegroundLoad', () => {
  it('is not busy at its first look (no window yet), nor over a quiet window', () => {
    const { totals, load } = rig();
    expect(load.busy(0)).toBe(false);
    totals.ops += 50; // 500 ops/s over the window below
    expect(load.busy(100)).toBe(false);
  });

  it('judges a finished window by its operations or its bytes per second', () => {
    const { totals, load } = rig();
    load.busy(0);
    totals.ops += 100; // 1,000 ops/s
    expect(load.busy(100)).toBe(true);
    totals.bytes += 500_000; // 5 MB/s, 0 ops
    expect(load.busy(200)).toBe(false);
    totals.bytes += 1_000_000; // 10 MB/s
    expect(load.busy(300)).toBe(true);
  });

  it('sees a burst before its window ends, once it has carried a whole window\'s worth', () => {
    const { totals, load } = rig();
    load.busy(0);
    totals.ops += 60;
    expect(load.busy(20)).toBe(false); // 60 of the 100 a window needs
    totals.ops += 40;
    expect(load.busy(30)).toBe(true);
  });

  it('stays busy until a whole quiet window has passed', () => {
    const { totals, load } = rig();
    load.busy(0);
    totals.ops += 500;
    expect(load.busy(100)).toBe(true);
    expect(load.busy(150)).toBe(true); // mid-window: the last window was busy
    expect(load.busy(200)).toBe(false);
  });

  it('averages a long look-free spell over all of it: a little I/O after an hour is not a burst', () => {
    const { totals, load } = rig();
    load.busy(0);
    totals.ops += 10_000; // 10,000 operations over an hour
    expect(load.busy(3_600_000)).toBe(false);
  });
});
