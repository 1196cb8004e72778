import { describe, expect, it } from 'vitest';
import { storageFixture } from '../../test-support/fixtures.js';
import { checkCapacities } from './capacity-validation.js';
import { computeSizingGuidance, parseSizingDraft, roundUpGiB } from './sizing-guidance.js';

const GiB = 1024 ** 3;

describe('computeSizingGuidance (AWS rule)', () => {
  it("matches AWS's worked example: (40 − 12 × 2) MB/s × 10 h = 576,000 MB", () => {
    const g = computeSizingGuidance({ incomingMBps: 40, outgoingMBps: 12, compressionFactor: 2, writeHoursPerDay: 10 });
    expect(g.fillRateMBps).toBe(16);
    expect(g.uploadBufferBytes).toBe(576_000 * 1_000_000);
    expect(g.minCacheBytes).toBe(Math.ceil(576_000 * 1_000_000 * 1.1));
  });

  it('is zero when the link keeps up', () => {
    expect(computeSizingGuidance({ incomingMBps: 10, outgoingMBps: 12, compressionFactor: 1, writeHoursPerDay: 8 })).toEqual({ uploadBufferBytes: 0, minCacheBytes: 0, fillRateMBps: 0 });
  });

  it('scales with write hours', () => {
    const a = computeSizingGuidance({ incomingMBps: 5, outgoingMBps: 1, compressionFactor: 1, writeHoursPerDay: 1 });
    const b = computeSizingGuidance({ incomingMBps: 5, outgoingMBps: 1, compressionFactor: 1, writeHoursPerDay: 3 });
    expect(a.uploadBufferBytes).toBe(4 * 3600 * 1_000_000);
    expect(b.uploadBufferBytes).toBe(3 * a.uploadBufferBytes);
  });

  it('rounds guidance up to whole GiB for the fields', () => {
    expect(roundUpGiB(1)).toBe(GiB);
    expect(roundUpGiB(GiB)).toBe(GiB);
    expect(roundUpGiB(GiB + 1)).toBe(2 * GiB);
    expect(roundUpGiB(0)).toBe(GiB);
  });
});

describe('parseSizingDraft', () => {
  it('accepts numbers and names the first bad input', () => {
    expect(parseSizingDraft({ incomingMBps: '40', outgoingMBps: '12', compressionFactor: '2', writeHoursPerDay: '10' }).inputs).toEqual({ incomingMBps: 40, outgoingMBps: 12, compressionFactor: 2, writeHoursPerDay: 10 });
    expect(parseSizingDraft({ incomingMBps: '', outgoingMBps: '12', compressionFactor: '2', writeHoursPerDay: '10' }).error).toMatch(/incoming/);
    expect(parseSizingDraft({ incomingMBps: '4', outgoingMBps: 'x', compressionFactor: '2', writeHoursPerDay: '10' }).error).toMatch(/outgoing/);
    expect(parseSizingDraft({ incomingMBps: '4', outgoingMBps: '1', compressionFactor: '0.5', writeHoursPerDay: '10' }).error).toMatch(/compression/);
    expect(parseSizingDraft({ incomingMBps: '4', outgoingMBps: '1', compressionFactor: '1', writeHoursPerDay: '25' }).error).toMatch(/0 to 24/);
  });
});

describe('checkCapacities', () => {
  it('accepts sane capacities without warnings', () => {
    expect(checkCapacities(storageFixture(), 20 * GiB, 10 * GiB)).toEqual({ errors: [], warnings: [] });
  });

  it('refuses missing sizes, sizes beyond the filesystem and an upload buffer below its contents', () => {
    const info = storageFixture();
    info.uploadBuffer.usedBytes = 3 * GiB;
    expect(checkCapacities(info, null, 10 * GiB).errors[0]).toMatch(/cache size/);
    expect(checkCapacities(info, 600 * GiB, 10 * GiB).errors.join()).toMatch(/larger than the whole filesystem/);
    expect(checkCapacities(info, 20 * GiB, 2 * GiB).errors.join()).toMatch(/holds 3 GiB not yet uploaded/);
  });

  it('warns when the cache is below 1.1 × buffer, below guidance, or the disk is short', () => {
    const info = storageFixture();
    expect(checkCapacities(info, 10 * GiB, 10 * GiB).warnings.join()).toMatch(/1\.1 × the upload buffer/);
    const g = { uploadBufferBytes: 50 * GiB, minCacheBytes: 55 * GiB, fillRateMBps: 1 };
    const w = checkCapacities(info, 40 * GiB, 20 * GiB, g).warnings.join(' | ');
    expect(w).toMatch(/upload buffer is below the guidance/);
    expect(w).toMatch(/cache is below the guidance/);
    expect(checkCapacities(info, 200 * GiB, 150 * GiB).warnings.join()).toMatch(/share a filesystem with 300 GiB free/);
  });
});
