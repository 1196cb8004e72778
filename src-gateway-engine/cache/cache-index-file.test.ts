import { describe, expect, it } from 'vitest';
import { decodeIndex, encodeIndex, type IndexMeta } from './cache-index-file.js';
import { INDEX_HEADER_BYTES, INDEX_SIGNATURE } from './cache-format.js';

const meta: IndexMeta = { blockSize: 4096, slotCount: 2 ** 32 + 5, dataFile: { size: 123n, ino: 456n, mtimeNs: 1_700_000_000_123_456_789n } };

describe('cache index file', () => {
  it('round-trips header, volume names and entries in order', () => {
    const entries: [number, number, number][] = [
      [0, 7, 2 ** 33 - 1],
      [1, 0, 0],
      [0, 3, 42],
    ];
    const buf = encodeIndex(meta, ['vol-é', 'b'], entries.length, (emit) => entries.forEach((e) => emit(...e)));
    expect(buf.subarray(0, 8)).toEqual(INDEX_SIGNATURE);
    const d = decodeIndex(buf);
    if (!d.ok) throw new Error(d.reason);
    expect(d.index.meta).toEqual(meta);
    expect(d.index.volumes).toEqual(['vol-é', 'b']);
    const back: [number, number, number][] = [];
    d.index.forEachEntry((v, s, b) => back.push([v, s, b]));
    expect(back).toEqual(entries);
  });

  it('refuses any single flipped bit', () => {
    const buf = encodeIndex(meta, ['v'], 1, (emit) => emit(0, 1, 2));
    for (let i = 0; i < buf.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = Buffer.from(buf);
        bad[i]! ^= bit;
        expect(decodeIndex(bad).ok).toBe(false);
      }
    }
  });

  it('refuses truncated and extended files', () => {
    const buf = encodeIndex(meta, ['v'], 2, (emit) => (emit(0, 1, 2), emit(0, 2, 3)));
    for (const len of [0, 10, INDEX_HEADER_BYTES, buf.length - 16, buf.length - 1]) expect(decodeIndex(buf.subarray(0, len)).ok).toBe(false);
    expect(decodeIndex(Buffer.concat([buf, Buffer.alloc(16)])).ok).toBe(false);
  });

  it('checks the announced entry count when encoding', () => {
    expect(() => encodeIndex(meta, ['v'], 2, (emit) => emit(0, 1, 2))).toThrow(RangeError);
    expect(() => encodeIndex(meta, ['v'], 1, (emit) => (emit(0, 1, 2), emit(0, 2, 3)))).toThrow(RangeError);
  });
});
