import { Op } from './opcodes.js';
import {
  loadPrState,
  removePrState,
  savePrState,
  type PrRegistration,
  type PrReservation,
  type PrState,
} from './pr-state-file.js';
import { LegacyReservation } from './reserve6.js';
import {
  PR_TYPE_MASK,
  allowedUnderReserve6,
  classify,
  isAllRegistrants,
  isPrType,
  isRegistrantsOnly,
  nonHolderConflicts,
  type PrTypeCode,
} from './reservation-types.js';
import { ScsiStatus, type ItNexus, type ResetKind, type ScsiResponse } from './scsi-contract.js';
import {
  Ascs,
  ScsiCheckCondition,
  SenseKey,
  checkCondition,
  invalidFieldInCdb,
  invalidFieldInParameterList,
  parameterListLengthError,
} from './sense.js';
import {
  TransportIdError,
  decodeTransportId,
  encodeTransportId,
  sameInitiatorName,
  type InitiatorPortId,
} from './transport-id.js';

/**
 * Reservations of one logical unit: SPC-4 persistent reservations (PERSISTENT RESERVE IN /
 * OUT, what Windows failover clustering, VMware and Linux fencing use) and the SPC-2
 * RESERVE(6)/RELEASE(6) reservation.
 *
 * Lock discipline: PERSISTENT RESERVE OUT runs one at a time (a promise chain). Each works
 * on a copy of the state; when APTPL is active the copy is written to the state file before
 * it replaces the live state, so the file never lags what an initiator was told. Everything
 * else (PRIN, `conflicts`, RESERVE(6)) is synchronous and sees only committed state.
 *
 * I_T nexus identity: an initiator port (iSCSI name + ISID) through a relative target port.
 * A registration made with ALL_TG_PT=1 covers that initiator port on every target port.
 *
 * CHECK CONDITIONs are thrown as ScsiCheckCondition; RESERVATION CONFLICT is returned
 * (status 0x18, no sense).
 */

export const PrInAction = { ReadKeys: 0x00, ReadReservation: 0x01, ReportCapabilities: 0x02, ReadFullStatus: 0x03 } as const;

export const PrOutAction = {
  Register: 0x00,
  Reserve: 0x01,
  Release: 0x02,
  Clear: 0x03,
  Preempt: 0x04,
  PreemptAndAbort: 0x05,
  RegisterAndIgnoreExistingKey: 0x06,
  RegisterAndMove: 0x07,
} as const;

/** What a PERSISTENT RESERVE OUT did to other I_T nexuses; the dispatcher raises the unit attentions. */
export interface PrOutResult {
  response: ScsiResponse;
  /** Their registrations were removed by PREEMPT / PREEMPT AND ABORT: UA REGISTRATIONS PREEMPTED (2A/05). */
  preempted?: ItNexus[];
  /** The reservation they shared in was released: UA RESERVATIONS RELEASED (2A/04). */
  released?: ItNexus[];
  /** CLEAR removed their registrations: UA RESERVATIONS PREEMPTED (2A/03). */
  cleared?: ItNexus[];
  /** PREEMPT AND ABORT: abort every task of these nexuses on this LU (as by ABORT TASK SET, no COMMANDS CLEARED UA). */
  abortTasksOf?: ItNexus[];
}

export interface PersistentReservationsOptions {
  /** Where APTPL state lives. Without it APTPL=1 is refused and PTPL_C reads 0. */
  readonly statePath?: string;
}

const CONFLICT: ScsiResponse = Object.freeze({ status: ScsiStatus.ReservationConflict });
const UINT32 = 0x1_0000_0000;

/** Internal: a PROUT handler's verdict. `bump` = increment PRgeneration; `changed` = state to commit/persist. */
type Outcome =
  | { kind: 'conflict' }
  | { kind: 'done'; changed: boolean; bump: boolean; effects?: Omit<PrOutResult, 'response'> };

const conflict: Outcome = { kind: 'conflict' };
const unchanged: Outcome = { kind: 'done', changed: false, bump: false };

/** The parameter list of REGISTER ... PREEMPT AND ABORT (SPC-4 6.17.3). */
interface BasicParameters {
  readonly key: bigint;
  readonly sark: bigint;
  readonly specIpt: boolean;
  readonly allTgPt: boolean;
  readonly aptpl: boolean;
  readonly transportIds: Array<{ id: InitiatorPortId; offset: number }>;
}

