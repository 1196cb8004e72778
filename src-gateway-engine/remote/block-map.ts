/**
 * The block map: volume block → (data object number, block offset inside that object).
 * It is the extent map of DESIGN.md §2, kept compact so memory follows written data, not
 * volume size: a 32 TiB volume that is mostly empty costs almost nothing.
 *
 * Blocks are grouped in pages of 1024 (4 MiB of volume). A page that is absent is unmapped
 * (reads as zeroes). A page written in one run by one object — the common case for
 * sequential writes — is "linear": 2 numbers instead of 6 KiB. Any other page holds a
 * Uint32Array of object numbers (0 = unmapped) and a Uint16Array of offsets.
 *
 * A location is packed in one number: objNo * 65536 + offset (exact: objNo < 2^32).
 */
import { crc32 } from 'node:zlib';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { CHECKPOINT_FORMAT_VERSION, CHECKPOINT_SIGNATURE } from './remote-format.js';

export const PAGE_BLOCKS = 1024;
const OFF_RADIX = 65536;

interface LinearPage {
  objNo: number;
  baseOff: number;
}
interface FullPage {
  obj: Uint32Array;
  off: Uint16Array;
  mapped: number;
}
type Page = LinearPage | FullPage;

function isLinear(p: Page): p is LinearPage {
  return (p as LinearPage).baseOff !== undefined;
}

/** Pack a location. */
export function packLocation(objNo: number, off: number): number {
  return objNo * OFF_RADIX + off;
}
/** Object number of a packed location. */
export function locationObject(loc: number): number {
  return Math.floor(loc / OFF_RADIX);
}
/** Block offset inside the object of a packed location. */
export function locationOffset(loc: number): number {
  return loc % OFF_RADIX;
}

export class BlockMap {
  private readonly pages = new Map<number, Page>();

  /** Packed location of a block, or 0 when unmapped. */
  get(block: number): number {
    const page = this.pages.get(Math.floor(block / PAGE_BLOCKS));
    if (!page) return 0;
    const i = block % PAGE_BLOCKS;
    if (isLinear(page)) return packLocation(page.objNo, page.baseOff + i);
    const o = page.obj[i]!;
    return o === 0 ? 0 : packLocation(o, page.off[i]!);
  }

  /** Map `count` blocks from `firstBlock` to consecutive offsets of one object. */
  setRun(firstBlock: number, count: number, objNo: number, firstOff: number): void {
    let block = firstBlock;
    let off = firstOff;
    let left = count;
    while (left > 0) {
      const pageNo = Math.floor(block / PAGE_BLOCKS);
      const i = block % PAGE_BLOCKS;
      const n = Math.min(left, PAGE_BLOCKS - i);
      if (i === 0 && n === PAGE_BLOCKS && off + PAGE_BLOCKS <= OFF_RADIX) {
        this.pages.set(pageNo, { objNo, baseOff: off });
      } else {
        const page = this.fullPage(pageNo);
        for (let k = 0; k < n; k++) {
          if (page.obj[i + k] === 0) page.mapped++;
          page.obj[i + k] = objNo;
          page.off[i + k] = off + k;
        }
      }
      block += n;
      off += n;
      left -= n;
    }
  }

  /** Unmap a range (trim, write-zeroes). Cost follows the pages present, not the range. */
  clearRange(firstBlock: number, count: number): void {
    const end = firstBlock + count;
    const firstPage = Math.floor(firstBlock / PAGE_BLOCKS);
    const lastPage = Math.floor((end - 1) / PAGE_BLOCKS);
    const visit = (pageNo: number): void => {
      const pageStart = pageNo * PAGE_BLOCKS;
      const from = Math.max(firstBlock, pageStart) - pageStart;
      const to = Math.min(end, pageStart + PAGE_BLOCKS) - pageStart;
      if (from === 0 && to === PAGE_BLOCKS) {
        this.pages.delete(pageNo);
        return;
      }
      const page = this.fullPage(pageNo);
      for (let k = from; k < to; k++) {
        if (page.obj[k] !== 0) page.mapped--;
        page.obj[k] = 0;
        page.off[k] = 0;
      }
      if (page.mapped === 0) this.pages.delete(pageNo);
    };
    if (lastPage - firstPage + 1 <= this.pages.size) {
      for (let p = firstPage; p <= lastPage; p++) if (this.pages.has(p)) visit(p);
    } else {
      for (const p of [...this.pages.keys()]) if (p >= firstPage && p <= lastPage) visit(p);
    }
  }

