import { expectDataOut, readBlocks, withWriteLock, writeBlocksLocked } from './block-io.js';
import { checkCdb } from './cdb.js';
import { good, type CommandContext, type CommandSpec } from './command-spec.js';
import { CopyAscs, ListIdUsage, checkSegment, parseCopyParameters, type CopySegment } from './extended-copy-params.js';
import { copyResultsOf, type CopyStatus } from './extended-copy-state.js';
import type { ThirdPartyCopyLimits } from './inquiry.js';
import type { LuProfile } from './lu-profile.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { ScsiCheckCondition, SenseKey, checkCondition, senseForError } from './sense.js';

/**
 * EXTENDED COPY (LID1) (SPC-4 6.4), the VMware VAAI "XCOPY" / full-copy primitive: the
 * initiator names source and destination (CSCD descriptors) and block ranges (segment
 * descriptors), and the device server moves the data without it crossing the network.
 *
 * Supported: identification CSCDs (E4h) that designate THIS logical unit, block→block
 * segments (02h), no inline data; limits as `copyLimits` reports them (VPD 0x8F and
 * RECEIVE COPY RESULTS OPERATING PARAMETERS). Anything else is refused before a block moves
 * (extended-copy-params.ts has the sense codes). LID4 and ROD tokens are not supported.
 *
 * Data moves in chunks of at most the MAXIMUM TRANSFER LENGTH; each chunk reads and writes
 * inside one hold of the LU write lock over the span covering its source and destination,
 * so COMPARE AND WRITE and every other writer see each chunk whole. Overlapping ranges are
 * copied as if the source were read first (backwards when the destination lies above).
 *
 * A device error mid-copy ends the command with COPY ABORTED and the ASC the error maps to
 * (UNRECOVERED READ ERROR, WRITE ERROR, ...); transient conditions (NOT READY while a
 * handoff runs, ABORTED COMMAND on a store outage) are reported as they are, so the
 * initiator retries the whole (idempotent) copy.
 */

/** Largest segment: NUMBER OF BLOCKS is 16 bits. */
const MAX_SEGMENT_BLOCKS = 0xffff;

/** What this copy manager supports, as VPD 0x8F and OPERATING PARAMETERS report it. */
export function copyLimits(profile: LuProfile): ThirdPartyCopyLimits {
  return {
    maxCscdDescriptors: 2,
    maxSegmentDescriptors: 1,
    maxDescriptorListLength: 1024,
    maxSegmentBytes: MAX_SEGMENT_BLOCKS * profile.blockLength,
  };
}

/** A device error during the copy, as EXTENDED COPY reports it. */
function abortedBy(err: unknown, direction: 'read' | 'write'): Error {
  const sense = senseForError(err, direction);
  if (sense.key === SenseKey.NotReady || sense.key === SenseKey.AbortedCommand || sense.key === SenseKey.UnitAttention) {
    return err instanceof Error ? err : new ScsiCheckCondition(sense);
  }
  return new ScsiCheckCondition({ key: SenseKey.CopyAborted, asc: sense.asc, ascq: sense.ascq });
}

async function copySegment(ctx: CommandContext, segment: CopySegment, status: CopyStatus): Promise<void> {
  const bs = ctx.profile.blockLength;
  const step = Math.max(1, ctx.profile.maxTransferBlocks);
  const { blocks, sourceLba: from, destinationLba: to } = segment;
  const backwards = to > from && to < from + blocks;
  for (let done = 0; done < blocks; done += step) {
    const count = Math.min(step, blocks - done);
    const rel = backwards ? blocks - done - count : done;
    const src = from + rel;
    const dst = to + rel;
    const first = Math.min(src, dst);
    const last = Math.max(src, dst) + count - 1;
    await withWriteLock(ctx, first, last - first + 1, async () => {
      const data = await readBlocks(ctx, src, count).catch((err: unknown) => {
        throw abortedBy(err, 'read');
      });
      await writeBlocksLocked(ctx, dst, data, false).catch((err: unknown) => {
        throw abortedBy(err, 'write');
      });
    });
    status.bytesTransferred += count * bs;
  }
}

async function extendedCopy(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  checkCdb(request.cdb);
  const length = request.cdb.readUInt32BE(10);
  // A zero-length parameter list copies nothing and is not an error (SPC-4 6.4.1).
  if (length === 0) return good();
  expectDataOut(request.dataOut, length);
  const params = parseCopyParameters(request.dataOut, ctx.profile, copyLimits(ctx.profile));
  const results = copyResultsOf(ctx);
  const nexusId = request.nexus.id;
  // Only held (00b) copies are tracked by list identifier. 10b copies are not: QEMU, for one,
  // sends its parallel copies all with list identifier 1 and 10b, and must not be refused.
  const tracked = params.listIdUsage === ListIdUsage.Hold;
  const status: CopyStatus | undefined = tracked
    ? results.start(nexusId, params.listId)
    : { status: 0, segmentsProcessed: 0, bytesTransferred: 0 };
  if (status === undefined) throw checkCondition(SenseKey.IllegalRequest, CopyAscs.OperationInProgress);
  let ok = false;
  try {
    for (const segment of params.segments) checkSegment(params, segment, ctx.profile);
    for (const segment of params.segments) {
      await copySegment(ctx, segment, status);
      status.segmentsProcessed++;
    }
    ok = true;
  } finally {
    if (tracked) results.finish(nexusId, params.listId, ok);
  }
  return good();
}

/** The EXTENDED COPY (LID1) entry of the dispatch table. */
export const extendedCopyCommands: readonly CommandSpec[] = [
  {
    opcode: Op.ExtendedCopy,
    serviceAction: 0x00,
    name: 'EXTENDED COPY(LID1)',
    usage: [Op.ExtendedCopy, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00],
    dataOutLength: (cdb: Buffer) => cdb.readUInt32BE(10),
    execute: extendedCopy,
    direction: 'write',
    modifiesMedium: true,
  },
];
