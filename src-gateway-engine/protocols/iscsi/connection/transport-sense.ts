import { Ascs, fixedSense, SenseKey } from '../scsi/sense.js';

/**
 * Sense data the transport itself answers with, for commands it refuses before the logical
 * unit sees them (the EDTL disagrees with the CDB, a write too large to buffer).
 */
export function invalidFieldInInformationUnit(): Buffer {
  return fixedSense({ key: SenseKey.IllegalRequest, ...Ascs.InvalidFieldInInformationUnit });
}

/** The logical unit failed in a way it did not report itself. */
export function internalTargetFailure(): Buffer {
  return fixedSense({ key: SenseKey.HardwareError, ...Ascs.InternalTargetFailure });
}

/** A write larger than the maximum transfer length the logical unit advertises. */
export function transferTooLong(): Buffer {
  return fixedSense({ key: SenseKey.IllegalRequest, ...Ascs.InvalidFieldInCdb });
}

/** A Data-Out sequence was broken (wrong DataSN or offset): the command fails, the connection goes on. */
export function dataPhaseError(): Buffer {
  return fixedSense({ key: SenseKey.AbortedCommand, ...Ascs.DataPhaseError });
}
