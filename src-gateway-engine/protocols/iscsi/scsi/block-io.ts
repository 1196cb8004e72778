import type { CommandContext } from './command-spec.js';
import { Ascs, SenseKey, checkCondition } from './sense.js';

/**
 * Block I/O for the command handlers, in logical blocks. Device calls are split at the
 * MAXIMUM TRANSFER LENGTH (the device's largest request); the split is invisible to the
 * initiator because writers hold the LU write lock over the whole range.
 *
 * Lock discipline: every command that changes the medium runs its device calls inside
 * `withWriteLock` over its block range. A command that reads and then writes (COMPARE AND
 * WRITE, ORWRITE) does both inside one hold, so no other write of this LU, from any
 * session, lands between its read and its write.
 */

/** Run `fn` holding the LU write lock over blocks lba..lba+blocks-1 (nothing to lock for 0 blocks). */
export async function withWriteLock<T>(ctx: CommandContext, lba: number, blocks: number, fn: () => Promise<T>): Promise<T> {
  if (blocks === 0) return fn();
  // Uncontended (the usual case): take it without a promise hop.
  const release = ctx.lock.tryAcquire(lba, lba + blocks - 1) ?? (await ctx.lock.acquire(lba, lba + blocks - 1));
  try {
    return await fn();
  } finally {
    release();
  }
}

function chunkBlocks(ctx: CommandContext): number {
  return Math.max(1, ctx.profile.maxTransferBlocks);
}

/** Read `blocks` logical blocks from `lba`. */
export async function readBlocks(ctx: CommandContext, lba: number, blocks: number): Promise<Buffer> {
  const bs = ctx.profile.blockLength;
  const step = chunkBlocks(ctx);
  if (blocks <= step) return blocks === 0 ? Buffer.alloc(0) : ctx.device.read(lba * bs, blocks * bs);
  const parts: Buffer[] = [];
  for (let done = 0; done < blocks; done += step) {
    parts.push(await ctx.device.read((lba + done) * bs, Math.min(step, blocks - done) * bs));
  }
  return Buffer.concat(parts);
}

/**
 * Whether a medium change must be durable before GOOD: FUA asked for it, or the write cache
 * is disabled (Caching mode page WCE=0 makes every write write-through).
 */
export function mustBeDurable(ctx: CommandContext, fua: boolean): boolean {
  return fua || !ctx.modePages.writeCacheEnabled;
}

/** Write whole blocks at `lba`; the caller holds the write lock. */
export async function writeBlocksLocked(ctx: CommandContext, lba: number, data: Buffer, fua: boolean): Promise<void> {
  const bs = ctx.profile.blockLength;
  fua = mustBeDurable(ctx, fua);
  const stepBytes = chunkBlocks(ctx) * bs;
  for (let off = 0; off < data.length; off += stepBytes) {
    const piece = data.subarray(off, Math.min(data.length, off + stepBytes));
    await ctx.device.write(lba * bs + off, piece, { fua });
  }
}

/** The Data-Out must be exactly what the CDB asked for (the transport guarantees it for READ/WRITE). */
export function expectDataOut(data: Buffer, bytes: number): void {
  if (data.length !== bytes) throw checkCondition(SenseKey.IllegalRequest, Ascs.InvalidFieldInInformationUnit);
}

/** Offset of the first byte where `a` and `b` differ, or -1. */
export function firstDifference(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
