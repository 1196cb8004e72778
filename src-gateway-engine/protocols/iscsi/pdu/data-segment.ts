import { crc32c } from './crc32c.js';

/**
 * A received data segment as it lies in the socket's chunks: one view when it fits in one
 * chunk (small PDUs, nearly always), else views of each chunk in order. Large Data-Out is
 * then copied once, straight into its command's buffer, instead of joined first.
 */
export type DataSegment = Buffer | readonly Buffer[];

export function segmentLength(segment: DataSegment): number {
  if (Buffer.isBuffer(segment)) return segment.length;
  let n = 0;
  for (const p of segment) n += p.length;
  return n;
}

/** The segment as one buffer: itself when it is one, else a joined copy. */
export function joinSegment(segment: DataSegment): Buffer {
  return Buffer.isBuffer(segment) ? segment : Buffer.concat(segment as Buffer[]);
}

/** Copy the segment into `target` at `at`. */
export function copySegment(segment: DataSegment, target: Buffer, at: number): void {
  if (Buffer.isBuffer(segment)) {
    segment.copy(target, at);
    return;
  }
  for (const p of segment) at += p.copy(target, at);
}

/** CRC32C of the segment, continuing from `crc`. */
export function segmentCrc32c(segment: DataSegment, crc = 0): number {
  if (Buffer.isBuffer(segment)) return crc32c(segment, crc);
  for (const p of segment) crc = crc32c(p, crc);
  return crc;
}
