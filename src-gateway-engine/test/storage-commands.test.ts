/**
 * `storage.describe` / `storage.configure` on a real engine: where the cache and the upload
 * buffer live and how full they are, warnings, capacities changed while volumes serve I/O
 * (a cache shrink forgets blocks, an upload-buffer shrink below what is not yet uploaded is
 * refused), and the settings file the engine reapplies at start — unless the config (a
 * `serve` flag) sets the value explicitly.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { CoreTempDirs } from './support/core-temp-dirs.js';
import { holdablePuts, InProcessEngines, testEngineInput } from './support/in-process-engine.js';

const MiB = 1024 * 1024;
const dirs = new CoreTempDirs('storage-commands');
const engines = new InProcessEngines();
afterEach(() => engines.closeAll());
afterAll(() => dirs.cleanup());

describe('storage.describe', () => {
  it('shows both allocations with their folders, capacities, use and filesystem, and the guidance warning', async () => {
    const dir = await dirs.make();
    const e = await engines.start(testEngineInput(dir, { cache: { capacityBytes: '16MiB' }, writeLog: { capacityBytes: '32MiB', segmentBytes: '4MiB' } }));
    await e.commands['volume.create']({ name: 'a', sizeBytes: 64 * MiB, mode: 'cached' });
    await e.commands['volume.create']({ name: 'b', sizeBytes: 64 * MiB, mode: 'cached' });
    await e.device('a').write(0, Buffer.alloc(MiB, 7));
    const s = await e.commands['storage.describe']({});
    expect(s.cache).toMatchObject({ path: join(dir, 'cache'), capacityBytes: 16 * MiB });
    expect(s.uploadBuffer).toMatchObject({ path: join(dir, 'volumes'), capacityBytes: 64 * MiB }); // 2 volumes × 32 MiB
    expect(s.uploadBuffer.usedBytes).toBeGreaterThan(0);
    for (const a of [s.cache, s.uploadBuffer]) {
      expect(a.filesystemBytes).toBeGreaterThan(0);
      expect(a.filesystemFreeBytes).toBeGreaterThan(0);
      expect(a.filesystemFreeBytes).toBeLessThanOrEqual(a.filesystemBytes);
    }
    expect(s.warnings.map((w) => w.code)).toContain('CACHE_BELOW_GUIDANCE');
    const status = await e.commands.status({});
    expect(status.uploadBuffer.capacityBytes).toBe(s.uploadBuffer.capacityBytes);
    expect(status.cache.capacityBytes).toBe(s.cache.capacityBytes);
  });
});

describe('kept write-log files', () => {
  it('an uploaded segment’s file stays for reuse, up to writeLog.keptFilesMaxBytes per volume; 0 keeps none', async () => {
    const kept = async (keptFilesMaxBytes: string) => {
      const dir = await dirs.make();
      const e = await engines.start(testEngineInput(dir, { writeLog: { capacityBytes: '64MiB', segmentBytes: '4MiB', keptFilesMaxBytes } }));
      await e.commands['volume.create']({ name: 'v', sizeBytes: 64 * MiB, mode: 'cached' });
      for (let off = 0; off < 24 * MiB; off += MiB) await e.device('v').write(off, Buffer.alloc(MiB, off / MiB));
      await e.commands['volume.sync']({ name: 'v' });
      const status = await e.commands.status({});
      const described = await e.commands['storage.describe']({});
      expect(described.uploadBuffer.keptBytes).toBe(status.uploadBuffer.keptBytes);
      await engines.closeAll();
      return status.uploadBuffer.keptBytes;
    };
    const bounded = await kept('8MiB');
    expect(bounded).toBeGreaterThan(4 * MiB); // two 4 MiB segments' files
    expect(bounded).toBeLessThanOrEqual(8 * MiB);
    expect(await kept('0')).toBe(0);
  });
});

describe('storage.configure', () => {
  it('grows and shrinks the cache while a volume serves, keeping its data readable', async () => {
    const dir = await dirs.make();
    const e = await engines.start(testEngineInput(dir, { cache: { capacityBytes: '16MiB' } }));
    await e.commands['volume.create']({ name: 'v', sizeBytes: 64 * MiB, mode: 'cached' });
    const dev = e.device('v');
    const data = Buffer.alloc(8 * MiB);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE(i, i);
    for (let off = 0; off < data.length; off += MiB) await dev.write(off, data.subarray(off, off + MiB));
    await e.commands['volume.sync']({ name: 'v' });
    const grown = await e.commands['storage.configure']({ cacheBytes: 64 * MiB });
    expect(grown.cache.capacityBytes).toBe(64 * MiB);
    const shrunk = await e.commands['storage.configure']({ cacheBytes: 1 * MiB });
    expect(shrunk.cache.capacityBytes).toBe(1 * MiB);
    expect(shrunk.cache.usedBytes).toBeLessThanOrEqual(1 * MiB);
    for (let off = 0; off < data.length; off += MiB) expect((await dev.read(off, MiB)).equals(data.subarray(off, off + MiB))).toBe(true);
    expect((await e.commands.status({})).cache.capacityBytes).toBe(1 * MiB);
  });

  it('refuses bad values with INVALID_ARGUMENT and a sentence, changing nothing', async () => {
    const dir = await dirs.make();
    const e = await engines.start(testEngineInput(dir, { cache: { capacityBytes: '16MiB' }, writeLog: { capacityBytes: '32MiB', segmentBytes: '4MiB' } }));
    const refuse = (p: unknown) => e.commands['storage.configure'](p as never);
    await expect(refuse({ cacheBytes: -1 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, message: 'cacheBytes must be a positive integer number of bytes (got -1)' });
    await expect(refuse({ uploadBufferBytes: 4 * MiB })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, message: expect.stringMatching(/^the upload buffer must be at least 8 MiB/) });
    await expect(refuse({ cacheBytes: 2 ** 52 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(refuse({ cacheBytes: 2 ** 42 })).rejects.toThrow(/more disk space, but their filesystem has .* free/); // 4 TiB: more than the test disk
    await expect(refuse({ nope: 1 })).rejects.toThrow(/unknown storage setting "nope"/);
    const s = await e.commands['storage.describe']({});
    expect([s.cache.capacityBytes, s.uploadBuffer.capacityBytes]).toEqual([16 * MiB, 32 * MiB]);
  });

  it('never shrinks the upload buffer below data not yet uploaded; growing lets stalled writers go on', async () => {
    const dir = await dirs.make();
    const store = holdablePuts();
    const e = await engines.start(testEngineInput(dir, { writeLog: { capacityBytes: '16MiB', segmentBytes: '4MiB' } }), { wrapStore: store.wrapStore });
    try {
      await e.commands['volume.create']({ name: 'v', sizeBytes: 64 * MiB, mode: 'cached' });
      store.hold();
      const dev = e.device('v');
      for (let i = 0; i < 10; i++) await dev.write(i * MiB, Buffer.alloc(MiB, i + 1));
      const used = (await e.commands['storage.describe']({})).uploadBuffer.usedBytes;
      expect(used).toBeGreaterThan(10 * MiB);
      await expect(e.commands['storage.configure']({ uploadBufferBytes: 8 * MiB })).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
        message: expect.stringMatching(/^volume v holds 10(\.\d+)? MiB not yet uploaded; the upload buffer cannot go below that/),
      });
      // Fill the log: the next writes wait for space (they never fail)…
      const pending = [10, 11, 12, 13, 14, 15].map((i) => dev.write(i * MiB, Buffer.alloc(MiB, i + 1)));
      await new Promise((r) => setTimeout(r, 300));
      expect((await e.commands.status({})).uploadBuffer.WritesWaitingForBuffer).toBeGreaterThan(0);
      // …until the buffer grows.
      const s = await e.commands['storage.configure']({ uploadBufferBytes: 64 * MiB });
      expect(s.uploadBuffer.capacityBytes).toBe(64 * MiB);
      await Promise.all(pending);
      expect((await dev.read(15 * MiB, MiB)).equals(Buffer.alloc(MiB, 16))).toBe(true);
    } finally {
      store.release();
    }
  });

  it('keeps the new capacities in DATA_DIR/settings.json and reapplies them at start; explicit config values win', async () => {
    const dir = await dirs.make();
    const e1 = await engines.start(testEngineInput(dir, { writeLog: { segmentBytes: '4MiB' } }));
    await e1.commands['storage.configure']({ cacheBytes: 40 * MiB, uploadBufferBytes: 24 * MiB });
    await engines.close(e1);
    expect(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'))).toMatchObject({ cacheCapacityBytes: 40 * MiB, writeLogCapacityBytes: 24 * MiB });

    const e2 = await engines.start(testEngineInput(dir));
    const s2 = await e2.commands['storage.describe']({});
    expect([s2.cache.capacityBytes, s2.uploadBuffer.capacityBytes]).toEqual([40 * MiB, 24 * MiB]);
    await engines.close(e2);

    // `tidegate serve --cache-size 20MiB`: the flag wins for the cache; the stored upload buffer still applies.
    const e3 = await engines.start(testEngineInput(dir, { cache: { capacityBytes: '20MiB' } }));
    const s3 = await e3.commands['storage.describe']({});
    expect([s3.cache.capacityBytes, s3.uploadBuffer.capacityBytes]).toEqual([20 * MiB, 24 * MiB]);
  });
});
