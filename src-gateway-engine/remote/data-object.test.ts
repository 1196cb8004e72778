import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { taggedBlock } from '../test/support/core-temp-dirs.js';
import { OBJECT_HEADER_PROBE_BYTES, decodeDataObjectHeader, encodeDataObject, peekHeaderBytes, type DataObjectContent } from './data-object.js';
import { BLOCK_SIZE, ExtentKind, OBJECT_EXTENT_BYTES, OBJECT_FIXED_HEADER_BYTES } from './remote-format.js';

function content(dataRuns: Array<[number, number]>, zeroRuns: Array<[number, number]> = [], objNo = 42): DataObjectContent {
  return {
    objNo,
    epoch: 3,
    firstSeq: 1000,
    lastSeq: 2 ** 40 + 7,
    zeroExtents: zeroRuns.map(([firstBlock, blockCount]) => ({ firstBlock, blockCount })),
    dataExtents: dataRuns.map(([firstBlock, blockCount]) => ({
      firstBlock,
      blockCount,
      data: Array.from({ length: blockCount }, (_, k) => taggedBlock(`b${firstBlock + k}`)),
    })),
  };
}

const expectCorrupt = (f: () => unknown, why: string): void => {
  expect(f, why).toThrow(expect.objectContaining({ code: ErrorCode.Corrupt }));
};

describe('data object encode/decode', () => {
  it('round-trips header fields, extents and data placement', () => {
    const c = content([[10, 3], [2 ** 33 - 2, 2]], [[0, 5], [100, 2 ** 20]]);
    const enc = encodeDataObject(c);
    const body = Buffer.concat(enc.parts);
    expect(body.length).toBe(enc.bytes);
    expect(enc.bytes).toBe(BLOCK_SIZE + 5 * BLOCK_SIZE);
    const h = decodeDataObjectHeader(body, 'k');
    expect(h).toEqual(enc.header);
    expect(h).toMatchObject({ objNo: 42, epoch: 3, firstSeq: 1000, lastSeq: 2 ** 40 + 7, headerBytes: BLOCK_SIZE });
    expect(h.extents).toEqual([
      { firstBlock: 0, blockCount: 5, kind: ExtentKind.Zero, dataBlock: 0 },
      { firstBlock: 100, blockCount: 2 ** 20, kind: ExtentKind.Zero, dataBlock: 0 },
      { firstBlock: 10, blockCount: 3, kind: ExtentKind.Data, dataBlock: 1 },
      { firstBlock: 2 ** 33 - 2, blockCount: 2, kind: ExtentKind.Data, dataBlock: 4 },
    ]);
    // Every data block sits where its extent says.
    for (const e of h.extents.filter((x) => x.kind === ExtentKind.Data)) {
      for (let k = 0; k < e.blockCount; k++) {
        const at = (e.dataBlock + k) * BLOCK_SIZE;
        expect(body.subarray(at, at + BLOCK_SIZE)).toEqual(taggedBlock(`b${e.firstBlock + k}`));
      }
    }
    expect(crc32(body.subarray(h.headerBytes))).toBe(h.dataCrc);
    expect(peekHeaderBytes(body.subarray(0, OBJECT_HEADER_PROBE_BYTES), 'k')).toBe(BLOCK_SIZE);
  });

  it('property: random extent lists round-trip', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 3 })), { maxLength: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 31 })), { maxLength: 8 }),
        (data, zero) => {
          const enc = encodeDataObject(content(data, zero));
          const body = Buffer.concat(enc.parts);
          expect(decodeDataObjectHeader(body, 'k')).toEqual(enc.header);
        },
      ),
      { numRuns: 100, seed: 5 },
    );
  });

  it('an empty object (no extents) is one header block', () => {
    const enc = encodeDataObject(content([]));
    expect(enc.bytes).toBe(BLOCK_SIZE);
    expect(decodeDataObjectHeader(Buffer.concat(enc.parts), 'k').extents).toEqual([]);
  });

  it('headers longer than 4 KiB (thousands of extents) are padded to whole blocks and decode after a second read', () => {
    const runs: Array<[number, number]> = Array.from({ length: 3000 }, (_, i) => [i * 2, 1]); // 3000 single-block extents
    const zeros: Array<[number, number]> = Array.from({ length: 500 }, (_, i) => [10_000 + i * 3, 1]);
    const enc = encodeDataObject(content(runs, zeros));
    const raw = OBJECT_FIXED_HEADER_BYTES + 3500 * OBJECT_EXTENT_BYTES;
    expect(enc.header.headerBytes).toBe(Math.ceil(raw / BLOCK_SIZE) * BLOCK_SIZE);
    expect(enc.header.headerBytes).toBeGreaterThan(BLOCK_SIZE);
    const body = Buffer.concat(enc.parts);
    // The probe alone tells the length but cannot decode the extents.
    const probe = body.subarray(0, OBJECT_HEADER_PROBE_BYTES);
    expect(peekHeaderBytes(probe, 'k')).toBe(enc.header.headerBytes);
    expectCorrupt(() => decodeDataObjectHeader(probe, 'k'), 'probe only');
    const h = decodeDataObjectHeader(body.subarray(0, enc.header.headerBytes), 'k');
    expect(h.extents).toHaveLength(3500);
    const last = h.extents[h.extents.length - 1]!;
    expect(last).toMatchObject({ firstBlock: 2 * 2999, kind: ExtentKind.Data, dataBlock: enc.header.headerBytes / BLOCK_SIZE + 2999 });
    const at = last.dataBlock * BLOCK_SIZE;
    expect(body.subarray(at, at + BLOCK_SIZE)).toEqual(taggedBlock(`b${2 * 2999}`));
  });
});

