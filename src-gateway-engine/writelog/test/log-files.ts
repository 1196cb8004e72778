/**
 * What the write-log tests look at on disk: segment and kept files, record positions, and a
 * way to rewrite a record header so that only the log's semantic checks can catch the edit.
 */
import { readdir } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { RECORD_HEADER_BYTES, RecordKind, SEGMENT_HEADER_BYTES } from '../write-log-format.js';

/** Bytes of one 4 KiB write record (header and data). */
export const REC = RECORD_HEADER_BYTES + 4096;

/** Segment files in `dir`, by name. */
export async function segFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
}

/** Uploaded segments' files kept for reuse in `dir`, by name. */
export async function keptFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.free')).sort();
}

/** File positions of each record header in a segment buffer (read from the lengths; no checks). */
export function recordStarts(buf: Buffer): number[] {
  const out: number[] = [];
  let pos = SEGMENT_HEADER_BYTES;
  while (pos + RECORD_HEADER_BYTES <= buf.length) {
    out.push(pos);
    const kind = buf.readUInt8(pos + 4);
    const len = buf.readUInt32LE(pos + 24);
    pos += RECORD_HEADER_BYTES + (kind === RecordKind.Write ? len : 0);
  }
  return out;
}

/** Rewrite a record header field and fix its header CRC, so only the semantic check can catch it. */
export function patchHeader(buf: Buffer, pos: number, edit: (h: Buffer) => void): void {
  const h = buf.subarray(pos, pos + RECORD_HEADER_BYTES);
  edit(h);
  h.writeUInt32LE(crc32(h.subarray(0, 36)), 36);
}