/** The parts of an I_T nexus a registration is matched on. */
type NexusName = Pick<ItNexus, 'initiatorName' | 'isid' | 'relativeTargetPortId'>;

function matches(reg: PrRegistration, nexus: NexusName): boolean {
  return (
    sameInitiatorName(reg.initiatorName, nexus.initiatorName) &&
    (reg.isid === null || reg.isid === nexus.isid.toLowerCase()) &&
    (reg.allTgPt || reg.relativeTargetPortId === nexus.relativeTargetPortId)
  );
}

function cloneState(s: PrState): PrState {
  const registrations = s.registrations.map((r) => ({ ...r }));
  const reservation: PrReservation | null =
    s.reservation === null
      ? null
      : {
          ...s.reservation,
          holder: s.reservation.holder === null ? null : registrations[s.registrations.indexOf(s.reservation.holder)]!,
        };
  return { registrations, reservation };
}

/** Persistent and RESERVE(6) reservations of one LU. */
export class PersistentReservations {
  readonly #statePath: string | undefined;
  #state: PrState = { registrations: [], reservation: null };
  #aptpl = false;
  #generation = 0;
  readonly #legacy = new LegacyReservation();
  /** Nexuses seen and not lost: the ones unit attentions can be raised on. */
  readonly #known = new Map<string, ItNexus>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: PersistentReservationsOptions = {}) {
    this.#statePath = opts.statePath;
    if (this.#statePath !== undefined) {
      const loaded = loadPrState(this.#statePath);
      if (loaded !== null) {
        this.#state = loaded;
        this.#aptpl = true;
      }
    }
  }

  /** A new I_T nexus logged in (optional: every other entry point also learns the nexus it is given). */
  nexusAdded(nexus: ItNexus): void {
    this.#known.set(nexus.id, nexus);
  }