describe('data object header corruption', () => {
  const enc = encodeDataObject(content([[10, 3], [50, 1]], [[0, 4]]));
  const good = Buffer.concat(enc.parts);
  const extentsEnd = OBJECT_FIXED_HEADER_BYTES + 3 * OBJECT_EXTENT_BYTES;

  const regions: Array<[string, number]> = [
    ['signature', 2],
    ['version', 8],
    ['headerBytes', 13],
    ['objNo', 16],
    ['firstSeq', 25],
    ['lastSeq', 33],
    ['extentCount', 40],
    ['dataCrc', 44],
    ['epoch', 48],
    ['reserved', 53],
    ['extentsCrc', 57],
    ['fixed-header CRC', 61],
    ['first extent firstBlock', OBJECT_FIXED_HEADER_BYTES + 1],
    ['first extent blockCount', OBJECT_FIXED_HEADER_BYTES + 8],
    ['first extent kind', OBJECT_FIXED_HEADER_BYTES + 12],
    ['last extent firstBlock', extentsEnd - OBJECT_EXTENT_BYTES],
    ['last extent reserved byte', extentsEnd - 1],
  ];

  it.each(regions)('a flipped byte in the %s is CORRUPT', (_name, pos) => {
    const bad = Buffer.from(good);
    bad[pos]! ^= 0x04;
    expectCorrupt(() => decodeDataObjectHeader(bad, 'k'), `byte ${pos}`);
  });

  it('an unknown extent kind with a matching CRC is CORRUPT', () => {
    const bad = Buffer.from(good);
    bad.writeUInt8(9, OBJECT_FIXED_HEADER_BYTES + 12);
    bad.writeUInt32LE(crc32(bad.subarray(OBJECT_FIXED_HEADER_BYTES, extentsEnd)), 56);
    bad.writeUInt32LE(crc32(bad.subarray(0, 60)), 60);
    expectCorrupt(() => decodeDataObjectHeader(bad, 'k'), 'kind 9');
  });

  it('an extent count beyond headerBytes (with valid CRCs) is CORRUPT, not a read past the end', () => {
    const bad = Buffer.from(good);
    bad.writeUInt32LE(1_000_000, 40);
    bad.writeUInt32LE(crc32(bad.subarray(0, 60)), 60);
    expectCorrupt(() => decodeDataObjectHeader(bad, 'k'), 'count');
  });

  it('short buffers and foreign objects are CORRUPT', () => {
    expectCorrupt(() => decodeDataObjectHeader(Buffer.alloc(0), 'k'), 'empty');
    expectCorrupt(() => decodeDataObjectHeader(good.subarray(0, 63), 'k'), '63 bytes');
    expectCorrupt(() => decodeDataObjectHeader(good.subarray(0, extentsEnd - 1), 'k'), 'extents cut');
    expectCorrupt(() => peekHeaderBytes(Buffer.from('{"json":"not an object"}'), 'k'), 'json');
  });

  it('the padding after the extents is not covered (harmless): decoding still works', () => {
    const padded = Buffer.from(good);
    padded[extentsEnd + 5] = 0xee;
    expect(decodeDataObjectHeader(padded, 'k')).toEqual(enc.header);
  });
});
