import { ErrorCode, TidegateError } from '../errors/index.js';
import { HEAD_FORMAT, HEAD_FORMAT_VERSION } from './remote-format.js';

/**
 * A volume head: the recovery point. It is committed (create-only, numbered) only after every
 * data object up to `lastObjectNo` is durable, so the image it names is a prefix of the write
 * sequence through `lastSeq` (invariants 2 and 3).
 */
export interface VolumeHead {
  format: typeof HEAD_FORMAT;
  version: number;
  volumeId: string;
  headNo: number;
  /** Owner epoch that wrote this head. */
  epoch: number;
  gatewayId: string;
  /** Every write with seq <= lastSeq is in the image. */
  lastSeq: number;
  /** Objects 1..lastObjectNo make up the image. */
  lastObjectNo: number;
  /** Checkpoint covering objects 1..checkpointObjectNo (0 = none, replay from object 1). */
  checkpointObjectNo: number;
  /**
   * Number of the head that started the current epoch (the takeover head, or 1). Heads at or
   * below it are never pruned: a fenced-out owner's next create-only head must collide.
   */
  epochHeadNo: number;
  /** [firstObjectNo, epoch] pairs, ascending: which epoch wrote which object numbers. */
  epochStarts: Array<[number, number]>;
  sizeBytes: number;
  committedAt: string;
}

/** Parse and check a head read from the store. */
export function parseVolumeHead(raw: Buffer, key: string): VolumeHead {
  let h: Partial<VolumeHead>;
  try {
    h = JSON.parse(raw.toString('utf8')) as Partial<VolumeHead>;
  } catch (err) {
    throw new TidegateError(ErrorCode.Corrupt, `${key} is not valid JSON`, { cause: err });
  }
  if (h.format !== HEAD_FORMAT || h.version !== HEAD_FORMAT_VERSION) {
    throw new TidegateError(ErrorCode.Corrupt, `${key} has format ${String(h.format)} v${String(h.version)}`);
  }
  for (const f of ['headNo', 'epoch', 'epochHeadNo', 'lastSeq', 'lastObjectNo', 'checkpointObjectNo', 'sizeBytes'] as const) {
    if (!Number.isSafeInteger(h[f]) || (h[f] as number) < 0) throw new TidegateError(ErrorCode.Corrupt, `${key}: ${f} is not a non-negative integer`);
  }
  if (!Array.isArray(h.epochStarts)) throw new TidegateError(ErrorCode.Corrupt, `${key}: epochStarts missing`);
  return h as VolumeHead;
}

/** Serialize a head. */
export function encodeVolumeHead(h: VolumeHead): Buffer {
  return Buffer.from(JSON.stringify(h, null, 1));
}

/** The epoch that wrote object `objNo`. */
export function epochOfObject(epochStarts: ReadonlyArray<[number, number]>, objNo: number): number {
  let epoch = epochStarts.length > 0 ? epochStarts[0]![1] : 1;
  for (const [first, e] of epochStarts) {
    if (first <= objNo) epoch = e;
    else break;
  }
  return epoch;
}
