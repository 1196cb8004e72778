/**
 * Encoding and decoding of the cache index file (docs/formats/cache.md). The index is a
 * warm-restart hint only: it is written after a clean close (data fdatasync'ed first,
 * temp file fsync'ed, renamed, directory fsync'ed) and any doubt about it — wrong
 * signature, version, geometry, length, CRC, duplicate slot or key, or a data file that is
 * not byte-for-byte the one it was written against — makes the cache start cold.
 */
import { crc32 } from 'node:zlib';
import {
  INDEX_ENTRY_BYTES,
  INDEX_FORMAT_VERSION,
  INDEX_HEADER_BYTES,
  INDEX_MAX_VOLUME_ID_BYTES,
  INDEX_SIGNATURE,
  INDEX_TRAILER_BYTES,
} from './cache-format.js';

const TWO_32 = 0x1_0000_0000;

/** Identity of the data file an index was written against (from a bigint `stat`). */
export interface DataFileIdentity {
  size: bigint;
  ino: bigint;
  mtimeNs: bigint;
}

/** Everything in the index header except the counts. */
export interface IndexMeta {
  blockSize: number;
  slotCount: number;
  dataFile: DataFileIdentity;
}

/** One CLEAN slot as recorded: volume (index into the volume table), slot, block index. */
export type IndexEntryVisitor = (volumeIndex: number, slot: number, blockIndex: number) => void;

/**
 * Encode an index. `eachEntry` must call `emit` exactly `entryCount` times, in LRU order
 * (least recently used first).
 */
export function encodeIndex(
  meta: IndexMeta,
  volumes: readonly string[],
  entryCount: number,
  eachEntry: (emit: IndexEntryVisitor) => void,
): Buffer {
  const names = volumes.map((v) => Buffer.from(v, 'utf8'));
  let tableBytes = 0;
  for (const n of names) {
    if (n.length > INDEX_MAX_VOLUME_ID_BYTES) throw new RangeError('volume id too long for the cache index');
    tableBytes += 2 + n.length;
  }
  const total = INDEX_HEADER_BYTES + tableBytes + entryCount * INDEX_ENTRY_BYTES + INDEX_TRAILER_BYTES;
  const buf = Buffer.alloc(total);
  INDEX_SIGNATURE.copy(buf, 0);
  buf.writeUInt32LE(INDEX_FORMAT_VERSION, 8);
  buf.writeUInt32LE(meta.blockSize, 12);
  writeU64(buf, 16, meta.slotCount);
  buf.writeBigUInt64LE(meta.dataFile.size, 24);
  buf.writeBigUInt64LE(meta.dataFile.ino, 32);
  buf.writeBigUInt64LE(meta.dataFile.mtimeNs, 40);
  buf.writeUInt32LE(volumes.length, 48);
  buf.writeUInt32LE(0, 52);
  writeU64(buf, 56, entryCount);
  let off = INDEX_HEADER_BYTES;
  for (const n of names) {
    buf.writeUInt16LE(n.length, off);
    n.copy(buf, off + 2);
    off += 2 + n.length;
  }
  const end = off + entryCount * INDEX_ENTRY_BYTES;
  eachEntry((volumeIndex, slot, blockIndex) => {
    if (off >= end) throw new RangeError('more index entries than announced');
    buf.writeUInt32LE(volumeIndex, off);
    buf.writeUInt32LE(slot, off + 4);
    writeU64(buf, off + 8, blockIndex);
    off += INDEX_ENTRY_BYTES;
  });
  if (off !== end) throw new RangeError('fewer index entries than announced');
  buf.writeUInt32LE(crc32(buf.subarray(0, end)), end);
  return buf;
}

/** A decoded index whose framing and checksum are valid; entries are visited lazily. */
export interface DecodedIndex {
  meta: IndexMeta;
  volumes: string[];
  entryCount: number;
  /** Visit entries in file order (least recently used first). */
  forEachEntry(visit: IndexEntryVisitor): void;
}

/** Decode an index file's bytes, or say in one line why it cannot be trusted. */
export function decodeIndex(buf: Buffer): { ok: true; index: DecodedIndex } | { ok: false; reason: string } {
  if (buf.length < INDEX_HEADER_BYTES + INDEX_TRAILER_BYTES) return { ok: false, reason: 'index file too short' };
  if (!buf.subarray(0, INDEX_SIGNATURE.length).equals(INDEX_SIGNATURE)) return { ok: false, reason: 'bad signature' };
  const version = buf.readUInt32LE(8);
  if (version !== INDEX_FORMAT_VERSION) return { ok: false, reason: `unsupported index version ${version}` };
  const crcAt = buf.length - INDEX_TRAILER_BYTES;
  if (crc32(buf.subarray(0, crcAt)) !== buf.readUInt32LE(crcAt)) return { ok: false, reason: 'index CRC mismatch' };
  const meta: IndexMeta = {
    blockSize: buf.readUInt32LE(12),
    slotCount: readU64(buf, 16),
    dataFile: {
      size: buf.readBigUInt64LE(24),
      ino: buf.readBigUInt64LE(32),
      mtimeNs: buf.readBigUInt64LE(40),
    },
  };
  const volumeCount = buf.readUInt32LE(48);
  const entryCount = readU64(buf, 56);
  let off = INDEX_HEADER_BYTES;
  const volumes: string[] = [];
  for (let i = 0; i < volumeCount; i++) {
    if (off + 2 > crcAt) return { ok: false, reason: 'volume table overruns the file' };
    const len = buf.readUInt16LE(off);
    if (off + 2 + len > crcAt) return { ok: false, reason: 'volume table overruns the file' };
    volumes.push(buf.toString('utf8', off + 2, off + 2 + len));
    off += 2 + len;
  }
  if (new Set(volumes).size !== volumes.length) return { ok: false, reason: 'duplicate volume id' };
  if (crcAt - off !== entryCount * INDEX_ENTRY_BYTES) return { ok: false, reason: 'entry count does not match file length' };
  const first = off;
  return {
    ok: true,
    index: {
      meta,
      volumes,
      entryCount,
      forEachEntry(visit) {
        for (let p = first; p < crcAt; p += INDEX_ENTRY_BYTES) {
          visit(buf.readUInt32LE(p), buf.readUInt32LE(p + 4), readU64(buf, p + 8));
        }
      },
    },
  };
}

function writeU64(buf: Buffer, off: number, value: number): void {
  buf.writeUInt32LE(value % TWO_32 >>> 0, off);
  buf.writeUInt32LE(Math.floor(value / TWO_32) >>> 0, off + 4);
}

/** A u64 as a number; values beyond 2^53 come back inexact (callers range-check). */
function readU64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off + 4) * TWO_32 + buf.readUInt32LE(off);
}
