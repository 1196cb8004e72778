import { describe, expect, it } from 'vitest';
import type { StorageInfo } from '../../../../src-main/ipc/ipc-contract.js';
import { checkCapacities } from './capacity-validation.js';

const GiB = 1024 ** 3;

// Cache and upload buffer on one 100 GiB filesystem with 10 GiB free.
function info(upload: { usedBytes: number; keptBytes?: number }): StorageInfo {
  const fs = { filesystemBytes: 100 * GiB, filesystemFreeBytes: 10 * GiB };
  return {
    cache: { path: '/var/lib/tidegate/cache', capacityBytes: 20 * GiB, usedBytes: 20 * GiB, ...fs },
    uploadBuffer: { path: '/var/lib/tidegate/log', capacityBytes: 16 * GiB, ...upload, ...fs },
    warnings: [],
  };
}

describe('checkCapacities', () => {
  it('warns when the upload buffer could not fill its size on the free space left', () => {
    const check = checkCapacities(info({ usedBytes: 2 * GiB }), 20 * GiB, 16 * GiB);
    expect(check.errors).toEqual([]);
    expect(check.warnings.join('\n')).toMatch(/filesystem holding the upload buffer .* has only 10 GiB free/);
    expect(check.warnings.join('\n')).toMatch(/share a filesystem .* can grow by 14 GiB/);
  });

  it('counts kept write-log files as disk the upload buffer already holds', () => {
    const check = checkCapacities(info({ usedBytes: 2 * GiB, keptBytes: 8 * GiB }), 20 * GiB, 16 * GiB);
    expect(check.errors).toEqual([]);
    expect(check.warnings.filter((w) => /free/.test(w))).toEqual([]);
  });

  it('still refuses an upload buffer smaller than the data not yet uploaded, kept files or not', () => {
    const check = checkCapacities(info({ usedBytes: 6 * GiB, keptBytes: 8 * GiB }), 20 * GiB, 4 * GiB);
    expect(check.errors).toContain('The upload buffer holds 6 GiB not yet uploaded; it cannot be smaller than that.');
  });
});
