/**
 * On-disk format of the write log, mirrored from docs/formats/write-log.md. Constants only.
 *
 * A volume's log is a folder of segment files `<segmentNo as 16 hex digits>.seg`, each a
 * 32-byte segment header followed by records. A record is a 40-byte header and, for
 * writes, `length` bytes of data. All integers little-endian; 64-bit values as lo/hi u32.
 */

/** First 8 bytes of every segment file. */
export const SEGMENT_SIGNATURE = Buffer.from('TGWAL\r\n\x1a', 'latin1');
/** Bumped on any incompatible change; replay refuses other versions. */
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 32;
// segment header: signature(8) version u32 @8, reserved u32 @12, segmentNo u64 @16, createdMs u64 @24

/** Marks the start of every record. */
export const RECORD_MAGIC = 0x31524754; // 'TGR1'
export const RECORD_HEADER_BYTES = 40;
// record header: magic u32 @0, kind u8 @4, flags u8 @5, reserved u16 @6, seq u64 @8,
// offset u64 @16, length u32 @24, dataCrc u32 @28, reserved u32 @32, headerCrc u32 @36
// (headerCrc is CRC-32 of bytes 0..35; dataCrc is CRC-32 of the data, 0 when there is none).

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
  return `${segmentNo.toString(16).padStart(16, '0')}.seg`;
}

/** Segment number from a file name, or undefined for anything else in the folder. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = /^([0-9a-f]{16})\.seg$/.exec(name);
  return m ? Number.parseInt(m[1]!, 16) : undefined;
}