  /** Every mapped run in block order: consecutive blocks at consecutive offsets of one object, at most 256 blocks each. */
  *mappedRuns(): Generator<{ firstBlock: number; count: number; objNo: number; off: number }> {
    const pageNos = [...this.pages.keys()].sort((a, b) => a - b);
    let run: { firstBlock: number; count: number; objNo: number; off: number } | undefined;
    for (const pageNo of pageNos) {
      for (let i = 0; i < PAGE_BLOCKS; i++) {
        const block = pageNo * PAGE_BLOCKS + i;
        const loc = this.get(block);
        if (loc === 0) continue;
        const objNo = locationObject(loc);
        const off = locationOffset(loc);
        if (run && run.firstBlock + run.count === block && run.objNo === objNo && run.off + run.count === off && run.count < 256) {
          run.count++;
          continue;
        }
        if (run) yield run;
        run = { firstBlock: block, count: 1, objNo, off };
      }
    }
    if (run) yield run;
  }

  /** Number of pages held. */
  get pageCount(): number {
    return this.pages.size;
  }

  /** Approximate heap bytes held by the map. */
  get memoryBytes(): number {
    let bytes = 0;
    for (const p of this.pages.values()) bytes += isLinear(p) ? 64 : 6 * PAGE_BLOCKS + 160;
    return bytes;
  }

  /** Serialize for a checkpoint object. */
  serialize(): Buffer {
    const entries = [...this.pages.entries()].sort((a, b) => a[0] - b[0]);
    let size = 16;
    for (const [, p] of entries) size += isLinear(p) ? 4 + 1 + 6 : 4 + 1 + 6 * PAGE_BLOCKS;
    size += 4;
    const buf = Buffer.alloc(size);
    CHECKPOINT_SIGNATURE.copy(buf, 0);
    buf.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, 8);
    buf.writeUInt32LE(entries.length, 12);
    let pos = 16;
    for (const [pageNo, p] of entries) {
      buf.writeUInt32LE(pageNo, pos);
      if (isLinear(p)) {
        buf.writeUInt8(1, pos + 4);
        buf.writeUInt32LE(p.objNo, pos + 5);
        buf.writeUInt16LE(p.baseOff, pos + 9);
        pos += 11;
      } else {
        buf.writeUInt8(0, pos + 4);
        pos += 5;
        Buffer.from(p.obj.buffer, p.obj.byteOffset, p.obj.byteLength).copy(buf, pos);
        pos += 4 * PAGE_BLOCKS;
        Buffer.from(p.off.buffer, p.off.byteOffset, p.off.byteLength).copy(buf, pos);
        pos += 2 * PAGE_BLOCKS;
      }
    }
    buf.writeUInt32LE(crc32(buf.subarray(0, pos)), pos);
    return buf;
  }

  /** Load a checkpoint written by serialize(). */
  static deserialize(buf: Buffer, key: string): BlockMap {
    if (buf.length < 20 || !buf.subarray(0, 8).equals(CHECKPOINT_SIGNATURE)) throw new TidegateError(ErrorCode.Corrupt, `${key}: not a block-map checkpoint`);
    if (buf.readUInt32LE(8) !== CHECKPOINT_FORMAT_VERSION) throw new TidegateError(ErrorCode.Corrupt, `${key}: unsupported checkpoint version`);
    if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32LE(buf.length - 4)) throw new TidegateError(ErrorCode.Corrupt, `${key}: checkpoint CRC mismatch`);
    const map = new BlockMap();
    const count = buf.readUInt32LE(12);
    let pos = 16;
    for (let i = 0; i < count; i++) {
      const pageNo = buf.readUInt32LE(pos);
      const kind = buf.readUInt8(pos + 4);
      if (kind === 1) {
        map.pages.set(pageNo, { objNo: buf.readUInt32LE(pos + 5), baseOff: buf.readUInt16LE(pos + 9) });
        pos += 11;
      } else {
        pos += 5;
        const obj = new Uint32Array(PAGE_BLOCKS);
        const off = new Uint16Array(PAGE_BLOCKS);
        Buffer.from(obj.buffer).set(buf.subarray(pos, pos + 4 * PAGE_BLOCKS));
        pos += 4 * PAGE_BLOCKS;
        Buffer.from(off.buffer).set(buf.subarray(pos, pos + 2 * PAGE_BLOCKS));
        pos += 2 * PAGE_BLOCKS;
        let mapped = 0;
        for (let k = 0; k < PAGE_BLOCKS; k++) if (obj[k] !== 0) mapped++;
        map.pages.set(pageNo, { obj, off, mapped });
      }
    }
    return map;
  }

  private fullPage(pageNo: number): FullPage {
    const page = this.pages.get(pageNo);
    if (page && !isLinear(page)) return page;
    const full: FullPage = { obj: new Uint32Array(PAGE_BLOCKS), off: new Uint16Array(PAGE_BLOCKS), mapped: 0 };
    if (page) {
      for (let k = 0; k < PAGE_BLOCKS; k++) {
        full.obj[k] = page.objNo;
        full.off[k] = page.baseOff + k;
      }
      full.mapped = PAGE_BLOCKS;
    }
    this.pages.set(pageNo, full);
    return full;
  }
}
