import { ErrorCode, TidegateError } from '../../../errors/index.js';

/**
 * Sense data (SPC-4 4.5): the fixed (0x70) and descriptor (0x72) formats, the sense keys
 * and additional sense codes this device server reports, and THE one mapping from an
 * engine error to sense (`senseForError`). Command code never builds sense bytes itself:
 * it throws a `ScsiCheckCondition` carrying a `Sense`, and the dispatcher encodes it in the
 * format the Control mode page's D_SENSE bit asks for.
 */

export const SenseKey = {
  NoSense: 0x0,
  RecoveredError: 0x1,
  NotReady: 0x2,
  MediumError: 0x3,
  HardwareError: 0x4,
  IllegalRequest: 0x5,
  UnitAttention: 0x6,
  DataProtect: 0x7,
  CopyAborted: 0xa,
  AbortedCommand: 0xb,
  Miscompare: 0xe,
} as const;

/** An additional sense code and qualifier. */
export interface Asc {
  readonly asc: number;
  readonly ascq: number;
}

const asc = (code: number, qualifier: number): Asc => Object.freeze({ asc: code, ascq: qualifier });

/** The ASC/ASCQ pairs we report, named as in SPC-4 Annex D. */
export const Ascs = {
  NoAdditionalSense: asc(0x00, 0x00),
  NotReadyCauseNotReportable: asc(0x04, 0x00),
  NotReadyBecomingReady: asc(0x04, 0x01),
  NotReadyManualIntervention: asc(0x04, 0x03),
  LuCommunicationFailure: asc(0x08, 0x00),
  LuCommunicationTimeout: asc(0x08, 0x01),
  WriteError: asc(0x0c, 0x00),
  InvalidFieldInInformationUnit: asc(0x0e, 0x03),
  UnrecoveredReadError: asc(0x11, 0x00),
  ParameterListLengthError: asc(0x1a, 0x00),
  MiscompareDuringVerify: asc(0x1d, 0x00),
  InvalidCommandOperationCode: asc(0x20, 0x00),
  LbaOutOfRange: asc(0x21, 0x00),
  InvalidFieldInCdb: asc(0x24, 0x00),
  LogicalUnitNotSupported: asc(0x25, 0x00),
  InvalidFieldInParameterList: asc(0x26, 0x00),
  UnsupportedTargetDescriptorType: asc(0x26, 0x07),
  UnsupportedSegmentDescriptorType: asc(0x26, 0x09),
  TooManyTargetDescriptors: asc(0x26, 0x06),
  TooManySegmentDescriptors: asc(0x26, 0x08),
  WriteProtected: asc(0x27, 0x00),
  SpaceAllocationFailedWriteProtect: asc(0x27, 0x07),
  PowerOnResetOccurred: asc(0x29, 0x00),
  PowerOnOccurred: asc(0x29, 0x01),
  BusResetOccurred: asc(0x29, 0x02),
  BusDeviceResetFunctionOccurred: asc(0x29, 0x03),
  ItNexusLossOccurred: asc(0x29, 0x07),
  ModeParametersChanged: asc(0x2a, 0x01),
  ReservationsPreempted: asc(0x2a, 0x03),
  ReservationsReleased: asc(0x2a, 0x04),
  RegistrationsPreempted: asc(0x2a, 0x05),
  CommandsClearedByAnotherInitiator: asc(0x2f, 0x00),
  SavingParametersNotSupported: asc(0x39, 0x00),
  ReportedLunsDataChanged: asc(0x3f, 0x0e),
  InternalTargetFailure: asc(0x44, 0x00),
  DataPhaseError: asc(0x4b, 0x00),
  CopyTargetDeviceNotReachable: asc(0x0d, 0x02),
} as const;

/** Where in the CDB or parameter list the offending field is (sense-key specific, SKSV=1). */
export interface FieldPointer {
  /** True when the field is in the CDB (C/D=1), false for the parameter list. */
  readonly inCdb: boolean;
  readonly byte: number;
  /** Bit within the byte (0-7), when one bit is to blame. */
  readonly bit?: number;
}

/** Everything a CHECK CONDITION says, before it is encoded. */
export interface Sense {
  readonly key: number;
  readonly asc: number;
  readonly ascq: number;
  /** The INFORMATION field (e.g. the offset of a miscompare); omitted = VALID 0. */
  readonly information?: bigint | number;
  readonly fieldPointer?: FieldPointer;
}

/** A CHECK CONDITION thrown by command code; the dispatcher turns it into a response. */
export class ScsiCheckCondition extends Error {
  constructor(readonly sense: Sense) {
    super(`CHECK CONDITION key 0x${sense.key.toString(16)} asc 0x${sense.asc.toString(16)}/0x${sense.ascq.toString(16)}`);
    this.name = 'ScsiCheckCondition';
  }
}

/** A CHECK CONDITION with the given key and ASC/ASCQ (and INFORMATION field). */
export function checkCondition(key: number, code: Asc, information?: bigint | number): ScsiCheckCondition {
  return new ScsiCheckCondition({ key, asc: code.asc, ascq: code.ascq, ...(information === undefined ? {} : { information }) });
}

