import type { BlockDevice } from '../../../device/block-device.js';
import { RangeLock } from '../../../volume/range-lock.js';
import { silentLogger, type Logger } from '../../nbd/logger.js';
import { capacityCommands } from './capacity.js';
import type { CommandContext, CommandSpec } from './command-spec.js';
import { compareAndWriteCommands } from './compare-and-write.js';
import { forgetCopyResults } from './extended-copy-state.js';
import { copyLimits, extendedCopyCommands } from './extended-copy.js';
import { lbaStatusCommands } from './lba-status.js';
import type { LuProfile } from './lu-profile.js';
import { ModePages } from './mode-pages.js';
import { Op } from './opcodes.js';
import { orWriteCommands } from './orwrite.js';
import { PersistentReservations } from './persistent-reservations.js';
import { prefetchCommands } from './prefetch.js';
import { readDefectDataCommands } from './read-defect-data.js';
import { readWriteCommands } from './read-write.js';
import { receiveCopyResultsCommands } from './receive-copy-results.js';
import { reportLunsCommands } from './report-luns.js';
import { reportOpcodesCommands, serviceActionOpcodes } from './report-opcodes.js';
import { requestSenseCommands } from './request-sense.js';
import { ScsiStatus, type ItNexus, type LogicalUnit, type ResetKind, type ScsiRequest, type ScsiResponse } from './scsi-contract.js';
import {
  Ascs,
  SenseKey,
  encodeSense,
  invalidFieldInCdb,
  invalidOperationCode,
  reformatSense,
  senseForError,
  writeProtected,
  type Sense,
} from './sense.js';
import { spcCommands } from './spc-commands.js';
import { startStopCommands } from './start-stop.js';
import { syncCacheCommands } from './sync-cache.js';
import { testUnitReadyCommands } from './test-unit-ready.js';
import { UnitAttentions } from './unit-attention.js';
import { unmapCommands } from './unmap.js';
import { verifyCommands } from './verify.js';
import { writeAtomicCommands } from './write-atomic.js';
import { writeSameCommands } from './write-same.js';

/**
 * The SCSI device server of one block volume (SAM-5 / SPC-4 / SBC-3). Every command goes
 * through the same steps, in the order SAM-5 gives them precedence:
 *
 *   1. a pending unit attention of the nexus is reported (INQUIRY, REPORT LUNS and REQUEST
 *      SENSE excepted — see unit-attention.ts);
 *   2. the opcode (and service action) is looked up in the dispatch table: unknown ones are
 *      INVALID COMMAND OPERATION CODE (or INVALID FIELD IN CDB on the service action);
 *   3. RESERVATION CONFLICT when the reservations module says the nexus may not run it —
 *      decided from the CDB alone, so it could be decided before any Data-Out arrives;
 *   4. a command that changes the medium on a write-protected LU (read-only volume, or SWP
 *      in the Control mode page) is DATA PROTECT / WRITE PROTECTED;
 *   5. the command runs; a ScsiCheckCondition or TidegateError it throws becomes CHECK
 *      CONDITION with sense in the format D_SENSE selects (senseForError is the mapping).
 *
 * execute() never rejects. All writers of the LU share one RangeLock (block-io.ts), which
 * is what makes COMPARE AND WRITE atomic across sessions.
 */

export interface BlockLogicalUnitOptions {
  device: BlockDevice;
  profile: LuProfile;
  logger?: Logger;
  /** Where persistent reservations are kept across restarts (APTPL); memory only when absent. */
  reservationStatePath?: string;
  /** The target's LUNs, for REPORT LUNS; default: only the LUN the command was sent to. */
  reportLuns?: () => number[];
}

/** Create the logical unit of a block volume. */
export function createBlockLogicalUnit(options: BlockLogicalUnitOptions): LogicalUnit {
  return new BlockLogicalUnit(options);
}

