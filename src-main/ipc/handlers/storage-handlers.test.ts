import { describe, expect, it } from 'vitest';
import { consoleHarness } from './test/console-harness.js';

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  return p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as { code: string; message: string },
  );
}

const answer = (p: unknown) => ({ echoed: p }) as never;

describe('storage.configure', () => {
  it('passes only the capacities given', async () => {
    const h = consoleHarness({ engine: { 'storage.configure': answer } });
    await h.call('storage.configure', { cacheBytes: 1 << 30, uploadBufferBytes: 1 << 29, path: '/etc' });
    await h.call('storage.configure', { cacheBytes: 4096 });
    await h.call('storage.configure', {});
    expect(h.calls.map((c) => c.params)).toEqual([{ cacheBytes: 1 << 30, uploadBufferBytes: 1 << 29 }, { cacheBytes: 4096 }, {}]);
  });

  it('refuses capacities that are not positive numbers, naming the field', async () => {
    const h = consoleHarness({ engine: { 'storage.configure': answer } });
    for (const [req, field] of [
      [{ cacheBytes: 0 }, 'cacheBytes'],
      [{ cacheBytes: '1GiB' }, 'cacheBytes'],
      [{ uploadBufferBytes: -1 }, 'uploadBufferBytes'],
      [{ uploadBufferBytes: Number.NaN }, 'uploadBufferBytes'],
    ] as const) {
      expect(await refusal(h.call('storage.configure', req))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(field) });
    }
    expect(h.calls).toEqual([]);
  });
});

describe('bandwidth.configure', () => {
  it('passes the limit and the schedule windows with only their known fields', async () => {
    const h = consoleHarness({ engine: { 'bandwidth.configure': answer } });
    await h.call('bandwidth.configure', {
      bytesPerSec: 0,
      schedule: [{ days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', bytesPerSec: 1_000_000, comment: 'office hours' }],
      timezone: 'UTC',
    });
    await h.call('bandwidth.configure', { schedule: [] });
    expect(h.calls.map((c) => c.params)).toEqual([
      { bytesPerSec: 0, schedule: [{ days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', bytesPerSec: 1_000_000 }] },
      { schedule: [] },
    ]);
  });

  it('refuses a schedule that is not a list of at most 200 windows, or a window that is not an object', async () => {
    const h = consoleHarness({ engine: { 'bandwidth.configure': answer } });
    const window = { days: [0], start: '00:00', end: '01:00', bytesPerSec: 1 };
    expect(await refusal(h.call('bandwidth.configure', { schedule: 'weekdays' }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('schedule') });
    expect(await refusal(h.call('bandwidth.configure', { schedule: Array.from({ length: 201 }, () => window) }))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await refusal(h.call('bandwidth.configure', { schedule: [window, null] }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('schedule[1]') });
    expect(await refusal(h.call('bandwidth.configure', { bytesPerSec: -1 }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('bytesPerSec') });
    expect(h.calls).toEqual([]);
    await h.call('bandwidth.configure', { schedule: Array.from({ length: 200 }, () => window) });
    expect(h.calls).toHaveLength(1);
  });
});
