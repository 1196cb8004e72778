/**
 * The boundary between the iSCSI transport (PDUs, sessions, R2T) and the SCSI device
 * server (CDBs, sense data, reservations). The transport never decodes a CDB except
 * through `dataOutLength`; the device server never sees a PDU.
 */

/** One I_T nexus: an initiator port (name + ISID) talking to one target port. */
export interface ItNexus {
  /** Stable key of this nexus: `${initiatorName},i,0x${isid}` + target port. */
  readonly id: string;
  /** iSCSI initiator name (iqn./eui./naa.), as the login gave it. */
  readonly initiatorName: string;
  /** The session's ISID, 12 lower-case hex digits. */
  readonly isid: string;
  /** Relative target port identifier (1-based) the nexus uses. */
  readonly relativeTargetPortId: number;
  /** Target portal group tag. */
  readonly targetPortalGroupTag: number;
}

/** One SCSI command, with all of its Data-Out already received. */
export interface ScsiRequest {
  /** The CDB: 16 bytes from the BHS, longer when an extended-CDB AHS was sent. */
  readonly cdb: Buffer;
  readonly lun: number;
  readonly nexus: ItNexus;
  /** Exactly the Expected Data Transfer Length of the write direction (empty for reads). */
  readonly dataOut: Buffer;
  /** Expected Data Transfer Length for the read direction (0 for writes). */
  readonly expectedDataInLength: number;
  /** SIMPLE 1, ORDERED 2, HEAD OF QUEUE 3, ACA 4 (iSCSI ATTR field); 0 = untagged. */
  readonly taskAttribute: number;
}

export const ScsiStatus = {
  Good: 0x00,
  CheckCondition: 0x02,
  ConditionMet: 0x04,
  Busy: 0x08,
  ReservationConflict: 0x18,
  TaskSetFull: 0x28,
  TaskAborted: 0x40,
} as const;

export interface ScsiResponse {
  status: number;
  /** Data-In as the command produced it; the transport truncates it to the EDTL and sets residuals. */
  dataIn?: Buffer;
  /** Sense data (fixed format 0x70 or descriptor format 0x72), with CHECK CONDITION. */
  sense?: Buffer;
  /**
   * Bytes of Data-Out the CDB asked for (SPDTL of the write direction); the transport
   * reports the difference from the EDTL as an overflow/underflow residual. Omit for
   * commands without Data-Out.
   */
  dataOutLength?: number;
  /**
   * I_T nexuses whose tasks the transport must abort before it sends this response
   * (PERSISTENT RESERVE OUT / PREEMPT AND ABORT). The issuing nexus is never among them.
   */
  abortTasksOf?: ItNexus[];
}

/** What resets and nexus changes a logical unit must hear about (SAM-5 events). */
export type ResetKind = 'lun-reset' | 'target-warm-reset' | 'target-cold-reset';

/** One logical unit (LUN 0 of a target = one volume). */
export interface LogicalUnit {
  /**
   * Bytes of Data-Out this CDB transfers (0 when none, e.g. reads, TUR), decided from the
   * CDB alone; null when the opcode is unknown or the CDB too short to tell. The transport
   * uses it only to check the EDTL against what the command really wants.
   */
  dataOutLength(cdb: Buffer): number | null;
  /** Run one command. Never rejects: every failure is a CHECK CONDITION with sense. */
  execute(request: ScsiRequest): Promise<ScsiResponse>;
  /** A new I_T nexus logged in (session with a new ISID/initiator). */
  nexusAdded(nexus: ItNexus): void;
  /** An I_T nexus ended (logout, dropped connection with no reinstatement in time, session reinstatement). */
  nexusLost(nexus: ItNexus): void;
  /** A LUN reset or target reset took place, issued over `by`; tasks were already aborted by the transport. */
  reset(kind: ResetKind, by: ItNexus): void;
  /** Commands were aborted by a task management function of another nexus (for the COMMANDS CLEARED BY ANOTHER INITIATOR unit attention). */
  tasksClearedBy(by: ItNexus, affected: ItNexus[]): void;
}