/** The full dispatch table for `profile` (exported for REPORT SUPPORTED OPERATION CODES tests). */
export function blockCommandTable(profile: LuProfile, selecting: { nexus: ItNexus | undefined }): CommandSpec[] {
  return [
    ...testUnitReadyCommands,
    ...requestSenseCommands,
    ...readWriteCommands,
    ...verifyCommands,
    ...compareAndWriteCommands,
    ...orWriteCommands,
    ...writeAtomicCommands(profile),
    ...writeSameCommands,
    ...unmapCommands,
    ...capacityCommands,
    ...lbaStatusCommands,
    ...syncCacheCommands,
    ...prefetchCommands,
    ...startStopCommands,
    ...readDefectDataCommands,
    ...reportLunsCommands,
    ...reportOpcodesCommands,
    ...extendedCopyCommands,
    ...receiveCopyResultsCommands,
    ...spcCommands({ thirdPartyCopy: true, copyLimits: copyLimits(profile) }, selecting),
  ];
}

const RESET_UA: Record<ResetKind, (typeof Ascs)[keyof typeof Ascs]> = {
  'lun-reset': Ascs.BusDeviceResetFunctionOccurred,
  'target-warm-reset': Ascs.PowerOnResetOccurred,
  'target-cold-reset': Ascs.PowerOnOccurred,
};

class BlockLogicalUnit implements LogicalUnit {
  private readonly ctx: CommandContext;
  private readonly byOpcode = new Map<number, CommandSpec>();
  private readonly byServiceAction = new Map<number, Map<number, CommandSpec>>();
  private readonly unitAttentions = new UnitAttentions();
  private readonly modePages: ModePages;
  private readonly reservations: PersistentReservations;
  /** The nexus whose MODE SELECT is running (ModePages' change callback is synchronous). */
  private readonly selecting: { nexus: ItNexus | undefined } = { nexus: undefined };
  private lastLun = 0;

  constructor(options: BlockLogicalUnitOptions) {
    const { profile } = options;
    this.modePages = new ModePages(profile, {
      onChanged: () => this.unitAttentions.establishAll(Ascs.ModeParametersChanged, this.selecting.nexus?.id),
    });
    this.reservations = new PersistentReservations(
      options.reservationStatePath === undefined ? {} : { statePath: options.reservationStatePath },
    );
    const commands = blockCommandTable(profile, this.selecting);
    for (const spec of commands) {
      if (spec.serviceAction === undefined) this.byOpcode.set(spec.opcode, spec);
      else {
        let m = this.byServiceAction.get(spec.opcode);
        if (m === undefined) this.byServiceAction.set(spec.opcode, (m = new Map()));
        m.set(spec.serviceAction, spec);
      }
    }
    const reportLuns = options.reportLuns;
    this.ctx = {
      device: options.device,
      profile,
      lock: new RangeLock(),
      logger: options.logger ?? silentLogger,
      modePages: this.modePages,
      reservations: this.reservations,
      unitAttentions: this.unitAttentions,
      luns: reportLuns ?? (() => [this.lastLun]),
      commands,
    };
    if (serviceActionOpcodes(commands).size !== this.byServiceAction.size) throw new Error('dispatch table: inconsistent service actions');
  }

  /** The table entry for a CDB; undefined for an unknown opcode or service action. */
  private lookup(cdb: Buffer): CommandSpec | undefined {
    const opcode = cdb[0];
    if (opcode === undefined) return undefined;
    const bySa = this.byServiceAction.get(opcode);
    if (bySa === undefined) return this.byOpcode.get(opcode);
    const sa = (cdb[1] ?? 0) & 0x1f;
    // PERSISTENT RESERVE IN/OUT: the reservations module judges every service action itself.
    if (opcode === Op.PersistentReserveIn || opcode === Op.PersistentReserveOut) return bySa.get(sa) ?? bySa.values().next().value;
    return bySa.get(sa);
  }

