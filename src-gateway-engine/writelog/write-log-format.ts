/**
 * On-disk format of the write log, mirrored from docs/formats/write-log.md. Constants only.
 *
 * A volume's log is a folder of segment files `<segmentNo as 16 hex digits>.seg`, each a
 * 32-byte segment header followed by records. A record is a 40-byte header and, for
 * writes, `length` bytes of data. All integers little-endian; 64-bit values as lo/hi u32.
 * Uploaded segments wait for reuse as `<segmentNo>.free` (see recycled-segment-files.ts).
 */

/** First 8 bytes of every segment file. */
export const SEGMENT_SIGNATURE = Buffer.from('TGWAL\r\n\x1a', 'latin1');
/**
 * Bumped on any incompatible change; replay refuses other versions. Version 2 tags each record
 * with its segment (recycled files); version 1 files (untagged) still replay.
 */
export const SEGMENT_FORMAT_VERSION = 2;
export const SEGMENT_FORMAT_VERSION_UNTAGGED = 1;
export const SEGMENT_HEADER_BYTES = 32;
// segment header: signature(8) version u32 @8, flags u32 @12, segmentNo u64 @16, createdMs u64 @24

/** Segment header flag: the file held an earlier segment, whose bytes may follow the last record. */
export const SEGMENT_FLAG_RECYCLED = 1;

/** Marks the start of every record. */
export const RECORD_MAGIC = 0x31524754; // 'TGR1'
export const RECORD_HEADER_BYTES = 40;
// record header: magic u32 @0, kind u8 @4, flags u8 @5, reserved u16 @6, seq u64 @8,
// offset u64 @16, length u32 @24, dataCrc u32 @28, segmentTag u32 @32, headerCrc u32 @36
// (headerCrc is CRC-32 of bytes 0..35; dataCrc is CRC-32 of the data, 0 when there is none;
// segmentTag is recordSegmentTag(segmentNo) of the segment written to, 0 in version 1).

/** The tag a record carries for its segment: tells a record from one left by the file's earlier use. */
export function recordSegmentTag(segmentNo: number): number {
  return segmentNo % 0x1_0000_0000;
}

export const RecordKind = {
  /** `length` bytes of data at `offset`. */
  Write: 1,
  /** The range is discarded (reads as zeroes, holds no data). */
  Trim: 2,
  /** The range reads as zeroes. */
  Zero: 3,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** Segment file name for a segment number. */
export function segmentFileName(segmentNo: number): string {
  return numberedName(segmentNo, 'seg');
}

/** Segment number from a file name, or undefined for anything else in the folder. */
export function parseSegmentFileName(name: string): number | undefined {
  return parseNumberedName(name, SEGMENT_NAME);
}

/** Name of an uploaded segment's file kept for reuse (named after the segment it last held). */
export function freeFileName(segmentNo: number): string {
  return numberedName(segmentNo, 'free');
}

/** Last segment number from a kept file's name, or undefined for anything else. */
export function parseFreeFileName(name: string): number | undefined {
  return parseNumberedName(name, FREE_NAME);
}

// Both kinds of file are named `<segment number as 16 hex digits>.<extension>`.
const SEGMENT_NAME = /^([0-9a-f]{16})\.seg$/;
const FREE_NAME = /^([0-9a-f]{16})\.free$/;

function numberedName(segmentNo: number, extension: 'seg' | 'free'): string {
  return `${segmentNo.toString(16).padStart(16, '0')}.${extension}`;
}

function parseNumberedName(name: string, pattern: RegExp): number | undefined {
  const m = pattern.exec(name);
  return m ? Number.parseInt(m[1]!, 16) : undefined;
}
