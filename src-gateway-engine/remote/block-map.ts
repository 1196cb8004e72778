/**
 * The block map: volume block → (data object number, block offset inside that object).
 * It is the extent map of DESIGN.md §2, kept compact so memory follows written data, not
 * volume size: a 32 TiB volume that is mostly empty costs almost nothing.
 *
 * Blocks are grouped in pages of 1024 (4 MiB of volume). A page that is absent is unmapped
 * (reads as zeroes). Three page kinds, so a page costs what its writes need:
 * - linear: written in one run by one object (sequential writes) — 2 numbers;
 * - sparse: at most SPARSE_MAX mapped blocks (random writes scattered over a large volume
 *   touch a new page with nearly every write) — 8 bytes per mapped block, sorted by block;
 * - full: anything else — a Uint32Array of object numbers (0 = unmapped) and a Uint16Array
 *   of offsets, 6 KiB.
 * A sparse page that outgrows SPARSE_MAX becomes full; a full page never shrinks back
 * (except when loaded from a checkpoint).
 *
 * A location is packed in one number: objNo * 65536 + offset (exact: objNo < 2^32).
 */
import { crc32 } from 'node:zlib';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { CHECKPOINT_FORMAT_VERSION, CHECKPOINT_SIGNATURE } from './remote-format.js';

export const PAGE_BLOCKS = 1024;
const OFF_RADIX = 65536;
/** Most mapped blocks a sparse page holds (1 KiB of entries; a full page is 6 KiB). */
export const SPARSE_MAX = 128;

/** Checkpoint page kinds (docs/formats/remote.md). */
const PAGE_FULL = 0;
const PAGE_LINEAR = 1;
const PAGE_SPARSE = 2;

interface LinearPage {
  kind: typeof PAGE_LINEAR;
  objNo: number;
  baseOff: number;
}
interface FullPage {
  kind: typeof PAGE_FULL;
  obj: Uint32Array;
  off: Uint16Array;
  mapped: number;
}
/**
 * Entry k is e[2k] = entryWord(index in page, offset), e[2k + 1] = object number; entries are
 * sorted by index (so by e[2k]); `e` has room for at least `count` entries.
 */
interface SparsePage {
  kind: typeof PAGE_SPARSE;
  e: Uint32Array;
  count: number;
}
type Page = LinearPage | FullPage | SparsePage;

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

/**
 * A sparse entry's first word: packed as a location, with the block's index in its page in
 * place of the object. Read back with shifts (OFF_RADIX is 2^16 and a word is below 2^26):
 * `get` of a scattered page does this in its binary search.
 */
function entryWord(index: number, off: number): number {
  return index * OFF_RADIX + off;
}
function entryIndex(word: number): number {
  return word >>> 16;
}
function entryOffset(word: number): number {
  return word & 0xffff;
}

/** Position of index `i` in a sparse page, or where it would be inserted (as -(pos + 1)). */
function sparseFind(p: SparsePage, i: number): number {
  let lo = 0;
  let hi = p.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = entryIndex(p.e[2 * mid]!);
    if (at < i) lo = mid + 1;
    else if (at > i) hi = mid - 1;
    else return mid;
  }
  return -(lo + 1);
}

export class BlockMap {
  private readonly pages = new Map<number, Page>();

