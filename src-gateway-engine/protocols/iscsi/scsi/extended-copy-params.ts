import type { ThirdPartyCopyLimits } from './inquiry.js';
import type { LuProfile } from './lu-profile.js';
import { Ascs, SenseKey, ScsiCheckCondition, invalidFieldInParameterList, parameterListLengthError, type Asc } from './sense.js';

/**
 * The EXTENDED COPY (LID1) parameter list (SPC-4 6.4): a 16-byte header, the CSCD
 * descriptors, the segment descriptors, inline data. Parsing is pure; it throws the
 * ScsiCheckCondition SPC-4 (and libiscsi's ExtendedCopy tests) ask for:
 *
 *   header/list truncated, descriptor lists over the limit → PARAMETER LIST LENGTH ERROR
 *   more CSCDs / segments than reported                    → TOO MANY TARGET/SEGMENT DESCRIPTORS
 *   a CSCD other than identification (E4h), block device   → UNSUPPORTED TARGET DESCRIPTOR TYPE CODE
 *   a segment other than block→block (02h)                 → UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE
 *   reserved LIST ID USAGE, inline data, bad lengths        → INVALID FIELD IN PARAMETER LIST
 *
 * Checks that decide whether the copy can run (`checkSegment`) are COPY ABORTED:
 *
 *   CSCD index beyond the list            → UNREACHABLE COPY TARGET (08/04)
 *   CSCD that is not this logical unit    → COPY TARGET DEVICE NOT REACHABLE (0D/02)
 *   blocks beyond the end of the LU       → NO ADDITIONAL SENSE INFORMATION (00/00), pointing at the LBA
 *
 * Only this LU can be a copy target: an identification CSCD must carry our NAA designator
 * (VPD 0x83). LU ID TYPE, NUL and the relative initiator port are ignored (SPC-4).
 */

/** SPC-4 ASCs not in sense.ts' table. */
export const CopyAscs = {
  UnreachableCopyTarget: Object.freeze({ asc: 0x08, ascq: 0x04 }) as Asc,
  OperationInProgress: Object.freeze({ asc: 0x00, ascq: 0x16 }) as Asc,
} as const;

export const HEADER_LENGTH = 16;
export const CSCD_IDENTIFICATION = 0xe4;
export const SEGMENT_BLOCK_TO_BLOCK = 0x02;
const CSCD_LENGTH = 32;
const CSCD_LONG_LENGTH = 64; // IPv6 (EAh) and IP copy service (EBh) descriptors
const B2B_LENGTH = 0x1c;

/** LIST ID USAGE (header byte 1 bits 4-3). */
export const ListIdUsage = { Hold: 0, Reserved: 1, Discard: 2, None: 3 } as const;

/** One CSCD descriptor: where it is, and whether it designates this LU. */
export interface CopyTarget {
  readonly offset: number;
  readonly thisLu: boolean;
}

/** One block→block segment descriptor. */
export interface CopySegment {
  /** Byte offset of the descriptor in the parameter list (for segment pointers). */
  readonly offset: number;
  readonly source: number;
  readonly destination: number;
  readonly blocks: number;
  readonly sourceLba: number;
  readonly destinationLba: number;
}

export interface CopyParameters {
  readonly listId: number;
  readonly listIdUsage: number;
  readonly targets: readonly CopyTarget[];
  readonly segments: readonly CopySegment[];
}

function illegal(code: Asc, byte: number, bit?: number): ScsiCheckCondition {
  return invalidFieldInParameterList(byte, bit, code);
}

/** COPY ABORTED with `code`, pointing at `byte` of the parameter list (SD=0). */
export function copyAborted(code: Asc, byte?: number): ScsiCheckCondition {
  return new ScsiCheckCondition({
    key: SenseKey.CopyAborted,
    asc: code.asc,
    ascq: code.ascq,
    ...(byte === undefined ? {} : { fieldPointer: { inCdb: false, byte } }),
  });
}

/** Whether an identification CSCD's designator (bytes 4-27) is this LU's NAA designator. */
function designatesThisLu(data: Buffer, at: number, profile: LuProfile): boolean {
  const codeSet = data[at + 4]! & 0x0f;
  const association = (data[at + 5]! >> 4) & 0x03;
  const type = data[at + 5]! & 0x0f;
  const length = data[at + 7]!;
  if (length > 20) throw illegal(Ascs.InvalidFieldInParameterList, at + 7);
  const value = data.subarray(at + 8, at + 8 + length);
  return codeSet === 0x01 && association === 0 && type === 0x03 && value.equals(profile.naa);
}