/** ILLEGAL REQUEST, INVALID FIELD IN CDB, pointing at `byte` (and `bit`) of the CDB. */
export function invalidFieldInCdb(byte: number, bit?: number): ScsiCheckCondition {
  return new ScsiCheckCondition({
    key: SenseKey.IllegalRequest,
    ...Ascs.InvalidFieldInCdb,
    fieldPointer: { inCdb: true, byte, ...(bit === undefined ? {} : { bit }) },
  });
}

/** ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST, pointing at `byte` of the Data-Out. */
export function invalidFieldInParameterList(byte: number, bit?: number, code: Asc = Ascs.InvalidFieldInParameterList): ScsiCheckCondition {
  return new ScsiCheckCondition({
    key: SenseKey.IllegalRequest,
    ...code,
    fieldPointer: { inCdb: false, byte, ...(bit === undefined ? {} : { bit }) },
  });
}

/** ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (pointing at byte 0). */
export function invalidOperationCode(): ScsiCheckCondition {
  return new ScsiCheckCondition({
    key: SenseKey.IllegalRequest,
    ...Ascs.InvalidCommandOperationCode,
    fieldPointer: { inCdb: true, byte: 0 },
  });
}

/** ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE. */
export function lbaOutOfRange(): ScsiCheckCondition {
  return checkCondition(SenseKey.IllegalRequest, Ascs.LbaOutOfRange);
}

/** ILLEGAL REQUEST, PARAMETER LIST LENGTH ERROR. */
export function parameterListLengthError(): ScsiCheckCondition {
  return checkCondition(SenseKey.IllegalRequest, Ascs.ParameterListLengthError);
}

/** DATA PROTECT, WRITE PROTECTED (a read-only volume). */
export function writeProtected(): ScsiCheckCondition {
  return checkCondition(SenseKey.DataProtect, Ascs.WriteProtected);
}

/** Which way the failed command moved data; only changes the ASC of a medium error. */
export type ErrorDirection = 'read' | 'write' | 'other';

/**
 * THE mapping from an engine error to sense. Switches on the stable code, never on message
 * text. The choices follow what initiators do with them: NOT READY 04/01 and ABORTED
 * COMMAND are retried by Linux, Windows and ESXi (a handoff or a store outage is a pause,
 * not an error); MEDIUM/HARDWARE ERROR fail the I/O up to the file system.
 */
export function senseForError(err: unknown, direction: ErrorDirection = 'other'): Sense {
  if (err instanceof ScsiCheckCondition) return err.sense;
  const s = (key: number, code: Asc): Sense => ({ key, asc: code.asc, ascq: code.ascq });
  if (!(err instanceof TidegateError)) return s(SenseKey.HardwareError, Ascs.InternalTargetFailure);
  switch (err.code) {
    case ErrorCode.OutOfRange:
      return s(SenseKey.IllegalRequest, Ascs.LbaOutOfRange);
    case ErrorCode.InvalidArgument:
    case ErrorCode.NotSupported:
      return s(SenseKey.IllegalRequest, Ascs.InvalidFieldInCdb);
    case ErrorCode.NotFound:
      // The volume went away under the LUN.
      return s(SenseKey.IllegalRequest, Ascs.LogicalUnitNotSupported);
    case ErrorCode.NoSpace:
      // SBC-3 thin provisioning: the write could not get space; the LU stays readable.
      return s(SenseKey.DataProtect, Ascs.SpaceAllocationFailedWriteProtect);
    case ErrorCode.IoError:
    case ErrorCode.Corrupt:
      if (direction === 'read') return s(SenseKey.MediumError, Ascs.UnrecoveredReadError);
      if (direction === 'write') return s(SenseKey.MediumError, Ascs.WriteError);
      return s(SenseKey.HardwareError, Ascs.InternalTargetFailure);
    case ErrorCode.VolumeFailed:
      // A failed fsync fail-stops the volume: nothing will succeed until a restart.
      return s(SenseKey.HardwareError, Ascs.InternalTargetFailure);
    case ErrorCode.VolumeOwned:
      // Fenced out by another gateway: fail the path so multipath moves on.
      return s(SenseKey.NotReady, Ascs.NotReadyManualIntervention);
    case ErrorCode.ShuttingDown:
      // "Becoming ready" is retried by every initiator: during a handoff the new engine takes over.
      return s(SenseKey.NotReady, Ascs.NotReadyBecomingReady);
    case ErrorCode.StoreUnavailable:
      return s(SenseKey.AbortedCommand, Ascs.LuCommunicationFailure);
    case ErrorCode.Timeout:
      return s(SenseKey.AbortedCommand, Ascs.LuCommunicationTimeout);
    case ErrorCode.BucketMissing:
    case ErrorCode.AccessDenied:
      return s(SenseKey.HardwareError, Ascs.LuCommunicationFailure);
    default:
      return s(SenseKey.HardwareError, Ascs.InternalTargetFailure);
  }
}

