import type { LuProfile } from './lu-profile.js';
import { Op } from './opcodes.js';
import { ScsiStatus, type ScsiResponse } from './scsi-contract.js';
import {
  Ascs,
  ScsiCheckCondition,
  SenseKey,
  invalidFieldInCdb,
  invalidFieldInParameterList,
  parameterListLengthError,
} from './sense.js';

/**
 * Mode parameters (SPC-4 6.11-6.14, 7.5; SBC-3 6.4): MODE SENSE(6)/(10) and MODE
 * SELECT(6)/(10) over four pages. They are shared by every I_T nexus of the LU (one task set),
 * kept in memory only: no saved values, so PC=11b and SP=1 are refused, and a cold reset
 * brings back the defaults.
 *
 * Changeable: WCE (caching), D_SENSE and SWP (control). SWP makes the LU write protected for
 * everyone until cleared; the dispatcher reads `softwareWriteProtect` before any write.
 */

interface PageDef {
  readonly code: number;
  /** Whole page (2-byte header + body) with the default values. */
  readonly defaults: Buffer;
  /** Whole page with a 1 in every bit MODE SELECT may change (header copied from defaults). */
  readonly changeable: Buffer;
}

function pageOf(code: number, body: number[]): Buffer {
  return Buffer.from([code, body.length, ...body]);
}

function maskOf(defaults: Buffer, bits: Record<number, number>): Buffer {
  const mask = Buffer.alloc(defaults.length);
  mask[0] = defaults[0]!;
  mask[1] = defaults[1]!;
  for (const [offset, value] of Object.entries(bits)) mask[Number(offset)] = value;
  return mask;
}

const PageCode = {
  ReadWriteErrorRecovery: 0x01,
  Caching: 0x08,
  Control: 0x0a,
  InformationalExceptions: 0x1c,
  All: 0x3f,
} as const;

// Offsets below are within the whole page (byte 0 = page code, byte 1 = page length).
const CACHING_WCE = { byte: 2, bit: 0x04 };
const CONTROL_D_SENSE = { byte: 2, bit: 0x04 };
const CONTROL_SWP = { byte: 4, bit: 0x08 };