  /** Packed location of a block, or 0 when unmapped. */
  get(block: number): number {
    const page = this.pages.get(Math.floor(block / PAGE_BLOCKS));
    if (!page) return 0;
    const i = block % PAGE_BLOCKS;
    if (page.kind === PAGE_LINEAR) return packLocation(page.objNo, page.baseOff + i);
    if (page.kind === PAGE_SPARSE) {
      const k = sparseFind(page, i);
      return k < 0 ? 0 : packLocation(page.e[2 * k + 1]!, entryOffset(page.e[2 * k]!));
    }
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
        this.pages.set(pageNo, { kind: PAGE_LINEAR, objNo, baseOff: off });
      } else if (!this.setSparse(pageNo, i, n, objNo, off)) {
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
      const present = this.pages.get(pageNo)!;
      if (present.kind === PAGE_SPARSE) {
        const a = sparseFind(present, from);
        const b = sparseFind(present, to);
        const start = a < 0 ? -a - 1 : a;
        const stop = b < 0 ? -b - 1 : b;
        present.e.copyWithin(2 * start, 2 * stop, 2 * present.count);
        present.count -= stop - start;
        if (present.count === 0) this.pages.delete(pageNo);
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
      const page = this.pages.get(pageNo)!;
      // A sparse page: only its entries; the others: every block.
      const n = page.kind === PAGE_SPARSE ? page.count : PAGE_BLOCKS;
      for (let k = 0; k < n; k++) {
        const i = page.kind === PAGE_SPARSE ? entryIndex(page.e[2 * k]!) : k;
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
    for (const p of this.pages.values()) bytes += p.kind === PAGE_LINEAR ? 64 : p.kind === PAGE_SPARSE ? 96 + p.e.byteLength : 6 * PAGE_BLOCKS + 160;
    return bytes;
  }

  /** Serialize for a checkpoint object. */
  serialize(): Buffer {
    const entries = [...this.pages.entries()].sort((a, b) => a[0] - b[0]);
    let size = 16;
    for (const [, p] of entries) size += 4 + 1 + (p.kind === PAGE_LINEAR ? 6 : p.kind === PAGE_SPARSE ? 2 + 8 * p.count : 6 * PAGE_BLOCKS);
    size += 4;
    const buf = Buffer.alloc(size);
    CHECKPOINT_SIGNATURE.copy(buf, 0);
    buf.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, 8);
    buf.writeUInt32LE(entries.length, 12);
    let pos = 16;
    for (const [pageNo, p] of entries) {
      buf.writeUInt32LE(pageNo, pos);
      if (p.kind === PAGE_LINEAR) {
        buf.writeUInt8(PAGE_LINEAR, pos + 4);
        buf.writeUInt32LE(p.objNo, pos + 5);
        buf.writeUInt16LE(p.baseOff, pos + 9);
        pos += 11;
      } else if (p.kind === PAGE_SPARSE) {
        buf.writeUInt8(PAGE_SPARSE, pos + 4);
        buf.writeUInt16LE(p.count, pos + 5);
        pos += 7;
        for (let k = 0; k < p.count; k++) {
          buf.writeUInt16LE(entryIndex(p.e[2 * k]!), pos);
          buf.writeUInt16LE(entryOffset(p.e[2 * k]!), pos + 2);
          buf.writeUInt32LE(p.e[2 * k + 1]!, pos + 4);
          pos += 8;
        }
      } else {
        buf.writeUInt8(PAGE_FULL, pos + 4);
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
    const version = buf.readUInt32LE(8);
    // Version 1 had no sparse pages; it is read the same way.
    if (version !== 1 && version !== CHECKPOINT_FORMAT_VERSION) throw new TidegateError(ErrorCode.Corrupt, `${key}: unsupported checkpoint version ${version}`);
    if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32LE(buf.length - 4)) throw new TidegateError(ErrorCode.Corrupt, `${key}: checkpoint CRC mismatch`);
    const map = new BlockMap();
    const count = buf.readUInt32LE(12);
    let pos = 16;
    for (let i = 0; i < count; i++) {
      const pageNo = buf.readUInt32LE(pos);
      const kind = buf.readUInt8(pos + 4);
      if (kind === PAGE_LINEAR) {
        map.pages.set(pageNo, { kind: PAGE_LINEAR, objNo: buf.readUInt32LE(pos + 5), baseOff: buf.readUInt16LE(pos + 9) });
        pos += 11;
      } else if (kind === PAGE_SPARSE && version >= 2) {
        const n = buf.readUInt16LE(pos + 5);
        pos += 7;
        const e = new Uint32Array(2 * Math.max(n, 1));
        for (let k = 0; k < n; k++) {
          e[2 * k] = entryWord(buf.readUInt16LE(pos), buf.readUInt16LE(pos + 2));
          e[2 * k + 1] = buf.readUInt32LE(pos + 4);
          pos += 8;
        }
        map.pages.set(pageNo, { kind: PAGE_SPARSE, e, count: n });
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
        // A version-1 checkpoint had no sparse pages: take the ones that fit as sparse now.
        map.pages.set(pageNo, version === 1 && mapped <= SPARSE_MAX ? sparseOf(obj, off, mapped) : { kind: PAGE_FULL, obj, off, mapped });
      }
    }
    return map;
  }

  /**
   * Map `n` blocks from index `i` of page `pageNo` in a sparse page, when the page is absent or
   * sparse and stays within SPARSE_MAX; false (nothing done) otherwise.
   */
  private setSparse(pageNo: number, i: number, n: number, objNo: number, off: number): boolean {
    let page = this.pages.get(pageNo);
    if (page === undefined) {
      if (n > SPARSE_MAX) return false;
      page = { kind: PAGE_SPARSE, e: new Uint32Array(2 * Math.max(4, n)), count: 0 };
      this.pages.set(pageNo, page);
    } else if (page.kind !== PAGE_SPARSE || n > SPARSE_MAX) {
      return false;
    } else if (page.count + n > SPARSE_MAX) {
      // Overwrites add no entry: only the blocks not mapped yet count.
      let added = 0;
      for (let k = 0; k < n; k++) if (sparseFind(page, i + k) < 0) added++;
      if (page.count + added > SPARSE_MAX) return false;
    }
    for (let k = 0; k < n; k++) {
      const word = entryWord(i + k, off + k);
      const at = sparseFind(page, i + k);
      if (at >= 0) {
        page.e[2 * at] = word;
        page.e[2 * at + 1] = objNo;
        continue;
      }
      const pos = -at - 1;
      if (2 * (page.count + 1) > page.e.length) {
        const grown = new Uint32Array(Math.min(2 * SPARSE_MAX, 2 * page.e.length));
        grown.set(page.e.subarray(0, 2 * page.count));
        page.e = grown;
      }
      page.e.copyWithin(2 * pos + 2, 2 * pos, 2 * page.count);
      page.e[2 * pos] = word;
      page.e[2 * pos + 1] = objNo;
      page.count++;
    }
    return true;
  }

  private fullPage(pageNo: number): FullPage {
    const page = this.pages.get(pageNo);
    if (page?.kind === PAGE_FULL) return page;
    const full: FullPage = { kind: PAGE_FULL, obj: new Uint32Array(PAGE_BLOCKS), off: new Uint16Array(PAGE_BLOCKS), mapped: 0 };
    if (page?.kind === PAGE_LINEAR) {
      for (let k = 0; k < PAGE_BLOCKS; k++) {
        full.obj[k] = page.objNo;
        full.off[k] = page.baseOff + k;
      }
      full.mapped = PAGE_BLOCKS;
    } else if (page?.kind === PAGE_SPARSE) {
      for (let k = 0; k < page.count; k++) {
        const i = entryIndex(page.e[2 * k]!);
        full.obj[i] = page.e[2 * k + 1]!;
        full.off[i] = entryOffset(page.e[2 * k]!);
      }
      full.mapped = page.count;
    }
    this.pages.set(pageNo, full);
    return full;
  }
}

/** A sparse page holding the mapped blocks of a full page's arrays. */
function sparseOf(obj: Uint32Array, off: Uint16Array, mapped: number): SparsePage {
  const e = new Uint32Array(2 * Math.max(4, mapped));
  let n = 0;
  for (let i = 0; i < PAGE_BLOCKS; i++) {
    if (obj[i] === 0) continue;
    e[2 * n] = entryWord(i, off[i]!);
    e[2 * n + 1] = obj[i]!;
    n++;
  }
  return { kind: PAGE_SPARSE, e, count: n };
}
