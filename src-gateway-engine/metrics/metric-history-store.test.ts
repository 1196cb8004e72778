import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricSample } from '../runtime/engine-commands.js';
import { CoreTempDirs } from '../test/support/core-temp-dirs.js';
import { decodeSample, MetricHistoryStore, utcDay } from './metric-history-store.js';
import { METRIC_SAMPLE_FIELDS } from './metric-sample-ring.js';

const dirs = new CoreTempDirs('metric-store');
afterAll(() => dirs.cleanup());

const DAY = 86_400_000;
const NOW = Date.parse('2026-01-20T12:00:00Z');

function minute(ts: number, v = 1): MetricSample {
  const s = {} as Record<keyof MetricSample, number>;
  for (const f of METRIC_SAMPLE_FIELDS) s[f] = v;
  s.ts = ts;
  s.intervalMs = 60_000;
  return s as MetricSample;
}

describe('MetricHistoryStore', () => {
  it('appends one line per minute into the file of the UTC day the minute starts in, and reads a range back', async () => {
    const dir = await dirs.make();
    const store = new MetricHistoryStore(dir, { now: () => NOW });
    await store.open();
    const midnight = Date.parse('2026-01-20T00:00:00Z');
    for (const ts of [midnight - 60_000, midnight, midnight + 60_000, midnight + 120_000]) await store.append(minute(ts, ts / 1e9));
    expect((await readdir(dir)).sort()).toEqual(['2026-01-19.jsonl', '2026-01-20.jsonl']);
    expect((await readFile(join(dir, '2026-01-19.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(2); // ts 23:59 and 00:00
    expect((await store.read(midnight, midnight + 60_000)).map((s) => s.ts)).toEqual([midnight, midnight + 60_000]);
    expect((await store.read(0, NOW)).map((s) => s.ts)).toEqual([midnight - 60_000, midnight, midnight + 60_000, midnight + 120_000]);
    // Values keep six significant digits.
    expect((await store.read(0, NOW))[0]!.readOpsPerSec).toBe(Number(((midnight - 60_000) / 1e9).toPrecision(6)));
  });

  it('skips a torn last line (killed process) and starts the next append on a fresh line', async () => {
    const dir = await dirs.make();
    const store = new MetricHistoryStore(dir, { now: () => NOW });
    await store.open();
    await store.append(minute(NOW - 120_000));
    const path = join(dir, `${utcDay(NOW)}.jsonl`);
    await appendFile(path, '{"ts":17685,"intervalMs":600'); // the write a SIGKILL cut short
    const reopened = new MetricHistoryStore(dir, { now: () => NOW });
    await reopened.open();
    expect((await reopened.read(0, NOW)).map((s) => s.ts)).toEqual([NOW - 120_000]);
    await reopened.append(minute(NOW - 60_000));
    expect((await reopened.read(0, NOW)).map((s) => s.ts)).toEqual([NOW - 120_000, NOW - 60_000]);
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(4); // good, torn, good, ""
  });

  it('skips garbage and foreign lines, never throws for them', async () => {
    const dir = await dirs.make();
    await writeFile(join(dir, `${utcDay(NOW)}.jsonl`), ['not json', '[]', '{"ts":"x"}', JSON.stringify(minute(NOW - 60_000)), '\u0000\u0000', ''].join('\n'));
    const store = new MetricHistoryStore(dir, { now: () => NOW });
    await store.open();
    expect((await store.read(0, NOW)).map((s) => s.ts)).toEqual([NOW - 60_000]);
    expect(decodeSample('{"ts":1}')).toBeUndefined();
  });

  it('keeps 14 days: older files go at open and when the day changes', async () => {
    const dir = await dirs.make();
    for (let d = 0; d < 16; d++) await writeFile(join(dir, `${utcDay(NOW - d * DAY)}.jsonl`), `${JSON.stringify(minute(NOW - d * DAY))}\n`);
    await writeFile(join(dir, 'notes.txt'), 'kept');
    let now = NOW;
    const store = new MetricHistoryStore(dir, { now: () => now });
    await store.open();
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(15);
    expect(files[0]).toBe(`${utcDay(NOW - 13 * DAY)}.jsonl`);
    expect(files).toContain('notes.txt');
    now = NOW + DAY;
    await store.append(minute(now));
    expect((await readdir(dir)).sort()[0]).toBe(`${utcDay(NOW - 12 * DAY)}.jsonl`);
  });

  it('a failed append is reported, not thrown, and later appends go on', async () => {
    const dir = await dirs.make();
    const warnings: string[] = [];
    const store = new MetricHistoryStore(join(dir, 'gone'), { now: () => NOW, onWarning: (m) => warnings.push(m) });
    await store.append(minute(NOW));
    expect(warnings).toEqual(['metric history: a minute could not be stored']);
    await store.open();
    await store.append(minute(NOW));
    expect(await store.read(0, NOW + 1)).toHaveLength(1);
  });
});