  dataOutLength(cdb: Buffer): number | null {
    const spec = this.lookup(cdb);
    if (spec === undefined) return null;
    try {
      return spec.dataOutLength(cdb, this.ctx.profile);
    } catch {
      // A malformed CDB: execute() will say what is wrong with it.
      return null;
    }
  }

  async execute(request: ScsiRequest): Promise<ScsiResponse> {
    let spec: CommandSpec | undefined;
    try {
      this.lastLun = request.lun;
      const response = await this.run(request, (s) => (spec = s));
      if (response.sense !== undefined) response.sense = reformatSense(response.sense, this.descriptorSense());
      return response;
    } catch (err) {
      const sense = senseForError(err, spec?.direction ?? 'other');
      if (sense.key !== SenseKey.IllegalRequest && sense.key !== SenseKey.Miscompare && sense.key !== SenseKey.DataProtect) {
        this.ctx.logger.warn('SCSI command failed', { opcode: request.cdb[0], nexus: request.nexus.id, err });
      }
      return this.checkCondition(sense, request.cdb, spec);
    }
  }

  private async run(request: ScsiRequest, found: (spec: CommandSpec) => void): Promise<ScsiResponse> {
    const { cdb, nexus } = request;
    if (cdb.length === 0) throw invalidFieldInCdb(0);
    const ua = this.unitAttentions.takeFor(nexus.id, cdb[0]!);
    if (ua !== undefined) return this.checkCondition(ua, cdb, undefined);
    const spec = this.lookup(cdb);
    if (spec === undefined) {
      if (this.byServiceAction.has(cdb[0]!)) throw invalidFieldInCdb(1, 4);
      throw invalidOperationCode();
    }
    found(spec);
    if (this.reservations.conflicts(cdb, nexus)) return { status: ScsiStatus.ReservationConflict };
    if (spec.modifiesMedium === true && (this.ctx.profile.readOnly || this.modePages.softwareWriteProtect)) throw writeProtected();
    const response = await spec.execute(this.ctx, request);
    const wants = spec.dataOutLength(cdb, this.ctx.profile);
    return wants > 0 && response.dataOutLength === undefined ? { ...response, dataOutLength: wants } : response;
  }

  private descriptorSense(): boolean {
    return this.modePages.descriptorSense;
  }

  private checkCondition(sense: Sense, cdb: Buffer, spec: CommandSpec | undefined): ScsiResponse {
    const response: ScsiResponse = { status: ScsiStatus.CheckCondition, sense: encodeSense(sense, this.descriptorSense()) };
    if (spec !== undefined) {
      try {
        const wants = spec.dataOutLength(cdb, this.ctx.profile);
        if (wants > 0) response.dataOutLength = wants;
      } catch {
        // malformed CDB: no length to report
      }
    }
    return response;
  }

  nexusAdded(nexus: ItNexus): void {
    this.unitAttentions.added(nexus.id);
    forgetCopyResults(this.ctx, nexus.id);
    this.reservations.nexusAdded(nexus);
  }

  nexusLost(nexus: ItNexus): void {
    this.unitAttentions.lost(nexus.id);
    forgetCopyResults(this.ctx, nexus.id);
    this.reservations.nexusLost(nexus);
  }

  reset(kind: ResetKind, by: ItNexus): void {
    this.ctx.logger.info('logical unit reset', { kind, by: by.id });
    this.reservations.reset(kind);
    if (kind !== 'lun-reset') this.modePages.reset();
    // Every nexus hears of it, the one that asked for it included (SAM-5 6.3).
    this.unitAttentions.establishAll(RESET_UA[kind]);
  }

  tasksClearedBy(by: ItNexus, affected: ItNexus[]): void {
    for (const nexus of affected) {
      if (nexus.id !== by.id) this.unitAttentions.establish(nexus.id, Ascs.CommandsClearedByAnotherInitiator);
    }
  }
}
