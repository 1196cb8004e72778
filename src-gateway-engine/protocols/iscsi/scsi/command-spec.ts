import type { BlockDevice } from '../../../device/block-device.js';
import type { RangeLock } from '../../../volume/range-lock.js';
import type { Logger } from '../../nbd/logger.js';
import type { LuProfile } from './lu-profile.js';
import type { ModePages } from './mode-pages.js';
import type { PersistentReservations } from './persistent-reservations.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import type { UnitAttentions } from './unit-attention.js';

/** What every command handler may use: the volume, its profile and the LU-wide state. */
export interface CommandContext {
  readonly device: BlockDevice;
  readonly profile: LuProfile;
  /**
   * The LU's write lock, in logical blocks. Every command that modifies the medium takes it
   * over its range, so COMPARE AND WRITE (and WRITE ATOMIC, ORWRITE) are atomic against
   * every other writer of this LU, across all sessions.
   */
  readonly lock: RangeLock;
  readonly logger: Logger;
  readonly modePages: ModePages;
  readonly reservations: PersistentReservations;
  readonly unitAttentions: UnitAttentions;
  /** LUNs of the target, for REPORT LUNS. */
  readonly luns: () => number[];
  /** The dispatch table (REPORT SUPPORTED OPERATION CODES lists exactly it). */
  readonly commands: readonly CommandSpec[];
}

/** One entry of the dispatch table. */
export interface CommandSpec {
  readonly opcode: number;
  /** Service action (byte 1 bits 4-0) for opcodes that have them. */
  readonly serviceAction?: number;
  readonly name: string;
  /**
   * CDB USAGE DATA (SPC-4 6.35.3): one byte per CDB byte, a bit set where the device server
   * looks at that bit. Byte 0 is the opcode (and byte 1 holds the service action if any).
   */
  readonly usage: readonly number[];
  /** Bytes of Data-Out the CDB asks for (0 for none). */
  readonly dataOutLength: (cdb: Buffer, profile: LuProfile) => number;
  /** Run the command; throw ScsiCheckCondition / TidegateError for failures. */
  readonly execute: (ctx: CommandContext, request: ScsiRequest) => Promise<ScsiResponse> | ScsiResponse;
  /** Data direction of a failure, for the medium-error ASC. */
  readonly direction?: 'read' | 'write';
  /** Modifies the medium: refused with WRITE PROTECTED on a read-only volume. */
  readonly modifiesMedium?: boolean;
  /** Nominal and recommended command timeouts in seconds (RCTD), when not the default. */
  readonly timeouts?: { readonly nominal: number; readonly recommended: number };
}

/** Helper for `dataOutLength` of commands without Data-Out. */
export const noDataOut = (): number => 0;

/** GOOD with optional Data-In. */
export function good(dataIn?: Buffer): ScsiResponse {
  return dataIn === undefined ? { status: 0 } : { status: 0, dataIn };
}
