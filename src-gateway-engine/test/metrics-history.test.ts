/**
 * `metrics.history` on a real engine: the sampler runs every second, its samples carry the
 * gateway's I/O rates and levels and the upload limit in force; minutes come from disk.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { CoreTempDirs } from './support/core-temp-dirs.js';
import { InProcessEngines, testEngineInput } from './support/in-process-engine.js';

const MiB = 1024 * 1024;
const dirs = new CoreTempDirs('metrics-history');
const engines = new InProcessEngines();
afterEach(() => engines.closeAll());
afterAll(() => dirs.cleanup());

describe('metrics.history', () => {
  it('serves a second-by-second history of the whole gateway', async () => {
    const e = await engines.start(testEngineInput(await dirs.make(), { upload: { bandwidthBytesPerSec: '4MiB' } }));
    await e.commands['volume.create']({ name: 'a', sizeBytes: 64 * MiB, mode: 'cached' });
    await e.commands['volume.create']({ name: 'b', sizeBytes: 64 * MiB, mode: 'cached' });
    const started = Date.now();
    // Keep both volumes busy for a bit more than two sampling periods.
    while (Date.now() - started < 2_500) {
      await e.device('a').write(0, Buffer.alloc(64 * 1024, 1));
      await e.device('b').read(0, 64 * 1024);
    }
    let samples = await e.commands['metrics.history']({ resolution: 'second', fromMs: started });
    while (samples.length < 2 && Date.now() - started < 10_000) {
      await new Promise((r) => setTimeout(r, 100));
      samples = await e.commands['metrics.history']({ resolution: 'second', fromMs: started });
    }
    expect(samples.length).toBeGreaterThanOrEqual(2);
    const busy = samples.find((s) => s.writeOpsPerSec > 0 && s.readOpsPerSec > 0);
    expect(busy).toBeDefined();
    expect(busy!.intervalMs).toBeGreaterThan(500);
    // Bytes are counted as writes start, ops as they complete: equal up to the ops in flight.
    expect(Math.abs(busy!.writeBytesPerSec - busy!.writeOpsPerSec * 64 * 1024)).toBeLessThanOrEqual(2 * 64 * 1024 * (1000 / busy!.intervalMs));
    expect(busy!.writeLatencyMs).toBeGreaterThan(0);
    expect(busy!.uploadLimitBytesPerSec).toBe(4 * MiB);
    for (const s of samples) expect(s.ts).toBeGreaterThanOrEqual(started);
    expect(samples.map((s) => s.ts)).toEqual([...samples.map((s) => s.ts)].sort((x, y) => x - y));
    // No minute has ended in a fresh data dir… unless the test straddled a minute boundary.
    const minutes = await e.commands['metrics.history']({ resolution: 'minute' });
    expect(minutes.every((m) => m.intervalMs === 60_000)).toBe(true);
    await expect(e.commands['metrics.history']({ resolution: 'hour' } as never)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });
});