const FIXED_LENGTH = 18;

/** Sense-key specific bytes (SPC-4 4.5.2.4.2) for a field pointer: SKSV, C/D, BPV, bit, field. */
function senseKeySpecific(fp: FieldPointer): Buffer {
  const b = Buffer.alloc(3);
  b[0] = 0x80 | (fp.inCdb ? 0x40 : 0) | (fp.bit === undefined ? 0 : 0x08 | (fp.bit & 7));
  b.writeUInt16BE(fp.byte & 0xffff, 1);
  return b;
}

/** Fixed-format sense (0x70). INFORMATION is 4 bytes: larger values are left out (VALID 0). */
export function fixedSense(sense: Sense): Buffer {
  const b = Buffer.alloc(FIXED_LENGTH);
  b[0] = 0x70;
  b[2] = sense.key & 0x0f;
  if (sense.information !== undefined) {
    const info = BigInt(sense.information);
    if (info >= 0n && info <= 0xffffffffn) {
      b[0] |= 0x80;
      b.writeUInt32BE(Number(info), 3);
    }
  }
  b[7] = FIXED_LENGTH - 8;
  b[12] = sense.asc;
  b[13] = sense.ascq;
  if (sense.fieldPointer !== undefined) senseKeySpecific(sense.fieldPointer).copy(b, 15);
  return b;
}

/**
 * Descriptor-format sense (0x72): an Information descriptor first, then a sense-key specific
 * one (some initiators parse only the first descriptor).
 */
export function descriptorSense(sense: Sense): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(8);
  header[0] = 0x72;
  header[1] = sense.key & 0x0f;
  header[2] = sense.asc;
  header[3] = sense.ascq;
  parts.push(header);
  if (sense.information !== undefined) {
    const d = Buffer.alloc(12);
    d[0] = 0x00;
    d[1] = 0x0a;
    d[2] = 0x80; // VALID
    d.writeBigUInt64BE(BigInt.asUintN(64, BigInt(sense.information)), 4);
    parts.push(d);
  }
  if (sense.fieldPointer !== undefined) {
    const d = Buffer.alloc(8);
    d[0] = 0x02;
    d[1] = 0x06;
    senseKeySpecific(sense.fieldPointer).copy(d, 4);
    parts.push(d);
  }
  const out = Buffer.concat(parts);
  out[7] = out.length - 8;
  return out;
}

/** Encode in the format D_SENSE selects. */
export function encodeSense(sense: Sense, descriptor: boolean): Buffer {
  return descriptor ? descriptorSense(sense) : fixedSense(sense);
}

/** Decode either format back into a `Sense` (to re-encode sense built by another module). */
export function decodeSense(data: Buffer): Sense | undefined {
  if (data.length < 8) return undefined;
  const code = data[0]! & 0x7f;
  if (code === 0x70 || code === 0x71) {
    if (data.length < 14) return undefined;
    const fp = data.length >= 18 && (data[15]! & 0x80) !== 0 ? parseSks(data.subarray(15, 18)) : undefined;
    return {
      key: data[2]! & 0x0f,
      asc: data[12]!,
      ascq: data[13]!,
      ...((data[0]! & 0x80) !== 0 ? { information: data.readUInt32BE(3) } : {}),
      ...(fp === undefined ? {} : { fieldPointer: fp }),
    };
  }
  if (code === 0x72 || code === 0x73) {
    let information: bigint | undefined;
    let fieldPointer: FieldPointer | undefined;
    const end = Math.min(data.length, 8 + data[7]!);
    for (let p = 8; p + 2 <= end; p += 2 + data[p + 1]!) {
      const type = data[p]!;
      const len = data[p + 1]!;
      if (type === 0x00 && len === 0x0a && p + 12 <= end && (data[p + 2]! & 0x80) !== 0) information = data.readBigUInt64BE(p + 4);
      if (type === 0x02 && len === 0x06 && p + 7 <= end && (data[p + 4]! & 0x80) !== 0) fieldPointer = parseSks(data.subarray(p + 4, p + 7));
    }
    return {
      key: data[1]! & 0x0f,
      asc: data[2]!,
      ascq: data[3]!,
      ...(information === undefined ? {} : { information }),
      ...(fieldPointer === undefined ? {} : { fieldPointer }),
    };
  }
  return undefined;
}

function parseSks(b: Buffer): FieldPointer {
  return { inCdb: (b[0]! & 0x40) !== 0, byte: b.readUInt16BE(1), ...((b[0]! & 0x08) !== 0 ? { bit: b[0]! & 7 } : {}) };
}

/** Re-encode sense produced elsewhere in the format D_SENSE selects (unknown formats pass through). */
export function reformatSense(data: Buffer, descriptor: boolean): Buffer {
  const code = data[0]! & 0x7f;
  const isDescriptor = code === 0x72 || code === 0x73;
  if (isDescriptor === descriptor) return data;
  const sense = decodeSense(data);
  return sense === undefined ? data : encodeSense(sense, descriptor);
}
