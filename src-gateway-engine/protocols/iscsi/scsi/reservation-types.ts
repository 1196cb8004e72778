import { Op } from './opcodes.js';

/**
 * Persistent reservation types (SPC-4 6.16.3.4) and which commands an I_T nexus that does
 * not hold the reservation may still run (SPC-4 5.13.1 table 57, SBC-3 4.17 table 13).
 *
 *                       holder   registered non-holder   unregistered
 *   WRITE EXCLUSIVE      all      reads                   reads
 *   EXCLUSIVE ACCESS     all      none                    none
 *   WE REGISTRANTS ONLY  all      all                     reads
 *   EA REGISTRANTS ONLY  all      all                     none
 *   WE ALL REGISTRANTS   all      (every registrant holds) reads
 *   EA ALL REGISTRANTS   all      (every registrant holds) none
 *
 * "none" still lets through the commands every nexus may always run (INQUIRY, REPORT LUNS,
 * TEST UNIT READY, READ CAPACITY, PERSISTENT RESERVE IN/OUT...).
 */

export const PrType = {
  WriteExclusive: 0x1,
  ExclusiveAccess: 0x3,
  WriteExclusiveRegistrantsOnly: 0x5,
  ExclusiveAccessRegistrantsOnly: 0x6,
  WriteExclusiveAllRegistrants: 0x7,
  ExclusiveAccessAllRegistrants: 0x8,
} as const;

export type PrTypeCode = (typeof PrType)[keyof typeof PrType];

export function isPrType(type: number): type is PrTypeCode {
  return (Object.values(PrType) as number[]).includes(type);
}

/** Every registrant is a reservation holder (and READ RESERVATION reports key 0). */
export function isAllRegistrants(type: PrTypeCode): boolean {
  return type === PrType.WriteExclusiveAllRegistrants || type === PrType.ExclusiveAccessAllRegistrants;
}

/** Registered nexuses get full access even when they do not hold the reservation. */
export function isRegistrantsOnly(type: PrTypeCode): boolean {
  return type === PrType.WriteExclusiveRegistrantsOnly || type === PrType.ExclusiveAccessRegistrantsOnly;
}

/** Write-exclusive family: anyone may still read. */
export function isWriteExclusive(type: PrTypeCode): boolean {
  return type === PrType.WriteExclusive || type === PrType.WriteExclusiveRegistrantsOnly || type === PrType.WriteExclusiveAllRegistrants;
}

/** PERSISTENT RESERVATION TYPE MASK of REPORT CAPABILITIES (bytes 4-5): all six types. */
export const PR_TYPE_MASK = 0x8000 | 0x4000 | 0x2000 | 0x0800 | 0x0200 | 0x0001;

/** How a command fares under a reservation it does not hold. */
export type CommandClass = 'always' | 'read' | 'write';

const ALWAYS = new Set<number>([
  Op.TestUnitReady,
  Op.RequestSense,
  Op.Inquiry,
  0x4d, // LOG SENSE
  Op.ReadCapacity10,
  Op.ReportLuns,
  Op.PersistentReserveIn,
  Op.PersistentReserveOut, // its service actions check registration themselves
  Op.Reserve6,
  Op.Release6,
  0x56, // RESERVE(10)
  0x57, // RELEASE(10)
]);

const READS = new Set<number>([
  Op.Read6,
  Op.Read10,
  0xa8, // READ(12)
  Op.Read16,
  Op.Verify10,
  Op.Verify12,
  Op.Verify16,
  Op.PreFetch10,
  Op.PreFetch16,
  Op.ModeSense6,
  Op.ModeSense10,
  Op.ReadDefectData10,
  Op.ReadDefectData12,
  0x3c, // READ BUFFER
  0x1c, // RECEIVE DIAGNOSTIC RESULTS
  0x3e, // READ LONG(10)
  0x8c, // READ ATTRIBUTE
  0xa2, // SECURITY PROTOCOL IN
  Op.ReceiveCopyResults,
  Op.PreventAllowMediumRemoval,
]);

/** Classify a CDB for the reservation tables; anything unknown counts as a write. */
export function classify(cdb: Buffer): CommandClass {
  const op = cdb[0]!;
  if (ALWAYS.has(op)) return 'always';
  if (READS.has(op)) return 'read';
  if (op === Op.ServiceActionIn16) {
    const sa = (cdb[1] ?? 0) & 0x1f;
    if (sa === 0x10) return 'always'; // READ CAPACITY(16)
    return 'read'; // GET LBA STATUS and friends
  }
  if (op === Op.MaintenanceIn) {
    const sa = (cdb[1] ?? 0) & 0x1f;
    // REPORT IDENTIFYING INFORMATION, REPORT TARGET PORT GROUPS, REPORT PRIORITY, REPORT TIMESTAMP.
    if (sa === 0x05 || sa === 0x0a || sa === 0x0e || sa === 0x0f) return 'always';
    return 'read'; // REPORT SUPPORTED OPERATION CODES / TASK MANAGEMENT FUNCTIONS
  }
  return 'write';
}

/** Does a command of class `cls` conflict with a `type` reservation, for a nexus that does not hold it? */
export function nonHolderConflicts(type: PrTypeCode, cls: CommandClass, registered: boolean): boolean {
  if (cls === 'always') return false;
  if (registered && (isRegistrantsOnly(type) || isAllRegistrants(type))) return false;
  if (cls === 'read' && isWriteExclusive(type)) return false;
  return true;
}

/**
 * Commands another nexus may still run while a RESERVE(6) reservation is held (SPC-2 5.5.1):
 * INQUIRY, REQUEST SENSE, REPORT LUNS, RELEASE (a no-op for it), and REPORT TARGET PORT GROUPS
 * so that path checkers keep working.
 */
export function allowedUnderReserve6(cdb: Buffer): boolean {
  const op = cdb[0]!;
  if (op === Op.Inquiry || op === Op.RequestSense || op === Op.ReportLuns) return true;
  if (op === Op.Release6 || op === 0x57 || op === Op.Reserve6 || op === 0x56) return true; // decided by reserve6/release6
  return op === Op.MaintenanceIn && ((cdb[1] ?? 0) & 0x1f) === 0x0a;
}
