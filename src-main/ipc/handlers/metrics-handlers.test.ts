import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogLine } from '../../../src-gateway-engine/index.js';
import { consoleHarness } from './test/console-harness.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  return p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as { code: string; message: string },
  );
}

describe('metrics.history', () => {
  it("asks for 'second' resolution up to an hour and 'minute' beyond, from now - range", async () => {
    const h = consoleHarness({ engine: { 'metrics.history': () => [] } });
    for (const rangeSeconds of [1, 60, 3_600, 3_601, 86_400, 14 * 86_400]) await h.call('metrics.history', { rangeSeconds });
    expect(h.calls.map((c) => c.params)).toEqual([
      { resolution: 'second', fromMs: NOW - 1_000 },
      { resolution: 'second', fromMs: NOW - 60_000 },
      { resolution: 'second', fromMs: NOW - 3_600_000 },
      { resolution: 'minute', fromMs: NOW - 3_601_000 },
      { resolution: 'minute', fromMs: NOW - 86_400_000 },
      { resolution: 'minute', fromMs: NOW - 14 * 86_400_000 },
    ]);
  });

  it('refuses a missing or out-of-range range, naming rangeSeconds', async () => {
    const h = consoleHarness({ engine: { 'metrics.history': () => [] } });
    for (const req of [{}, { rangeSeconds: 0 }, { rangeSeconds: -5 }, { rangeSeconds: 14 * 86_400 + 1 }, { rangeSeconds: '3600' }, null]) {
      const e = await refusal(h.call('metrics.history', req));
      expect(e.code, JSON.stringify(req)).toBe('INVALID_ARGUMENT');
      if (req !== null) expect(e.message).toContain('rangeSeconds');
    }
    expect(h.calls).toEqual([]);
  });
});

describe('logs.recent', () => {
  const line = (seq: number, msg: string, fields: Record<string, unknown> = {}, level: LogLine['level'] = 'info'): LogLine => ({ seq, ts: NOW + seq, level, msg, fields });
  const LINES: LogLine[] = [
    line(1, 'engine started', { version: '0.1.0' }),
    line(2, 'Upload FAILED for vol1', { volume: 'vol1', error: 'timeout' }, 'warn'),
    line(3, 'client connected', { volume: 'Finance', address: '10.0.0.7:5000' }),
    line(4, 'upload retried', { volume: 'vol2' }),
    line(5, 'nothing to see', { note: 'UPLOAD queue empty' }),
    line(6, 'cache full', {}),
  ];

  it('without a search passes level, limit (default 500) and afterSeq to the engine and answers its lines', async () => {
    const h = consoleHarness({ engine: { 'logs.recent': () => LINES } });
    expect(await h.call('logs.recent', {})).toEqual(LINES);
    await h.call('logs.recent', { level: 'warn', limit: 20, afterSeq: 3, other: true });
    expect(h.calls.map((c) => c.params)).toEqual([{ limit: 500 }, { level: 'warn', limit: 20, afterSeq: 3 }]);
  });

  it('with a search, looks through all the engine keeps and filters case-insensitively on message and fields', async () => {
    const h = consoleHarness({ engine: { 'logs.recent': () => LINES } });
    const got = (await h.call('logs.recent', { search: 'UpLoad' })) as LogLine[];
    expect(got.map((l) => l.seq)).toEqual([2, 4, 5]);
    expect(h.calls[0]!.params).toEqual({ limit: 1_000 });
    expect(((await h.call('logs.recent', { search: 'finance' })) as LogLine[]).map((l) => l.seq)).toEqual([3]);
    expect(((await h.call('logs.recent', { search: '10.0.0.7' })) as LogLine[]).map((l) => l.seq)).toEqual([3]);
    expect(await h.call('logs.recent', { search: 'no such text' })).toEqual([]);
  });

  it('with a search, keeps the newest `limit` matches, oldest first', async () => {
    const h = consoleHarness({ engine: { 'logs.recent': () => LINES } });
    expect(((await h.call('logs.recent', { search: 'upload', limit: 2 })) as LogLine[]).map((l) => l.seq)).toEqual([4, 5]);
    expect(((await h.call('logs.recent', { search: 'upload', limit: 1 })) as LogLine[]).map((l) => l.seq)).toEqual([5]);
  });

  it('passes level and afterSeq along with a search', async () => {
    const h = consoleHarness({ engine: { 'logs.recent': () => [] } });
    await h.call('logs.recent', { search: 'x', level: 'error', afterSeq: 9, limit: 3 });
    expect(h.calls[0]!.params).toEqual({ level: 'error', limit: 1_000, afterSeq: 9 });
  });

  it('refuses a bad level, limit, afterSeq or search, naming the field', async () => {
    const h = consoleHarness({ engine: { 'logs.recent': () => [] } });
    const cases: Array<[unknown, string]> = [
      [{ level: 'trace' }, 'level'],
      [{ level: 3 }, 'level'],
      [{ limit: 0 }, 'limit'],
      [{ limit: 1_001 }, 'limit'],
      [{ limit: '10' }, 'limit'],
      [{ afterSeq: -1 }, 'afterSeq'],
      [{ search: 'x'.repeat(257) }, 'search'],
      [{ search: 5 }, 'search'],
    ];
    for (const [req, field] of cases) {
      const e = await refusal(h.call('logs.recent', req));
      expect(e.code, JSON.stringify(req)).toBe('INVALID_ARGUMENT');
      expect(e.message, JSON.stringify(req)).toContain(field);
    }
    expect(h.calls).toEqual([]);
  });
});