function pageDefs(): PageDef[] {
  const rwer = pageOf(PageCode.ReadWriteErrorRecovery, [0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const caching = pageOf(PageCode.Caching, [CACHING_WCE.bit, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const control = pageOf(PageCode.Control, [
    0x02, // TST=000b (one task set), D_SENSE=0, GLTSD=1 (no log parameters are saved)
    0x10, // QUEUE ALGORITHM MODIFIER=1 (unrestricted reordering of SIMPLE commands), QERR=00b
    0x00, // SWP=0, UA_INTLCK_CTRL=00b
    0x00, // TAS=0: commands aborted by another nexus end with a unit attention, not TASK ABORTED
    0, 0, // obsolete
    0x02, 0x58, // BUSY TIMEOUT PERIOD: 60 s
    0, 0, // EXTENDED SELF-TEST COMPLETION TIME
  ]);
  const iec = pageOf(PageCode.InformationalExceptions, [0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // DEXCPT=1: none reported
  return [
    { code: PageCode.ReadWriteErrorRecovery, defaults: rwer, changeable: maskOf(rwer, {}) },
    { code: PageCode.Caching, defaults: caching, changeable: maskOf(caching, { [CACHING_WCE.byte]: CACHING_WCE.bit }) },
    {
      code: PageCode.Control,
      defaults: control,
      changeable: maskOf(control, { [CONTROL_D_SENSE.byte]: CONTROL_D_SENSE.bit, [CONTROL_SWP.byte]: CONTROL_SWP.bit }),
    },
    { code: PageCode.InformationalExceptions, defaults: iec, changeable: maskOf(iec, {}) },
  ];
}

/** PAGE CONTROL field of MODE SENSE. */
const PageControl = { Current: 0, Changeable: 1, Default: 2, Saved: 3 } as const;

export interface ModePagesOptions {
  /** Called after a MODE SELECT changed a value: raise MODE PARAMETERS CHANGED (2A/01) on the other I_T nexuses. */
  readonly onChanged?: () => void;
}

/** The LU's mode pages. */
export class ModePages {
  readonly #profile: LuProfile;
  readonly #defs: ReadonlyMap<number, PageDef>;
  readonly #current = new Map<number, Buffer>();
  readonly #onChanged: (() => void) | undefined;

  constructor(profile: LuProfile, options: ModePagesOptions = {}) {
    this.#profile = profile;
    this.#defs = new Map(pageDefs().map((d) => [d.code, d]));
    this.#onChanged = options.onChanged;
    this.reset();
  }

  /** Back to the default values (power on / cold reset: there are no saved values). */
  reset(): void {
    for (const def of this.#defs.values()) this.#current.set(def.code, Buffer.from(def.defaults));
  }

  /** Caching page WCE: writes may be acknowledged before they are durable (SYNCHRONIZE CACHE / FUA matter). */
  get writeCacheEnabled(): boolean {
    return this.#bit(PageCode.Caching, CACHING_WCE);
  }

  /** Control page D_SENSE: report sense in descriptor format (0x72) instead of fixed (0x70). */
  get descriptorSense(): boolean {
    return this.#bit(PageCode.Control, CONTROL_D_SENSE);
  }

  /** Control page SWP: the medium is write protected (DATA PROTECT, WRITE PROTECTED on writes). */
  get softwareWriteProtect(): boolean {
    return this.#bit(PageCode.Control, CONTROL_SWP);
  }

  #bit(code: number, at: { byte: number; bit: number }): boolean {
    return (this.#current.get(code)![at.byte]! & at.bit) !== 0;
  }

  /** MODE SENSE(6) (0x1A) and MODE SENSE(10) (0x5A). Throws ScsiCheckCondition on a bad CDB. */
  sense(cdb: Buffer): ScsiResponse {
    const ten = cdb[0] === Op.ModeSense10;
    if (cdb.length < (ten ? 10 : 6)) throw invalidFieldInCdb(0);
    const dbd = (cdb[1]! & 0x08) !== 0;
    const llbaa = ten && (cdb[1]! & 0x10) !== 0;
    const pc = cdb[2]! >> 6;
    const pageCode = cdb[2]! & 0x3f;
    const subpage = cdb[3]!;
    const allocationLength = ten ? cdb.readUInt16BE(7) : cdb[4]!;
    if (pc === PageControl.Saved) {
      throw new ScsiCheckCondition({
        key: SenseKey.IllegalRequest,
        ...Ascs.SavingParametersNotSupported,
        fieldPointer: { inCdb: true, byte: 2, bit: 7 },
      });
    }
    // Subpage 0xFF asks for the page and all its subpages; we have no subpages.
    if (subpage !== 0 && subpage !== 0xff) throw invalidFieldInCdb(3);
    let defs: PageDef[];
    if (pageCode === PageCode.All) {
      defs = [...this.#defs.values()].sort((a, b) => a.code - b.code);
    } else {
      const def = this.#defs.get(pageCode);
      if (def === undefined) throw invalidFieldInCdb(2, 5);
      defs = [def];
    }
    const pages = defs.map((d) =>
      pc === PageControl.Changeable ? d.changeable : pc === PageControl.Default ? d.defaults : this.#current.get(d.code)!,
    );
    const blockDescriptor = dbd ? Buffer.alloc(0) : this.#blockDescriptor(llbaa, pc === PageControl.Changeable);
    const header = Buffer.alloc(ten ? 8 : 4);
    const dsp = (this.#profile.readOnly || this.softwareWriteProtect ? 0x80 : 0) | 0x10; // WP, DPOFUA
    if (ten) {
      header[3] = dsp;
      header[4] = llbaa && blockDescriptor.length === 16 ? 0x01 : 0;
      header.writeUInt16BE(blockDescriptor.length, 6);
    } else {
      header[2] = dsp;
      header[3] = blockDescriptor.length;
    }
    const data = Buffer.concat([header, blockDescriptor, ...pages]);
    if (ten) data.writeUInt16BE(data.length - 2, 0);
    else data[0] = data.length - 1;
    // Truncated here, to the ALLOCATION LENGTH: never more than asked for, so no overflow residual.
    return { status: ScsiStatus.Good, dataIn: data.length > allocationLength ? data.subarray(0, allocationLength) : data };
  }

  /** Short (8-byte) or, with LLBAA in MODE SENSE(10), long (16-byte) block descriptor. Nothing in it is changeable. */
  #blockDescriptor(long: boolean, changeable: boolean): Buffer {
    const b = Buffer.alloc(long ? 16 : 8);
    if (changeable) return b;
    if (long) {
      b.writeBigUInt64BE(BigInt(this.#profile.blockCount), 0);
      b.writeUInt32BE(this.#profile.blockLength, 12);
    } else {
      b.writeUInt32BE(Math.min(this.#profile.blockCount, 0xffffffff), 0);
      b.writeUIntBE(this.#profile.blockLength, 5, 3);
    }
    return b;
  }

  /**
   * MODE SELECT(6) (0x15) and MODE SELECT(10) (0x55). `data` is the Data-Out. Every page in
   * the list is checked before any is applied: a bad list changes nothing.
   */
  select(cdb: Buffer, data: Buffer): ScsiResponse {
    const ten = cdb[0] === Op.ModeSelect10;
    if (cdb.length < (ten ? 10 : 6)) throw invalidFieldInCdb(0);
    const parameterListLength = ten ? cdb.readUInt16BE(7) : cdb[4]!;
    const pf = (cdb[1]! & 0x10) !== 0;
    const sp = (cdb[1]! & 0x01) !== 0;
    if (sp) throw invalidFieldInCdb(1, 0); // nothing can be saved
    const ok: ScsiResponse = { status: ScsiStatus.Good, dataOutLength: parameterListLength };
    if (parameterListLength === 0) return ok;
    if (!pf) throw invalidFieldInCdb(1, 4); // only the standard page format
    if (data.length < parameterListLength) throw parameterListLengthError();
    const list = data.subarray(0, parameterListLength);
    const headerLength = ten ? 8 : 4;
    if (list.length < headerLength) throw parameterListLengthError();
    if (list[ten ? 2 : 1] !== 0) throw invalidFieldInParameterList(ten ? 2 : 1); // medium type
    const bdLength = ten ? list.readUInt16BE(6) : list[3]!;
    const longLba = ten && (list[4]! & 0x01) !== 0;
    if (headerLength + bdLength > list.length) throw parameterListLengthError();
    if (bdLength !== 0) this.#checkBlockDescriptor(list, headerLength, bdLength, longLba, ten);

    const staged = new Map<number, Buffer>();
    let pos = headerLength + bdLength;
    while (pos < list.length) {
      if (pos + 2 > list.length) throw parameterListLengthError();
      if ((list[pos]! & 0x40) !== 0) throw invalidFieldInParameterList(pos, 6); // SPF: no subpages here
      const code = list[pos]! & 0x3f;
      const def = this.#defs.get(code);
      if (def === undefined) throw invalidFieldInParameterList(pos, 5);
      const length = list[pos + 1]!;
      if (length !== def.defaults[1]) throw invalidFieldInParameterList(pos + 1);
      if (pos + 2 + length > list.length) throw parameterListLengthError();
      const current = staged.get(code) ?? this.#current.get(code)!;
      const next = Buffer.from(current);
      for (let i = 2; i < length + 2; i++) {
        const wanted = list[pos + i]!;
        const mask = def.changeable[i]!;
        const fixed = (wanted ^ current[i]!) & ~mask & 0xff;
        // A value that cannot change must be sent back as it is (SPC-4 6.11).
        if (fixed !== 0) throw invalidFieldInParameterList(pos + i, 31 - Math.clz32(fixed));
        next[i] = (current[i]! & ~mask) | (wanted & mask);
      }
      staged.set(code, next);
      pos += 2 + length;
    }

    let changed = false;
    for (const [code, page] of staged) {
      if (!page.equals(this.#current.get(code)!)) changed = true;
      this.#current.set(code, page);
    }
    if (changed) this.#onChanged?.();
    return ok;
  }

  /** A block descriptor may only restate the block length and block count we have. */
  #checkBlockDescriptor(list: Buffer, at: number, length: number, longLba: boolean, ten: boolean): void {
    const size = longLba ? 16 : 8;
    if (length !== size) throw invalidFieldInParameterList(ten ? 6 : 3);
    const blocks = longLba ? Number(list.readBigUInt64BE(at)) : list.readUInt32BE(at);
    const blockLength = longLba ? list.readUInt32BE(at + 12) : list.readUIntBE(at + 5, 3);
    const ourBlocks = longLba ? this.#profile.blockCount : Math.min(this.#profile.blockCount, 0xffffffff);
    if (blocks !== 0 && blocks !== ourBlocks) throw invalidFieldInParameterList(at);
    if (blockLength !== this.#profile.blockLength) throw invalidFieldInParameterList(longLba ? at + 12 : at + 5);
  }
}