function parseTargets(data: Buffer, start: number, end: number, profile: LuProfile, limits: ThirdPartyCopyLimits): CopyTarget[] {
  const offsets: number[] = [];
  for (let at = start; at < end; ) {
    const type = data[at]!;
    const length = type === 0xea || type === 0xeb ? CSCD_LONG_LENGTH : CSCD_LENGTH;
    if (at + length > end) throw illegal(Ascs.InvalidFieldInParameterList, 2);
    offsets.push(at);
    at += length;
  }
  if (offsets.length > limits.maxCscdDescriptors) throw illegal(Ascs.TooManyTargetDescriptors, 2);
  return offsets.map((at) => {
    if (data[at] !== CSCD_IDENTIFICATION) throw illegal(Ascs.UnsupportedTargetDescriptorType, at);
    // Block devices only (PERIPHERAL DEVICE TYPE 00h).
    if ((data[at + 1]! & 0x1f) !== 0) throw illegal(Ascs.UnsupportedTargetDescriptorType, at + 1);
    const blockLength = data.readUIntBE(at + 29, 3);
    if (blockLength !== profile.blockLength) throw illegal(Ascs.InvalidFieldInParameterList, at + 29);
    return { offset: at, thisLu: designatesThisLu(data, at, profile) };
  });
}

function parseSegments(data: Buffer, start: number, end: number, limits: ThirdPartyCopyLimits): CopySegment[] {
  const offsets: number[] = [];
  for (let at = start; at < end; ) {
    if (at + 4 > end) throw parameterListLengthError();
    const length = 4 + data.readUInt16BE(at + 2);
    if (at + length > end) throw parameterListLengthError();
    offsets.push(at);
    at += length;
  }
  if (offsets.length > limits.maxSegmentDescriptors) throw illegal(Ascs.TooManySegmentDescriptors, 8);
  return offsets.map((at) => {
    if (data[at] !== SEGMENT_BLOCK_TO_BLOCK) throw illegal(Ascs.UnsupportedSegmentDescriptorType, at);
    if (4 + data.readUInt16BE(at + 2) !== B2B_LENGTH) throw illegal(Ascs.InvalidFieldInParameterList, at + 2);
    // DC (byte 1 bit 1) counts destination blocks; CAT (bit 0) is about residues. Source and
    // destination are this LU, with one block length, so neither changes anything.
    return {
      offset: at,
      source: data.readUInt16BE(at + 4),
      destination: data.readUInt16BE(at + 6),
      blocks: data.readUInt16BE(at + 10),
      sourceLba: Number(data.readBigUInt64BE(at + 12)),
      destinationLba: Number(data.readBigUInt64BE(at + 20)),
    };
  });
}

/** Parse a (non-empty) LID1 parameter list of exactly PARAMETER LIST LENGTH bytes. */
export function parseCopyParameters(data: Buffer, profile: LuProfile, limits: ThirdPartyCopyLimits): CopyParameters {
  if (data.length < HEADER_LENGTH) throw parameterListLengthError();
  const listId = data[0]!;
  const listIdUsage = (data[1]! >> 3) & 0x03;
  const cscdLength = data.readUInt16BE(2);
  const segmentLength = data.readUInt32BE(8);
  const inlineLength = data.readUInt32BE(12);
  if (cscdLength + segmentLength > limits.maxDescriptorListLength) throw parameterListLengthError();
  if (HEADER_LENGTH + cscdLength + segmentLength + inlineLength > data.length) throw parameterListLengthError();
  if (listIdUsage === ListIdUsage.Reserved) throw illegal(Ascs.InvalidFieldInParameterList, 1, 4);
  if (listIdUsage === ListIdUsage.None && listId !== 0) throw illegal(Ascs.InvalidFieldInParameterList, 0);
  // MAXIMUM INLINE DATA LENGTH is 0: block→block segments never use inline data.
  if (inlineLength !== 0) throw illegal(Ascs.InvalidFieldInParameterList, 12);
  const segmentsAt = HEADER_LENGTH + cscdLength;
  const targets = parseTargets(data, HEADER_LENGTH, segmentsAt, profile, limits);
  const segments = parseSegments(data, segmentsAt, segmentsAt + segmentLength, limits);
  return { listId, listIdUsage, targets, segments };
}

/** COPY ABORTED unless `segment` copies between blocks of this LU that exist. */
export function checkSegment(params: CopyParameters, segment: CopySegment, profile: LuProfile): void {
  for (const [index, at] of [
    [segment.source, segment.offset + 4],
    [segment.destination, segment.offset + 6],
  ] as const) {
    const target = params.targets[index];
    if (target === undefined) throw copyAborted(CopyAscs.UnreachableCopyTarget, at);
    if (!target.thisLu) throw copyAborted(Ascs.CopyTargetDeviceNotReachable, at);
  }
  const { blockCount } = profile;
  if (segment.sourceLba > blockCount || segment.sourceLba + segment.blocks > blockCount) {
    throw copyAborted(Ascs.NoAdditionalSense, segment.offset + 12);
  }
  if (segment.destinationLba > blockCount || segment.destinationLba + segment.blocks > blockCount) {
    throw copyAborted(Ascs.NoAdditionalSense, segment.offset + 20);
  }
}
