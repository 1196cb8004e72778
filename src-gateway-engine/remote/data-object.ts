import { crc32 } from 'node:zlib';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { readU64, writeU64 } from '../writelog/write-log.js';
import {
  BLOCK_SIZE,
  ExtentKind,
  OBJECT_EXTENT_BYTES,
  OBJECT_FIXED_HEADER_BYTES,
  OBJECT_FORMAT_VERSION,
  OBJECT_SIGNATURE,
} from './remote-format.js';

/** One extent of a data object. `dataBlock` is where its first block sits, in blocks from the object's start. */
export interface ObjectExtent {
  firstBlock: number;
  blockCount: number;
  kind: ExtentKind;
  dataBlock: number;
}

/** A decoded data object header. */
export interface DataObjectHeader {
  objNo: number;
  epoch: number;
  firstSeq: number;
  lastSeq: number;
  headerBytes: number;
  extents: ObjectExtent[];
  dataCrc: number;
}

/** Input to encode: zero extents are applied before data extents (see the packer). */
export interface DataObjectContent {
  objNo: number;
  epoch: number;
  firstSeq: number;
  lastSeq: number;
  zeroExtents: Array<{ firstBlock: number; blockCount: number }>;
  /** Runs of consecutive blocks, each with blockCount * BLOCK_SIZE bytes of data (in any number of buffers). */
  dataExtents: Array<{ firstBlock: number; blockCount: number; data: Buffer[] }>;
  /** CRC-32 of the whole data region when the caller already knows it (the packer folds it from the log's CRCs). */
  dataCrc?: number;
}

/** Encode a data object as a list of buffers (header, then the data, no copies). */
export function encodeDataObject(c: DataObjectContent): { parts: Buffer[]; bytes: number; header: DataObjectHeader } {
  const extentCount = c.zeroExtents.length + c.dataExtents.length;
  const rawHeader = OBJECT_FIXED_HEADER_BYTES + extentCount * OBJECT_EXTENT_BYTES;
  const headerBytes = Math.ceil(rawHeader / BLOCK_SIZE) * BLOCK_SIZE;
  const header = Buffer.alloc(headerBytes);
  const extents: ObjectExtent[] = [];
  let pos = OBJECT_FIXED_HEADER_BYTES;
  const putExtent = (firstBlock: number, blockCount: number, kind: ExtentKind, dataBlock: number): void => {
    writeU64(header, pos, firstBlock);
    header.writeUInt32LE(blockCount, pos + 8);
    header.writeUInt8(kind, pos + 12);
    pos += OBJECT_EXTENT_BYTES;
    extents.push({ firstBlock, blockCount, kind, dataBlock });
  };
  for (const z of c.zeroExtents) putExtent(z.firstBlock, z.blockCount, ExtentKind.Zero, 0);
  let dataBlock = headerBytes / BLOCK_SIZE;
  const dataParts: Buffer[] = [];
  const known = c.dataCrc;
  let dataCrc = 0;
  for (const d of c.dataExtents) {
    putExtent(d.firstBlock, d.blockCount, ExtentKind.Data, dataBlock);
    dataBlock += d.blockCount;
    for (const b of d.data) {
      dataParts.push(b);
      if (known === undefined) dataCrc = crc32(b, dataCrc);
    }
  }
  if (known !== undefined) dataCrc = known;
  OBJECT_SIGNATURE.copy(header, 0);
  header.writeUInt32LE(OBJECT_FORMAT_VERSION, 8);
  header.writeUInt32LE(headerBytes, 12);
  writeU64(header, 16, c.objNo);
  writeU64(header, 24, c.firstSeq);
  writeU64(header, 32, c.lastSeq);
  header.writeUInt32LE(extentCount, 40);
  header.writeUInt32LE(dataCrc, 44);
  header.writeUInt32LE(c.epoch, 48);
  header.writeUInt32LE(crc32(header.subarray(OBJECT_FIXED_HEADER_BYTES, rawHeader)), 56);
  header.writeUInt32LE(crc32(header.subarray(0, 60)), 60);
  const bytes = headerBytes + (dataBlock - headerBytes / BLOCK_SIZE) * BLOCK_SIZE;
  return {
    parts: [header, ...dataParts],
    bytes,
    header: { objNo: c.objNo, epoch: c.epoch, firstSeq: c.firstSeq, lastSeq: c.lastSeq, headerBytes, extents, dataCrc },
  };
}

/** Bytes of header needed to know the full header length (read this much first). */
export const OBJECT_HEADER_PROBE_BYTES = BLOCK_SIZE;

/** Header length recorded in the first bytes of an object. */
export function peekHeaderBytes(first: Buffer, key: string): number {
  checkFixedHeader(first, key);
  return first.readUInt32LE(12);
}

/** Decode and verify a data object's header. */
export function decodeDataObjectHeader(buf: Buffer, key: string): DataObjectHeader {
  checkFixedHeader(buf, key);
  const headerBytes = buf.readUInt32LE(12);
  const extentCount = buf.readUInt32LE(40);
  const rawHeader = OBJECT_FIXED_HEADER_BYTES + extentCount * OBJECT_EXTENT_BYTES;
  if (buf.length < rawHeader || rawHeader > headerBytes) throw new TidegateError(ErrorCode.Corrupt, `${key}: header truncated`);
  if (crc32(buf.subarray(OBJECT_FIXED_HEADER_BYTES, rawHeader)) !== buf.readUInt32LE(56)) {
    throw new TidegateError(ErrorCode.Corrupt, `${key}: extent list CRC mismatch`);
  }
  const extents: ObjectExtent[] = [];
  let dataBlock = headerBytes / BLOCK_SIZE;
  for (let i = 0, pos = OBJECT_FIXED_HEADER_BYTES; i < extentCount; i++, pos += OBJECT_EXTENT_BYTES) {
    const firstBlock = readU64(buf, pos);
    const blockCount = buf.readUInt32LE(pos + 8);
    const kind = buf.readUInt8(pos + 12) as ExtentKind;
    if (kind !== ExtentKind.Data && kind !== ExtentKind.Zero) throw new TidegateError(ErrorCode.Corrupt, `${key}: unknown extent kind ${kind}`);
    extents.push({ firstBlock, blockCount, kind, dataBlock: kind === ExtentKind.Data ? dataBlock : 0 });
    if (kind === ExtentKind.Data) dataBlock += blockCount;
  }
  return {
    objNo: readU64(buf, 16),
    epoch: buf.readUInt32LE(48),
    firstSeq: readU64(buf, 24),
    lastSeq: readU64(buf, 32),
    headerBytes,
    extents,
    dataCrc: buf.readUInt32LE(44),
  };
}

function checkFixedHeader(buf: Buffer, key: string): void {
  if (buf.length < OBJECT_FIXED_HEADER_BYTES || !buf.subarray(0, 8).equals(OBJECT_SIGNATURE)) {
    throw new TidegateError(ErrorCode.Corrupt, `${key}: not a Tidegate data object`);
  }
  if (buf.readUInt32LE(8) !== OBJECT_FORMAT_VERSION) {
    throw new TidegateError(ErrorCode.Corrupt, `${key}: unsupported object version ${buf.readUInt32LE(8)}`);
  }
  if (crc32(buf.subarray(0, 60)) !== buf.readUInt32LE(60)) throw new TidegateError(ErrorCode.Corrupt, `${key}: header CRC mismatch`);
}
