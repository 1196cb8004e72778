import { describe, expect, it } from 'vitest';
import type { DiskAllocation } from '../runtime/engine-commands.js';
import { storageWarnings, type StorageFacts } from './storage-warnings.js';

const GiB = 1024 ** 3;

function alloc(over: Partial<DiskAllocation> = {}): DiskAllocation {
  return { path: '/data/cache', capacityBytes: 20 * GiB, usedBytes: 0, filesystemBytes: 1000 * GiB, filesystemFreeBytes: 500 * GiB, ...over };
}

function facts(over: Partial<StorageFacts> = {}): StorageFacts {
  return { cache: alloc(), uploadBuffer: alloc({ path: '/data/volumes', capacityBytes: 10 * GiB }), sameFilesystem: true, cacheDirtyBytes: 0, ...over };
}

const codes = (f: StorageFacts): string[] => storageWarnings(f).map((w) => w.code);

describe('storageWarnings', () => {
  it('a well-sized gateway has no warnings', () => {
    expect(storageWarnings(facts())).toEqual([]);
  });

  it('FILESYSTEM_TOO_SMALL: capacities beyond used + free, counting a shared filesystem once', () => {
    const fs = { filesystemBytes: 100 * GiB, filesystemFreeBytes: 25 * GiB };
    // Shared: 20 + 10 GiB needed, 25 GiB free.
    const shared = storageWarnings(facts({ cache: alloc(fs), uploadBuffer: alloc({ ...fs, capacityBytes: 10 * GiB }) }));
    expect(shared[0]).toMatchObject({ code: 'FILESYSTEM_TOO_SMALL', severity: 'critical' });
    expect(shared[0]!.message).toMatch(/need 5 GiB more than the filesystem holding \/data\/cache has free \(25 GiB\)/);
    // What is already used counts as given: 15 GiB of the cache used → only 5 + 10 needed.
    expect(codes(facts({ cache: alloc({ ...fs, usedBytes: 15 * GiB }), uploadBuffer: alloc({ ...fs, capacityBytes: 10 * GiB }) }))).not.toContain('FILESYSTEM_TOO_SMALL');
    // Kept write-log files hold their disk already: 8 GiB kept → only 20 + 2 needed.
    expect(codes(facts({ cache: alloc(fs), uploadBuffer: alloc({ ...fs, capacityBytes: 10 * GiB, keptBytes: 8 * GiB }) }))).not.toContain('FILESYSTEM_TOO_SMALL');
    // Separate filesystems: each on its own.
    const apart = storageWarnings(facts({ sameFilesystem: false, cache: alloc(fs), uploadBuffer: alloc({ path: '/logs', capacityBytes: 30 * GiB, ...fs }) }));
    expect(apart.filter((w) => w.code === 'FILESYSTEM_TOO_SMALL').map((w) => w.message)).toEqual([expect.stringMatching(/^the upload buffer \(30 GiB\) needs 5 GiB more than the filesystem holding \/logs/)]);
  });

  it('FILESYSTEM_NEARLY_FULL below 5 % free, critical below 1 %', () => {
    const nearly = storageWarnings(facts({ cache: alloc({ filesystemBytes: 1000 * GiB, filesystemFreeBytes: 40 * GiB, usedBytes: 20 * GiB }), uploadBuffer: alloc({ capacityBytes: 10 * GiB, usedBytes: 10 * GiB }) }));
    expect(nearly).toEqual([expect.objectContaining({ code: 'FILESYSTEM_NEARLY_FULL', severity: 'warning' })]);
    const full = storageWarnings(facts({ cache: alloc({ filesystemBytes: 1000 * GiB, filesystemFreeBytes: 5 * GiB, usedBytes: 20 * GiB }), uploadBuffer: alloc({ capacityBytes: 10 * GiB, usedBytes: 10 * GiB }) }));
    expect(full).toEqual([expect.objectContaining({ code: 'FILESYSTEM_NEARLY_FULL', severity: 'critical' })]);
  });

  it('CACHE_BELOW_GUIDANCE when the cache is under 1.1 × the upload buffer', () => {
    expect(codes(facts({ cache: alloc({ capacityBytes: 11 * GiB }) }))).toEqual([]);
    const w = storageWarnings(facts({ cache: alloc({ capacityBytes: 10 * GiB }) }));
    expect(w).toEqual([expect.objectContaining({ code: 'CACHE_BELOW_GUIDANCE', severity: 'warning' })]);
    expect(w[0]!.message).toMatch(/give it at least 11 GiB/);
  });

  it('UPLOAD_BUFFER_HIGH names the fullest volume; critical from 95 %', () => {
    expect(codes(facts({ fullestLog: { volume: 'db', usedBytes: 80, capacityBytes: 100 } }))).toEqual([]);
    expect(storageWarnings(facts({ fullestLog: { volume: 'db', usedBytes: 81, capacityBytes: 100 } }))).toEqual([
      expect.objectContaining({ code: 'UPLOAD_BUFFER_HIGH', severity: 'warning', message: expect.stringMatching(/^the upload buffer of volume db is 81 % used/) }),
    ]);
    expect(storageWarnings(facts({ fullestLog: { volume: 'db', usedBytes: 96, capacityBytes: 100 } }))[0]).toMatchObject({ severity: 'critical' });
  });

  it('CACHE_DIRTY_HIGH above 80 % dirty', () => {
    expect(codes(facts({ cacheDirtyBytes: 16 * GiB }))).toEqual([]);
    expect(codes(facts({ cacheDirtyBytes: 17 * GiB }))).toEqual(['CACHE_DIRTY_HIGH']);
  });

  it('lists critical warnings first', () => {
    const fs = { filesystemBytes: 100 * GiB, filesystemFreeBytes: 2 * GiB };
    const w = storageWarnings(facts({ cache: alloc({ ...fs, capacityBytes: 5 * GiB }), uploadBuffer: alloc({ ...fs, capacityBytes: 10 * GiB }) }));
    expect(w.map((x) => x.severity)).toEqual(['critical', 'warning', 'warning']);
    expect(w.map((x) => x.code)).toEqual(['FILESYSTEM_TOO_SMALL', 'FILESYSTEM_NEARLY_FULL', 'CACHE_BELOW_GUIDANCE']);
  });
});
