import { describe, expect, it } from 'vitest';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { LogRing, createLogger, teeLogger } from '../log/index.js';
import type { EngineStatus, VolumeInfo } from '../runtime/engine-commands.js';
import { IoWaitMeter } from './io-wait-meter.js';
import { StatusReporter, errorCodeOf } from './status-reporter.js';

function engineStatus(volumes: Partial<VolumeInfo>[] = []): EngineStatus {
  return {
    version: '1.2.3',
    cache: { capacityBytes: 100, usedBytes: 50, CacheHitPercent: 90, CachePercentUsed: 50, CachePercentDirty: 10 },
    uploadBuffer: { capacityBytes: 200, usedBytes: 20, UploadBufferPercentUsed: 10, QueuedWrites: 4096, WritesWaitingForBuffer: 0, bandwidthBytesPerSec: 0 },
    volumes: volumes.map((v) => ({
      name: 'vol1',
      state: 'available',
      error: null,
      metrics: { TimeSinceLastRecoveryPoint: 7, QueuedWrites: 4096, UploadBufferPercentUsed: 10, ReadBytes: 1, WriteBytes: 2, ReadOps: 3, WriteOps: 4 },
      ...v,
    })),
  } as unknown as EngineStatus;
}

describe('StatusReporter', () => {
  it('builds a sample from the engine status, io wait and new error lines', () => {
    const ring = new LogRing(100);
    const log = teeLogger(createLogger({ sink: { write: () => undefined } }), ring, 'info');
    let t = 1_767_225_600_000;
    const texts = ['cpu  100 0 0 100 0 0 0 0 0 0\n', 'cpu  100 0 0 150 50 0 0 0 0 0\n'];
    let i = 0;
    const r = new StatusReporter({
      status: () => engineStatus([{ name: 'vol1', state: 'degraded', error: 'uploads failing' }]),
      ring,
      ioWait: new IoWaitMeter({ read: () => texts[Math.min(i++, 1)] }),
      now: () => t,
    });
    log.error('volume could not be opened', { volume: 'v', error: new TidegateError(ErrorCode.VolumeOwned, 'owned by gw-2') });
    log.warn('not an error');
    log.error('plain', { code: 'STORE_UNAVAILABLE' });
    const s = r.sample();
    expect(s.at).toBe('2026-01-01T00:00:00.000Z');
    expect(s.version).toBe('1.2.3');
    expect(s.IoWaitPercent).toBe(50);
    expect(s.cache.CachePercentDirty).toBe(10);
    expect(s.uploadBuffer.QueuedWrites).toBe(4096);
    expect(s.volumes).toEqual([
      { name: 'vol1', state: 'degraded', error: 'uploads failing', TimeSinceLastRecoveryPoint: 7, QueuedWrites: 4096, UploadBufferPercentUsed: 10, ReadBytes: 1, WriteBytes: 2, ReadOps: 3, WriteOps: 4 },
    ]);
    expect(s.errors).toHaveLength(2);
    expect(s.errors[0]).toMatchObject({ code: 'VOLUME_OWNED', message: 'volume could not be opened: owned by gw-2' });
    expect(s.errors[1]).toMatchObject({ code: 'STORE_UNAVAILABLE', message: 'plain' });
    // The next sample carries only lines logged since.
    t += 10_000;
    expect(r.sample().errors).toEqual([]);
    log.error('again');
    expect(r.sample().errors).toEqual([{ at: expect.any(String), code: null, message: 'again' }]);
  });

  it('sends at most 20 error lines, the newest', () => {
    const ring = new LogRing(100);
    for (let i = 0; i < 30; i++) ring.push({ ts: i, level: 'error', msg: `e${i}`, fields: {} });
    const s = new StatusReporter({ status: () => engineStatus(), ring, ioWait: new IoWaitMeter({ read: () => undefined }) }).sample();
    expect(s.errors.map((e) => e.message)).toEqual(Array.from({ length: 20 }, (_, i) => `e${i + 10}`));
  });

  it('finds the code in error.code, err.code or code', () => {
    expect(errorCodeOf({ error: { code: 'A' } })).toBe('A');
    expect(errorCodeOf({ err: { code: 'B' } })).toBe('B');
    expect(errorCodeOf({ code: 'C' })).toBe('C');
    expect(errorCodeOf({ error: 'text' })).toBeNull();
    expect(errorCodeOf({})).toBeNull();
  });
});
