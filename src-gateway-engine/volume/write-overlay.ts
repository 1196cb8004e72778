/**
 * The write-log overlay: which blocks have changes in the log that the store's committed
 * head does not hold yet. Reads consult it first. Memory is bounded by the log's capacity
 * (one entry per 4 KiB block written), plus one entry per pending trim range whatever its size.
 *
 * Rule that keeps lookups simple: a trim removes every older block entry in its range, so a
 * block entry, when present, is always newer than any pending trim covering it.
 */
export interface OverlayEntry {
  seq: number;
  segmentNo: number;
  position: number;
}

interface PendingTrim {
  firstBlock: number;
  count: number;
  seq: number;
}

export class WriteOverlay {
  private readonly blocks = new Map<number, OverlayEntry>();
  private trims: PendingTrim[] = [];

  /** True when no block entry and no pending trim is held (reads skip the per-block checks). */
  get isEmpty(): boolean {
    return this.blocks.size === 0 && this.trims.length === 0;
  }

  /** Blocks with data in the log. */
  get blockCount(): number {
    return this.blocks.size;
  }

  /** A write record's blocks now live in the log at `position` onwards. */
  setWrite(firstBlock: number, count: number, seq: number, segmentNo: number, position: number, blockSize: number): void {
    for (let i = 0; i < count; i++) this.blocks.set(firstBlock + i, { seq, segmentNo, position: position + i * blockSize });
  }

  /** A trim or write-zeroes record covers a range. */
  setTrim(firstBlock: number, count: number, seq: number): void {
    const end = firstBlock + count;
    if (this.blocks.size < count) {
      for (const b of this.blocks.keys()) if (b >= firstBlock && b < end) this.blocks.delete(b);
    } else {
      for (let b = firstBlock; b < end; b++) this.blocks.delete(b);
    }
    this.trims.push({ firstBlock, count, seq });
  }

  /** The log entry holding a block's newest data, if any. */
  get(block: number): OverlayEntry | undefined {
    return this.blocks.get(block);
  }

  /** True when a pending (uncommitted) trim covers the block. */
  trimmed(block: number): boolean {
    for (let i = this.trims.length - 1; i >= 0; i--) {
      const t = this.trims[i]!;
      if (block >= t.firstBlock && block < t.firstBlock + t.count) return true;
    }
    return false;
  }

  /** Forget everything at or below `seq`: it is in the committed head now. */
  commitThrough(seq: number, touchedBlocks: Iterable<number>): void {
    for (const b of touchedBlocks) {
      const e = this.blocks.get(b);
      if (e && e.seq <= seq) this.blocks.delete(b);
    }
    if (this.trims.length > 0) this.trims = this.trims.filter((t) => t.seq > seq);
  }
}