  /** The nexus ended: its RESERVE(6) goes, its persistent registration stays (SPC-4 5.13.1). */
  nexusLost(nexus: ItNexus): void {
    if (this.#legacy.heldBy(nexus)) this.#legacy.clear();
    this.#known.delete(nexus.id);
  }

  /** LUN reset and target resets release a RESERVE(6) reservation; persistent ones survive. */
  reset(_kind: ResetKind): void {
    this.#legacy.clear();
  }

  /** PRgeneration (for tests and status). */
  get generation(): number {
    return this.#generation;
  }

  // ---- conflicts -------------------------------------------------------------------

  /**
   * True when `nexus` may not run `cdb` now: answer RESERVATION CONFLICT without running it.
   * Call before every command except those the target itself answers (REPORT LUNS for a
   * missing LU...). RESERVE(6)/RELEASE(6) and PERSISTENT RESERVE OUT never conflict here
   * unless a RESERVE(6) is held: their own entry points decide.
   */
  conflicts(cdb: Buffer, nexus: ItNexus): boolean {
    this.#learn(nexus);
    const op = cdb[0]!;
    if (this.#legacy.holder !== null) {
      // No persistent reservation commands while an SPC-2 reservation exists, not even from its holder.
      if (op === Op.PersistentReserveIn || op === Op.PersistentReserveOut) return true;
      if (this.#legacy.heldByOther(nexus)) return !allowedUnderReserve6(cdb);
      return false;
    }
    const res = this.#state.reservation;
    if (res === null || this.#isHolder(this.#state, nexus)) return false;
    return nonHolderConflicts(res.type, classify(cdb), this.#registrationOf(this.#state, nexus) !== undefined);
  }

  // ---- RESERVE(6) / RELEASE(6) -----------------------------------------------------

  /**
   * RESERVE(6) (0x16). With a persistent reservation in place (SPC-4 5.13.3, CRH=1): a no-op
   * for its holder (or a registrant of a registrants-only/all-registrants type), a conflict
   * for everyone else; any registration without a reservation conflicts too.
   */
  reserve6(nexus: ItNexus, cdb?: Buffer): ScsiResponse {
    this.#learn(nexus);
    // Third-party and extent reservations (byte 1, obsolete) are not supported.
    if (cdb !== undefined && cdb.length >= 2 && (cdb[1]! & 0x1f) !== 0) throw invalidFieldInCdb(1);
    const pr = this.#legacyVersusPersistent(nexus);
    if (pr !== undefined) return pr;
    return this.#legacy.reserve(nexus) ? { status: ScsiStatus.Good } : CONFLICT;
  }

  /** RELEASE(6) (0x17): releases the caller's RESERVE(6); from anyone else a no-op with GOOD. */
  release6(nexus: ItNexus): ScsiResponse {
    this.#learn(nexus);
    const pr = this.#legacyVersusPersistent(nexus);
    if (pr !== undefined) return pr;
    this.#legacy.release(nexus);
    return { status: ScsiStatus.Good };
  }

  #legacyVersusPersistent(nexus: ItNexus): ScsiResponse | undefined {
    const s = this.#state;
    if (s.reservation !== null) {
      const registered = this.#registrationOf(s, nexus) !== undefined;
      const shared = isRegistrantsOnly(s.reservation.type) || isAllRegistrants(s.reservation.type);
      return this.#isHolder(s, nexus) || (registered && shared) ? { status: ScsiStatus.Good } : CONFLICT;
    }
    return s.registrations.length > 0 ? CONFLICT : undefined;
  }

  // ---- PERSISTENT RESERVE IN ---------------------------------------------------------

  /** PERSISTENT RESERVE IN (0x5E): READ KEYS, READ RESERVATION, REPORT CAPABILITIES, READ FULL STATUS. */
  in(cdb: Buffer, nexus: ItNexus): ScsiResponse {
    this.#learn(nexus);
    if (cdb.length < 10) throw invalidFieldInCdb(0);
    if (this.#legacy.holder !== null) return CONFLICT;
    const allocationLength = cdb.readUInt16BE(7);
    let data: Buffer;
    switch (cdb[1]! & 0x1f) {
      case PrInAction.ReadKeys:
        data = this.#readKeys();
        break;
      case PrInAction.ReadReservation:
        data = this.#readReservation();
        break;
      case PrInAction.ReportCapabilities:
        data = this.#reportCapabilities();
        break;
      case PrInAction.ReadFullStatus:
        data = this.#readFullStatus();
        break;
      default:
        throw invalidFieldInCdb(1, 4);
    }
    // ADDITIONAL LENGTH keeps its full value; only the data is cut to the ALLOCATION LENGTH.
    return { status: ScsiStatus.Good, dataIn: data.length > allocationLength ? data.subarray(0, allocationLength) : data };
  }

  #header(additional: number): Buffer {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(this.#generation, 0);
    h.writeUInt32BE(additional, 4);
    return h;
  }

  #readKeys(): Buffer {
    const keys = Buffer.alloc(8 * this.#state.registrations.length);
    this.#state.registrations.forEach((r, i) => keys.writeBigUInt64BE(r.key, i * 8));
    return Buffer.concat([this.#header(keys.length), keys]);
  }

  #readReservation(): Buffer {
    const res = this.#state.reservation;
    if (res === null) return this.#header(0);
    const d = Buffer.alloc(16);
    // All-registrants reservations report key 0 (SPC-4 6.16.3.3).
    d.writeBigUInt64BE(res.holder === null ? 0n : res.holder.key, 0);
    d[13] = (res.scope << 4) | res.type;
    return Buffer.concat([this.#header(16), d]);
  }

  #reportCapabilities(): Buffer {
    const b = Buffer.alloc(8);
    b.writeUInt16BE(8, 0);
    // CRH, SIP_C, ATP_C, PTPL_C
    b[2] = 0x10 | 0x08 | 0x04 | (this.#statePath !== undefined ? 0x01 : 0);
    // TMV, ALLOW COMMANDS=001b (TEST UNIT READY passes WE and EA reservations), PTPL_A
    b[3] = 0x80 | 0x10 | (this.#aptpl ? 0x01 : 0);
    b.writeUInt16BE(PR_TYPE_MASK, 4);
    return b;
  }

  #readFullStatus(): Buffer {
    const res = this.#state.reservation;
    const descriptors = this.#state.registrations.map((r) => {
      const tid = encodeTransportId({ initiatorName: r.initiatorName, isid: r.isid });
      const d = Buffer.alloc(24);
      d.writeBigUInt64BE(r.key, 0);
      const holder = res !== null && (res.holder === null || res.holder === r);
      d[12] = (r.allTgPt ? 0x02 : 0) | (holder ? 0x01 : 0);
      if (holder) d[13] = (res.scope << 4) | res.type;
      d.writeUInt16BE(r.allTgPt ? 0 : r.relativeTargetPortId, 18);
      d.writeUInt32BE(tid.length, 20);
      return Buffer.concat([d, tid]);
    });
    const body = Buffer.concat(descriptors);
    return Buffer.concat([this.#header(body.length), body]);
  }

  // ---- PERSISTENT RESERVE OUT --------------------------------------------------------

  /**
   * PERSISTENT RESERVE OUT (0x5F). `data` is the Data-Out (at least PARAMETER LIST LENGTH
   * bytes, else PARAMETER LIST LENGTH ERROR). Rejects with ScsiCheckCondition.
   */
  out(cdb: Buffer, data: Buffer, nexus: ItNexus): Promise<PrOutResult> {
    this.#learn(nexus);
    const run = this.#queue.then(() => this.#out(cdb, data, nexus));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #out(cdb: Buffer, data: Buffer, nexus: ItNexus): Promise<PrOutResult> {
    if (cdb.length < 10) throw invalidFieldInCdb(0);
    const parameterListLength = cdb.readUInt32BE(5);
    const response = (r: ScsiResponse): ScsiResponse => ({ ...r, dataOutLength: parameterListLength });
    if (this.#legacy.holder !== null) return { response: response(CONFLICT) };
    const action = cdb[1]! & 0x1f;
    const scope = cdb[2]! >> 4;
    const type = cdb[2]! & 0x0f;
    if (action > PrOutAction.RegisterAndMove) throw invalidFieldInCdb(1, 4);
    if (data.length < parameterListLength) throw parameterListLengthError();
    const list = data.subarray(0, parameterListLength);

    const next = cloneState(this.#state);
    let aptpl = this.#aptpl;
    let outcome: Outcome;
    if (action === PrOutAction.RegisterAndMove) {
      const moved = this.#registerAndMove(next, list, nexus);
      outcome = moved.outcome;
      if (moved.outcome.kind === 'done' && moved.outcome.changed) aptpl = moved.aptpl;
    } else {
      const p = this.#basicParameters(list, action);
      const needsType = action === PrOutAction.Reserve || action === PrOutAction.Release || action === PrOutAction.Preempt || action === PrOutAction.PreemptAndAbort;
      if (needsType) {
        if (scope !== 0) throw invalidFieldInCdb(2, 7); // LU_SCOPE only
        if (!isPrType(type)) throw invalidFieldInCdb(2, 3);
      }
      switch (action) {
        case PrOutAction.Register:
        case PrOutAction.RegisterAndIgnoreExistingKey:
          outcome = this.#register(next, p, nexus, action === PrOutAction.RegisterAndIgnoreExistingKey);
          if (outcome.kind === 'done' && outcome.changed) aptpl = p.aptpl;
          break;
        case PrOutAction.Reserve:
          outcome = this.#reserve(next, p, nexus, type as PrTypeCode);
          break;
        case PrOutAction.Release:
          outcome = this.#release(next, p, nexus, type as PrTypeCode, scope);
          break;
        case PrOutAction.Clear:
          outcome = this.#clear(next, p, nexus);
          break;
        default:
          outcome = this.#preempt(next, p, nexus, type as PrTypeCode, action === PrOutAction.PreemptAndAbort);
      }
    }
    if (outcome.kind === 'conflict') return { response: response(CONFLICT) };
    if (outcome.changed) await this.#commit(next, aptpl);
    if (outcome.bump) this.#generation = (this.#generation + 1) % UINT32;
    return { response: response({ status: ScsiStatus.Good }), ...outcome.effects };
  }

  /** Persist (when APTPL is or was on), then make `next` the live state. A failed write changes nothing. */
  async #commit(next: PrState, aptpl: boolean): Promise<void> {
    if (this.#statePath !== undefined && (aptpl || this.#aptpl)) {
      try {
        if (aptpl) await savePrState(this.#statePath, next);
        else await removePrState(this.#statePath);
      } catch {
        throw checkCondition(SenseKey.HardwareError, Ascs.InternalTargetFailure);
      }
    }
    this.#state = next;
    this.#aptpl = aptpl;
  }

  #basicParameters(list: Buffer, action: number): BasicParameters {
    if (list.length < 24) throw parameterListLengthError();
    const flags = list[20]!;
    const specIpt = (flags & 0x08) !== 0;
    const isRegister = action === PrOutAction.Register || action === PrOutAction.RegisterAndIgnoreExistingKey;
    const aptpl = isRegister && (flags & 0x01) !== 0;
    if (aptpl && this.#statePath === undefined) throw invalidFieldInParameterList(20, 0);
    const transportIds: BasicParameters['transportIds'] = [];
    if (specIpt && isRegister) {
      // SPEC_I_PT is meaningful for REGISTER only (SPC-4 6.17.3).
      if (action !== PrOutAction.Register) throw invalidFieldInParameterList(20, 3);
      if (list.length < 28) throw parameterListLengthError();
      const length = list.readUInt32BE(24);
      if (28 + length > list.length) throw parameterListLengthError();
      const tids = list.subarray(0, 28 + length);
      for (let at = 28; at < tids.length; ) {
        try {
          const { id, length: used } = decodeTransportId(tids, at);
          transportIds.push({ id, offset: at });
          at += used;
        } catch (err) {
          if (err instanceof TransportIdError) throw invalidFieldInParameterList(err.offset);
          throw err;
        }
      }
    } else if (list.length !== 24) {
      throw parameterListLengthError();
    }
    return {
      key: list.readBigUInt64BE(0),
      sark: list.readBigUInt64BE(8),
      specIpt: specIpt && isRegister,
      allTgPt: isRegister && (flags & 0x04) !== 0,
      aptpl,
      transportIds,
    };
  }

  /** REGISTER / REGISTER AND IGNORE EXISTING KEY (SPC-4 5.13.7). */
  #register(s: PrState, p: BasicParameters, nexus: ItNexus, ignoreKey: boolean): Outcome {
    const mine = this.#registrationOf(s, nexus);
    if (mine === undefined) {
      if (!ignoreKey && p.key !== 0n) return conflict;
      if (p.sark === 0n) return unchanged; // unregistering an unregistered nexus
      const added: PrRegistration[] = [
        {
          initiatorName: nexus.initiatorName,
          isid: nexus.isid.toLowerCase(),
          relativeTargetPortId: nexus.relativeTargetPortId,
          targetPortalGroupTag: nexus.targetPortalGroupTag,
          allTgPt: p.allTgPt,
          key: p.sark,
        },
      ];
      for (const { id, offset } of p.transportIds) {
        const reg: PrRegistration = {
          initiatorName: id.initiatorName,
          isid: id.isid,
          relativeTargetPortId: nexus.relativeTargetPortId,
          targetPortalGroupTag: nexus.targetPortalGroupTag,
          allTgPt: p.allTgPt,
          key: p.sark,
        };
        const self = sameInitiatorName(id.initiatorName, nexus.initiatorName) && id.isid === nexus.isid.toLowerCase();
        if (self) continue;
        // A port named twice, or already registered, makes the whole list invalid (SPC-4 5.13.7.2).
        if ([...s.registrations, ...added].some((r) => overlaps(r, reg))) throw invalidFieldInParameterList(offset);
        added.push(reg);
      }
      s.registrations.push(...added);
      return { kind: 'done', changed: true, bump: true };
    }
    if (!ignoreKey && p.key !== mine.key) return conflict;
    if (p.specIpt) throw invalidFieldInParameterList(20, 3);
    if (p.sark === 0n) {
      const released = this.#unregister(s, mine, nexus);
      return { kind: 'done', changed: true, bump: true, ...(released.length > 0 ? { effects: { released } } : {}) };
    }
    mine.key = p.sark;
    return { kind: 'done', changed: true, bump: true };
  }

  /** Remove a registration; returns who must hear RESERVATIONS RELEASED. */
  #unregister(s: PrState, reg: PrRegistration, nexus: ItNexus): ItNexus[] {
    s.registrations = s.registrations.filter((r) => r !== reg);
    const res = s.reservation;
    if (res === null) return [];
    if (res.holder === null) {
      // All registrants: the reservation lasts while anyone is registered.
      if (s.registrations.length === 0) s.reservation = null;
      return [];
    }
    if (res.holder !== reg) return [];
    s.reservation = null;
    // A registrants-only reservation vanishing is news to the other registrants (SPC-4 5.13.11.2.3).
    return isRegistrantsOnly(res.type) ? this.#nexusesOf(s.registrations, nexus) : [];
  }

  /** RESERVE (SPC-4 5.13.9). */
  #reserve(s: PrState, p: BasicParameters, nexus: ItNexus, type: PrTypeCode): Outcome {
    const mine = this.#registrationOf(s, nexus);
    if (mine === undefined || mine.key !== p.key) return conflict;
    const res = s.reservation;
    if (res !== null) {
      // Re-reserving with the same type is fine for a holder; anything else conflicts.
      return this.#isHolder(s, nexus) && res.type === type ? unchanged : conflict;
    }
    s.reservation = { holder: isAllRegistrants(type) ? null : mine, type, scope: 0 };
    return { kind: 'done', changed: true, bump: false };
  }

  /** RELEASE (SPC-4 5.13.11.2). */
  #release(s: PrState, p: BasicParameters, nexus: ItNexus, type: PrTypeCode, scope: number): Outcome {
    const mine = this.#registrationOf(s, nexus);
    if (mine === undefined || mine.key !== p.key) return conflict;
    const res = s.reservation;
    if (res === null || !this.#isHolder(s, nexus)) return unchanged;
    if (res.type !== type || res.scope !== scope) {
      throw new ScsiCheckCondition({ key: SenseKey.IllegalRequest, asc: 0x26, ascq: 0x04 }); // INVALID RELEASE OF PERSISTENT RESERVATION
    }
    s.reservation = null;
    const shared = isRegistrantsOnly(res.type) || isAllRegistrants(res.type);
    const released = shared ? this.#nexusesOf(s.registrations, nexus) : [];
    return { kind: 'done', changed: true, bump: false, ...(released.length > 0 ? { effects: { released } } : {}) };
  }

  /** CLEAR (SPC-4 5.13.11.2.6): every registration and the reservation go. */
  #clear(s: PrState, p: BasicParameters, nexus: ItNexus): Outcome {
    const mine = this.#registrationOf(s, nexus);
    if (mine === undefined || mine.key !== p.key) return conflict;
    const cleared = this.#nexusesOf(s.registrations, nexus);
    s.registrations = [];
    s.reservation = null;
    return { kind: 'done', changed: true, bump: true, ...(cleared.length > 0 ? { effects: { cleared } } : {}) };
  }

  /** PREEMPT / PREEMPT AND ABORT (SPC-4 5.13.11.2.4-5). The issuer's own registration is never removed. */
  #preempt(s: PrState, p: BasicParameters, nexus: ItNexus, type: PrTypeCode, abort: boolean): Outcome {
    const mine = this.#registrationOf(s, nexus);
    if (mine === undefined || mine.key !== p.key) return conflict;
    const res = s.reservation;
    const withKey = (key: bigint): PrRegistration[] => s.registrations.filter((r) => r !== mine && r.key === key);
    let victims: PrRegistration[];
    let released: ItNexus[] = [];
    if (res !== null && (res.holder === null ? p.sark === 0n : res.holder.key === p.sark)) {
      // Preempting the reservation itself: remove the victims and take it with the new type.
      victims = res.holder === null ? s.registrations.filter((r) => r !== mine) : withKey(p.sark);
      s.registrations = s.registrations.filter((r) => !victims.includes(r));
      s.reservation = { holder: isAllRegistrants(type) ? null : mine, type, scope: 0 };
      if (res.type !== type) released = this.#nexusesOf(s.registrations, nexus);
    } else {
      // Only registrations go; the reservation (if any) stays as it is.
      if (p.sark === 0n) throw invalidFieldInParameterList(8);
      victims = withKey(p.sark);
      if (victims.length === 0) return conflict;
      s.registrations = s.registrations.filter((r) => !victims.includes(r));
    }
    const preempted = this.#nexusesOf(victims, nexus);
    return {
      kind: 'done',
      changed: true,
      bump: true,
      effects: {
        ...(preempted.length > 0 ? { preempted } : {}),
        ...(released.length > 0 ? { released } : {}),
        ...(abort && preempted.length > 0 ? { abortTasksOf: preempted } : {}),
      },
    };
  }

  /** REGISTER AND MOVE (SPC-4 5.13.8): hand the reservation to another I_T nexus. */
  #registerAndMove(s: PrState, list: Buffer, nexus: ItNexus): { outcome: Outcome; aptpl: boolean } {
    if (list.length < 24) throw parameterListLengthError();
    const key = list.readBigUInt64BE(0);
    const sark = list.readBigUInt64BE(8);
    const unreg = (list[17]! & 0x02) !== 0;
    const aptpl = (list[17]! & 0x01) !== 0;
    if (aptpl && this.#statePath === undefined) throw invalidFieldInParameterList(17, 0);
    const rtpi = list.readUInt16BE(18);
    const tidLength = list.readUInt32BE(20);
    const result = (outcome: Outcome): { outcome: Outcome; aptpl: boolean } => ({ outcome, aptpl });

    const mine = this.#registrationOf(s, nexus);
    if (mine === undefined || mine.key !== key) return result(conflict);
    const res = s.reservation;
    if (res === null || res.holder === null || !this.#isHolder(s, nexus)) return result(conflict);
    if (sark === 0n) throw invalidFieldInParameterList(8);
    if (24 + tidLength > list.length || tidLength < 24) throw parameterListLengthError();
    let dest: InitiatorPortId;
    try {
      dest = decodeTransportId(list.subarray(0, 24 + tidLength), 24).id;
    } catch (err) {
      if (err instanceof TransportIdError) throw invalidFieldInParameterList(err.offset);
      throw err;
    }
    if (dest.isid === null) throw invalidFieldInParameterList(24, 7); // a move needs one initiator port
    if (rtpi === 0) throw invalidFieldInParameterList(18);
    const destNexus: NexusName = { initiatorName: dest.initiatorName, isid: dest.isid, relativeTargetPortId: rtpi };
    if (sameInitiatorName(dest.initiatorName, nexus.initiatorName) && dest.isid === nexus.isid.toLowerCase() && rtpi === nexus.relativeTargetPortId) {
      throw invalidFieldInParameterList(24);
    }
    let destReg = s.registrations.find((r) => matches(r, destNexus));
    if (destReg === undefined) {
      destReg = {
        initiatorName: dest.initiatorName,
        isid: dest.isid,
        relativeTargetPortId: rtpi,
        targetPortalGroupTag: rtpi === nexus.relativeTargetPortId ? nexus.targetPortalGroupTag : 0,
        allTgPt: false,
        key: sark,
      };
      s.registrations.push(destReg);
    }
    s.reservation = { holder: destReg, type: res.type, scope: res.scope };
    if (unreg) s.registrations = s.registrations.filter((r) => r !== mine);
    return result({ kind: 'done', changed: true, bump: true });
  }

  // ---- helpers ---------------------------------------------------------------------

  #learn(nexus: ItNexus): void {
    if (!this.#known.has(nexus.id)) this.#known.set(nexus.id, nexus);
  }

  #registrationOf(s: PrState, nexus: ItNexus): PrRegistration | undefined {
    return s.registrations.find((r) => matches(r, nexus));
  }

  #isHolder(s: PrState, nexus: ItNexus): boolean {
    const res = s.reservation;
    if (res === null) return false;
    if (res.holder === null) return this.#registrationOf(s, nexus) !== undefined;
    return matches(res.holder, nexus);
  }

  /** Live nexuses covered by `regs`, except `issuer`. */
  #nexusesOf(regs: readonly PrRegistration[], issuer: ItNexus): ItNexus[] {
    return [...this.#known.values()].filter((n) => n.id !== issuer.id && regs.some((r) => matches(r, n)));
  }
}

/** Do two registrations cover a common I_T nexus? */
function overlaps(a: PrRegistration, b: PrRegistration): boolean {
  return (
    sameInitiatorName(a.initiatorName, b.initiatorName) &&
    (a.isid === null || b.isid === null || a.isid === b.isid) &&
    (a.allTgPt || b.allTgPt || a.relativeTargetPortId === b.relativeTargetPortId)
  );
}
