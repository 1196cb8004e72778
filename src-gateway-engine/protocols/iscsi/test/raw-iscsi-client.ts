/**
 * A small raw iSCSI initiator for tests (RFC 7143): it logs in straight to the operational
 * stage, then sends whatever PDU it is told to — well-formed or not — and reads the
 * target's PDUs as they come. Nothing here checks what the target sends beyond framing;
 * tests do that. Digests are CRC32C, little-endian on the wire, and apply from the PDU
 * after the Login Response that entered the full feature phase (both directions).
 *
 * Reading runs in the background: every received PDU is queued, so a test can wait for
 * "the next PDU, the connection closing, or a timeout" without losing bytes.
 */
import { connect, type Socket } from 'node:net';
import { ReceiveBuffer } from '../../common/receive-buffer.js';
import { crc32c } from '../pdu/crc32c.js';

/** Opcodes an initiator sends. */
export const Op = {
  NopOut: 0x00,
  ScsiCommand: 0x01,
  TaskManagement: 0x02,
  LoginRequest: 0x03,
  TextRequest: 0x04,
  DataOut: 0x05,
  LogoutRequest: 0x06,
  Snack: 0x10,
} as const;

/** Opcodes a target sends. */
export const TOp = {
  NopIn: 0x20,
  ScsiResponse: 0x21,
  TaskManagementResponse: 0x22,
  LoginResponse: 0x23,
  TextResponse: 0x24,
  DataIn: 0x25,
  LogoutResponse: 0x26,
  R2T: 0x31,
  AsyncMessage: 0x32,
  Reject: 0x3f,
} as const;

export const RESERVED = 0xffffffff;

/** One PDU received from the target. */
export interface RawPdu {
  bhs: Buffer;
  ahs: Buffer;
  data: Buffer;
  opcode: number;
  flags: number;
  itt: number;
}

/** What `next()` returns when no PDU came. */
export type NoPdu = 'closed' | 'timeout';

/** Login keys and framing choices; anything left out is not sent. */
export interface LoginOptions {
  initiatorName?: string;
  targetName?: string;
  sessionType?: 'Normal' | 'Discovery';
  isid?: Buffer;
  headerDigest?: 'None' | 'CRC32C';
  dataDigest?: 'None' | 'CRC32C';
  maxRecvDataSegmentLength?: number;
  immediateData?: boolean;
  initialR2T?: boolean;
  firstBurstLength?: number;
  maxBurstLength?: number;
  extraKeys?: [string, string][];
  cmdSN?: number;
}

/** The outcome of a login. */
export interface LoginResult {
  statusClass: number;
  statusDetail: number;
  keys: Map<string, string>;
  tsih: number;
  response: RawPdu;
}

/** Outcome of a SCSI command sent through {@link RawIscsiClient.command}. */
export interface CommandResult {
  status: number;
  /** Sense data (without the 2-byte SenseLength), when the target sent some. */
  sense: Buffer | undefined;
  data: Buffer;
  residual: number;
}

/** Encode key=value pairs as NUL-terminated text. */
export function encodeKeys(pairs: readonly (readonly [string, string])[]): Buffer {
  return Buffer.from(pairs.map(([k, v]) => `${k}=${v}\0`).join(''), 'utf8');
}

/** Decode a text data segment (lenient: the target is what is tested). */
export function decodeKeys(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of data.toString('utf8').split('\0')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

/** A zeroed 48-byte BHS with opcode (and immediate bit) and flags. */
export function bhs(opcode: number, flags: number, immediate = false): Buffer {
  const b = Buffer.alloc(48);
  b[0] = (opcode & 0x3f) | (immediate ? 0x40 : 0);
  b[1] = flags;
  return b;
}

function le32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

/** Options for framing one PDU by hand. */
export interface FrameOptions {
  ahs?: Buffer;
  data?: Buffer;
  /** Override the digests in force (a test may send digests the session did not negotiate). */
  headerDigest?: boolean;
  dataDigest?: boolean;
  /** XOR mask applied to the header / data digest (non-zero = a wrong digest). */
  corruptHeaderDigest?: number;
  corruptDataDigest?: number;
  /** Leave bytes 4-7 as the caller set them (lying lengths). */
  keepLengths?: boolean;
}

/**
 * Frame a PDU: BHS (+ TotalAHSLength and DataSegmentLength unless `keepLengths`), AHS,
 * header digest, data, padding, data digest.
 */
export function framePdu(header: Buffer, o: FrameOptions & { headerDigest: boolean; dataDigest: boolean }): Buffer {
  const ahs = o.ahs ?? Buffer.alloc(0);
  const data = o.data ?? Buffer.alloc(0);
  const h = Buffer.from(header);
  if (!o.keepLengths) {
    h[4] = Math.ceil(ahs.length / 4);
    h.writeUIntBE(data.length, 5, 3);
  }
  const ahsPadded = Buffer.concat([ahs, Buffer.alloc((4 - (ahs.length % 4)) % 4)]);
  const parts: Buffer[] = [h, ahsPadded];
  if (o.headerDigest) parts.push(le32((crc32c(ahsPadded, crc32c(h)) ^ (o.corruptHeaderDigest ?? 0)) >>> 0));
  if (data.length > 0) {
    const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
    parts.push(padded);
    if (o.dataDigest) parts.push(le32((crc32c(padded) ^ (o.corruptDataDigest ?? 0)) >>> 0));
  }
  return Buffer.concat(parts);
}

/** Little helpers to build CDBs. */
export function read16Cdb(lba: number, blocks: number): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = 0x88;
  cdb.writeBigUInt64BE(BigInt(lba), 2);
  cdb.writeUInt32BE(blocks, 10);
  return cdb;
}

export function write16Cdb(lba: number, blocks: number): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = 0x8a;
  cdb.writeBigUInt64BE(BigInt(lba), 2);
  cdb.writeUInt32BE(blocks, 10);
  return cdb;
}

/** A raw iSCSI connection. */
export class RawIscsiClient {
  private readonly input = new ReceiveBuffer();
  private readonly queue: RawPdu[] = [];
  private waiter: (() => void) | undefined;
  private closedFlag = false;
  private readonly closedPromise: Promise<void>;
  /** Framing error while reading the target's PDUs (a target bug: tests assert it stays undefined). */
  readFailure: Error | undefined;
  headerDigest = false;
  dataDigest = false;
  /** Digests requested at login, switched on after the final Login Response. */
  private pendingDigests: { header: boolean; data: boolean } | undefined;
  cmdSN = 0;
  expStatSN = 0;
  /** Window advertised by the target. */
  expCmdSN = 0;
  maxCmdSN = 0;
  private nextItt = 1;
  /** Target's declared MaxRecvDataSegmentLength (what we may send per PDU). */
  targetMaxRecv = 8192;
  /** Negotiated values that shape writes. */
  immediateData = true;
  initialR2T = true;
  firstBurstLength = 65536;
  maxBurstLength = 262144;
  /** The command window the target opened at login (MaxCmdSN − ExpCmdSN + 1): its queue depth. */
  initialWindow = 0;

  /** The command window as last advertised. */
  get window(): number {
    return (this.maxCmdSN - this.expCmdSN + 1) >>> 0;
  }

  /** PDUs received. */
  pdusReceived = 0;
  /** What we declared as our MaxRecvDataSegmentLength (the target must not send longer data segments). */
  declaredMaxRecv = 8192;
  /** Rules the target broke in what it sent (segment longer than we declared, StatSN out of sequence); tests assert none. */
  readonly violations: string[] = [];
  private lastStatSN: number | undefined;

  /** Frames (or raw byte runs) written by every client of this process: a fuzz run reports it. */
  static writes = 0;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.input.push(chunk));
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closedPromise.then(() => {
      this.closedFlag = true;
      this.input.fail(new Error('closed'));
      this.wake();
    });
    void this.pump();
  }

  /** Connect to `host:port`. */
  static connect(address: string): Promise<RawIscsiClient> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i);
    const port = Number(address.slice(i + 1));
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawIscsiClient(s));
      });
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** A fresh initiator task tag (never the reserved value). */
  itt(): number {
    const t = this.nextItt;
    this.nextItt = this.nextItt >= 0x7ffffffe ? 1 : this.nextItt + 1;
    return t;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const header = await this.input.readExact(48);
        const ahsLength = header[4]! * 4;
        const dataLength = header.readUIntBE(5, 3);
        const ahs = ahsLength > 0 ? Buffer.from(await this.input.readExact(ahsLength)) : Buffer.alloc(0);
        if (this.headerDigest) {
          const d = (await this.input.readExact(4)).readUInt32LE(0);
          const want = crc32c(ahs, crc32c(header));
          if (d !== want) throw new Error(`target sent a bad header digest (opcode 0x${header[0]!.toString(16)})`);
        }
        let data = Buffer.alloc(0);
        if (dataLength > 0) {
          const padded = Buffer.from(await this.input.readExact((dataLength + 3) & ~3));
          if (this.dataDigest) {
            const d = (await this.input.readExact(4)).readUInt32LE(0);
            if (d !== crc32c(padded)) throw new Error(`target sent a bad data digest (opcode 0x${header[0]!.toString(16)})`);
          }
          data = padded.subarray(0, dataLength);
        }
        const pdu: RawPdu = { bhs: Buffer.from(header), ahs, data, opcode: header[0]! & 0x3f, flags: header[1]!, itt: header.readUInt32BE(16) };
        this.track(pdu);
        this.queue.push(pdu);
        this.pdusReceived++;
        this.wake();
      }
    } catch (err) {
      if (!this.closedFlag && err instanceof Error && err.message !== 'closed') {
        this.readFailure = err;
        this.socket.destroy();
      }
    }
  }

  /** Follow StatSN / window fields; switch digests after the final Login Response. */
  private track(pdu: RawPdu): void {
    const b = pdu.bhs;
    const op = pdu.opcode;
    const carriesStatus =
      op === TOp.ScsiResponse ||
      op === TOp.LoginResponse ||
      op === TOp.TaskManagementResponse ||
      op === TOp.TextResponse ||
      op === TOp.LogoutResponse ||
      op === TOp.Reject ||
      op === TOp.AsyncMessage ||
      (op === TOp.NopIn && pdu.itt !== RESERVED) ||
      (op === TOp.DataIn && (pdu.flags & 0x01) !== 0);
    if (pdu.data.length > this.declaredMaxRecv) this.violations.push(`opcode 0x${op.toString(16)} with a ${pdu.data.length}-byte data segment; we declared MaxRecvDataSegmentLength ${this.declaredMaxRecv}`);
    if (carriesStatus) {
      const statSN = b.readUInt32BE(24);
      // After login, StatSN advances by one per status-carrying PDU (one connection).
      if (op !== TOp.LoginResponse && this.lastStatSN !== undefined && statSN !== ((this.lastStatSN + 1) >>> 0)) {
        this.violations.push(`StatSN ${statSN} after ${this.lastStatSN} (opcode 0x${op.toString(16)})`);
      }
      this.lastStatSN = statSN;
      this.expStatSN = (statSN + 1) >>> 0;
    }
    // Every target PDU carries ExpCmdSN and MaxCmdSN at bytes 28 and 32.
    this.expCmdSN = b.readUInt32BE(28);
    this.maxCmdSN = b.readUInt32BE(32);
    if (op === TOp.LoginResponse && this.pendingDigests !== undefined) {
      const ok = b[36] === 0 && b[37] === 0;
      const done = (pdu.flags & 0x80) !== 0 && (pdu.flags & 0x03) === 3;
      if (ok && done) {
        const keys = decodeKeys(pdu.data);
        this.headerDigest = (keys.get('HeaderDigest') ?? 'None') === 'CRC32C' && this.pendingDigests.header;
        this.dataDigest = (keys.get('DataDigest') ?? 'None') === 'CRC32C' && this.pendingDigests.data;
        this.pendingDigests = undefined;
      }
    }
  }

  /** The next PDU from the target, or why none came within `timeoutMs`. */
  async next(timeoutMs = 10_000): Promise<RawPdu | NoPdu> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pdu = this.queue.shift();
      if (pdu !== undefined) return pdu;
      if (this.closedFlag) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          if (this.waiter === done) this.waiter = undefined;
          resolve();
        }, left);
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        this.waiter = done;
      });
    }
  }

  /** Read until a PDU matches (others are passed to `other`, e.g. to answer target NOP-Ins). */
  async until(match: (p: RawPdu) => boolean, timeoutMs = 10_000, other?: (p: RawPdu) => void): Promise<RawPdu | NoPdu> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await this.next(Math.max(0, deadline - Date.now()));
      if (typeof p === 'string') return p;
      if (match(p)) return p;
      other?.(p);
    }
  }

  /** Resolves true once the connection closed, false if it is still open after `timeoutMs`; drops PDUs read meanwhile. */
  async waitClosed(timeoutMs = 10_000): Promise<boolean> {
    const r = await this.until(() => false, timeoutMs);
    return r === 'closed';
  }

  /** Write raw bytes (errors after the target closed are ignored). */
  sendRaw(bytes: Buffer): void {
    RawIscsiClient.writes++;
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(bytes);
  }

  /** Frame and send one PDU with the digests in force (unless overridden). */
  send(header: Buffer, o: FrameOptions = {}): void {
    this.sendRaw(framePdu(header, { ...o, headerDigest: o.headerDigest ?? this.headerDigest, dataDigest: o.dataDigest ?? this.dataDigest }));
  }

  /** Half-close: no more bytes from us. */
  end(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  /** Drop the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  /** Wait for the socket to close entirely. */
  closedAfter(): Promise<void> {
    return this.closedPromise;
  }

  // ---- login ----

  /** A Login Request BHS (byte 1 = T|C|CSG<<2|NSG). */
  loginBhs(o: { transit: boolean; cont: boolean; csg: number; nsg: number; isid: Buffer; tsih?: number; itt?: number; cid?: number; cmdSN?: number; expStatSN?: number; versionMax?: number; versionMin?: number }): Buffer {
    const flags = (o.transit ? 0x80 : 0) | (o.cont ? 0x40 : 0) | ((o.csg & 3) << 2) | (o.nsg & 3);
    const b = bhs(Op.LoginRequest, flags, true);
    b[2] = o.versionMax ?? 0;
    b[3] = o.versionMin ?? 0;
    o.isid.copy(b, 8, 0, 6);
    b.writeUInt16BE(o.tsih ?? 0, 14);
    b.writeUInt32BE((o.itt ?? 0) >>> 0, 16);
    b.writeUInt16BE(o.cid ?? 0, 20);
    b.writeUInt32BE((o.cmdSN ?? this.cmdSN) >>> 0, 24);
    b.writeUInt32BE((o.expStatSN ?? this.expStatSN) >>> 0, 28);
    return b;
  }

  /** One-round login in the operational stage (CSG=1 → NSG=3); resolves with the target's answer. */
  async login(o: LoginOptions = {}, timeoutMs = 10_000): Promise<LoginResult> {
    const isid = o.isid ?? Buffer.from([0x80, 0x12, 0x34, 0x56, (Math.random() * 256) | 0, (Math.random() * 256) | 0]);
    this.cmdSN = o.cmdSN ?? 1;
    const keys: [string, string][] = [['InitiatorName', o.initiatorName ?? 'iqn.2026-11.dev.tidegate.test:raw']];
    const type = o.sessionType ?? 'Normal';
    keys.push(['SessionType', type]);
    if (type === 'Normal') keys.push(['TargetName', o.targetName ?? '']);
    keys.push(['HeaderDigest', o.headerDigest ?? 'None'], ['DataDigest', o.dataDigest ?? 'None']);
    if (type === 'Normal') {
      if (o.immediateData !== undefined) keys.push(['ImmediateData', o.immediateData ? 'Yes' : 'No']);
      if (o.initialR2T !== undefined) keys.push(['InitialR2T', o.initialR2T ? 'Yes' : 'No']);
      if (o.firstBurstLength !== undefined) keys.push(['FirstBurstLength', String(o.firstBurstLength)]);
      if (o.maxBurstLength !== undefined) keys.push(['MaxBurstLength', String(o.maxBurstLength)]);
    }
    this.declaredMaxRecv = o.maxRecvDataSegmentLength ?? 262144;
    keys.push(['MaxRecvDataSegmentLength', String(this.declaredMaxRecv)]);
    keys.push(...(o.extraKeys ?? []));
    this.pendingDigests = { header: o.headerDigest === 'CRC32C', data: o.dataDigest === 'CRC32C' };
    const itt = this.itt();
    this.send(this.loginBhs({ transit: true, cont: false, csg: 1, nsg: 3, isid, itt }), { data: encodeKeys(keys), headerDigest: false, dataDigest: false });
    const r = await this.until((p) => p.opcode === TOp.LoginResponse, timeoutMs);
    if (typeof r === 'string') throw new Error(`login: no Login Response (${r})`);
    const answer = decodeKeys(r.data);
    const result: LoginResult = { statusClass: r.bhs[36]!, statusDetail: r.bhs[37]!, keys: answer, tsih: r.bhs.readUInt16BE(14), response: r };
    if (result.statusClass === 0) {
      this.initialWindow = this.window;
      const mrdsl = answer.get('MaxRecvDataSegmentLength');
      this.targetMaxRecv = mrdsl !== undefined ? Number(mrdsl) : 8192;
      const imm = answer.get('ImmediateData');
      this.immediateData = imm === undefined ? o.immediateData ?? true : imm === 'Yes';
      const ir = answer.get('InitialR2T');
      this.initialR2T = ir === undefined ? o.initialR2T ?? true : ir === 'Yes';
      const fb = answer.get('FirstBurstLength');
      this.firstBurstLength = fb !== undefined ? Number(fb) : o.firstBurstLength ?? 65536;
      const mb = answer.get('MaxBurstLength');
      this.maxBurstLength = mb !== undefined ? Number(mb) : o.maxBurstLength ?? 262144;
    }
    return result;
  }

  /** Login that must succeed into a Normal session. */
  async loginOk(o: LoginOptions = {}): Promise<LoginResult> {
    const r = await this.login(o);
    if (r.statusClass !== 0 || (r.response.flags & 0x83) !== 0x83) {
      throw new Error(`login refused: status 0x${r.statusClass.toString(16)}${r.statusDetail.toString(16).padStart(2, '0')} flags 0x${r.response.flags.toString(16)}`);
    }
    return r;
  }

  // ---- full feature phase PDUs ----

  /** A SCSI Command BHS. `flags`: F 0x80, R 0x40, W 0x20, ATTR 0x07. */
  scsiBhs(o: { itt: number; cdb: Buffer; edtl: number; flags: number; lun?: number; cmdSN?: number; immediate?: boolean }): Buffer {
    const b = bhs(Op.ScsiCommand, o.flags, o.immediate ?? false);
    b[9] = o.lun ?? 0;
    b.writeUInt32BE(o.itt >>> 0, 16);
    b.writeUInt32BE(o.edtl >>> 0, 20);
    b.writeUInt32BE((o.cmdSN ?? this.cmdSN) >>> 0, 24);
    b.writeUInt32BE(this.expStatSN >>> 0, 28);
    o.cdb.copy(b, 32, 0, Math.min(16, o.cdb.length));
    return b;
  }

  /** Send a SCSI Command (advances CmdSN unless immediate or `cmdSN` given). */
  sendScsi(o: { itt: number; cdb: Buffer; edtl: number; flags: number; lun?: number; cmdSN?: number; immediate?: boolean; data?: Buffer; ahs?: Buffer }): void {
    const header = this.scsiBhs(o);
    if (o.cmdSN === undefined && !o.immediate) this.cmdSN = (this.cmdSN + 1) >>> 0;
    this.send(header, { data: o.data, ahs: o.ahs });
  }

  /** A Data-Out BHS. */
  dataOutBhs(o: { itt: number; ttt: number; dataSN: number; offset: number; final: boolean; lun?: number }): Buffer {
    const b = bhs(Op.DataOut, o.final ? 0x80 : 0);
    b[9] = o.lun ?? 0;
    b.writeUInt32BE(o.itt >>> 0, 16);
    b.writeUInt32BE(o.ttt >>> 0, 20);
    b.writeUInt32BE(this.expStatSN >>> 0, 28);
    b.writeUInt32BE(o.dataSN >>> 0, 36);
    b.writeUInt32BE(o.offset >>> 0, 40);
    return b;
  }

  sendDataOut(o: { itt: number; ttt: number; dataSN: number; offset: number; final: boolean; data: Buffer; lun?: number }): void {
    this.send(this.dataOutBhs(o), { data: o.data });
  }

  /** A NOP-Out (ITT reserved = no answer wanted; TTT reserved unless answering a target ping). */
  nopOutBhs(o: { itt: number; ttt?: number; immediate?: boolean; cmdSN?: number }): Buffer {
    const b = bhs(Op.NopOut, 0x80, o.immediate ?? true);
    b.writeUInt32BE(o.itt >>> 0, 16);
    b.writeUInt32BE((o.ttt ?? RESERVED) >>> 0, 20);
    b.writeUInt32BE((o.cmdSN ?? this.cmdSN) >>> 0, 24);
    b.writeUInt32BE(this.expStatSN >>> 0, 28);
    return b;
  }

  /** Immediate NOP-Out ping; resolves with the NOP-In, or why none came. */
  async ping(data?: Buffer, timeoutMs = 10_000): Promise<RawPdu | NoPdu> {
    const itt = this.itt();
    this.send(this.nopOutBhs({ itt }), { data });
    return this.until((p) => p.opcode === TOp.NopIn && p.itt === itt, timeoutMs);
  }

  /** A Task Management Function Request BHS. */
  tmfBhs(o: { itt: number; fn: number; lun?: number; refItt?: number; refCmdSN?: number; immediate?: boolean; cmdSN?: number }): Buffer {
    const b = bhs(Op.TaskManagement, 0x80 | (o.fn & 0x7f), o.immediate ?? true);
    b[9] = o.lun ?? 0;
    b.writeUInt32BE(o.itt >>> 0, 16);
    b.writeUInt32BE((o.refItt ?? RESERVED) >>> 0, 20);
    b.writeUInt32BE((o.cmdSN ?? this.cmdSN) >>> 0, 24);
    b.writeUInt32BE(this.expStatSN >>> 0, 28);
    b.writeUInt32BE((o.refCmdSN ?? 0) >>> 0, 32);
    return b;
  }

  /** A Text Request BHS. */
  textBhs(o: { itt: number; ttt?: number; final?: boolean; immediate?: boolean; cmdSN?: number }): Buffer {
    const b = bhs(Op.TextRequest, o.final === false ? 0x40 : 0x80, o.immediate ?? true);
    b.writeUInt32BE(o.itt >>> 0, 16);
    b.writeUInt32BE((o.ttt ?? RESERVED) >>> 0, 20);
    b.writeUInt32BE((o.cmdSN ?? this.cmdSN) >>> 0, 24);
    b.writeUInt32BE(this.expStatSN >>> 0, 28);
    return b;
  }

  /** A Logout Request BHS (reason in byte 1 low 7 bits). */
  logoutBhs(o: { itt: number; reason: number; immediate?: boolean; cmdSN?: number; cid?: number }): Buffer {
    const b = bhs(Op.LogoutRequest, 0x80 | (o.reason & 0x7f), o.immediate ?? true);
    b.writeUInt32BE(o.itt >>> 0, 16);
    b.writeUInt16BE(o.cid ?? 0, 20);
    b.writeUInt32BE((o.cmdSN ?? this.cmdSN) >>> 0, 24);
    b.writeUInt32BE(this.expStatSN >>> 0, 28);
    return b;
  }

  /** Clean logout; resolves with the Logout Response or why none came. */
  async logout(timeoutMs = 10_000): Promise<RawPdu | NoPdu> {
    const itt = this.itt();
    this.send(this.logoutBhs({ itt, reason: 0 }));
    return this.until((p) => p.opcode === TOp.LogoutResponse && p.itt === itt, timeoutMs);
  }

  /** Answer a target-initiated NOP-In (a ping with a TTT), as a well-behaved initiator does. */
  answerTargetPing(p: RawPdu): void {
    if (p.opcode !== TOp.NopIn || p.itt !== RESERVED) return;
    const ttt = p.bhs.readUInt32BE(20);
    if (ttt === RESERVED) return;
    this.send(this.nopOutBhs({ itt: RESERVED, ttt }));
  }

  /**
   * Run one SCSI command the well-behaved way: immediate data up to FirstBurstLength when
   * allowed, then Data-Out for each R2T, collecting Data-In; resolves with the status, or
   * why the exchange ended ('closed', 'timeout', or a Reject).
   */
  async command(cdb: Buffer, o: { dataOut?: Buffer; readLength?: number; lun?: number; timeoutMs?: number } = {}): Promise<CommandResult | NoPdu | { reject: RawPdu }> {
    const itt = this.itt();
    const out = o.dataOut ?? Buffer.alloc(0);
    const readLength = o.readLength ?? 0;
    const isWrite = out.length > 0;
    let flags = 0x80 | 0x01; // F, SIMPLE
    if (isWrite) flags |= 0x20;
    if (readLength > 0) flags |= 0x40;
    const immLen = isWrite && this.immediateData ? Math.min(out.length, this.firstBurstLength, this.targetMaxRecv) : 0;
    const unsolicitedEnd = isWrite && !this.initialR2T ? Math.min(out.length, this.firstBurstLength) : immLen;
    if (unsolicitedEnd > immLen) flags &= ~0x80;
    this.sendScsi({ itt, cdb, edtl: isWrite ? out.length : readLength, flags, lun: o.lun, data: immLen > 0 ? out.subarray(0, immLen) : undefined });
    if (unsolicitedEnd > immLen) this.sendDataSequence(itt, RESERVED, out, immLen, unsolicitedEnd - immLen, o.lun);
    const dataIn = Buffer.alloc(readLength);
    let got = 0;
    const deadline = Date.now() + (o.timeoutMs ?? 15_000);
    for (;;) {
      const p = await this.next(Math.max(0, deadline - Date.now()));
      if (typeof p === 'string') return p;
      if (p.opcode === TOp.NopIn) {
        this.answerTargetPing(p);
        continue;
      }
      if (p.opcode === TOp.Reject) return { reject: p };
      if (p.itt !== itt) continue;
      if (p.opcode === TOp.R2T) {
        const ttt = p.bhs.readUInt32BE(20);
        const offset = p.bhs.readUInt32BE(40);
        const length = p.bhs.readUInt32BE(44);
        this.sendDataSequence(itt, ttt, out, offset, length, o.lun);
        continue;
      }
      if (p.opcode === TOp.DataIn) {
        const offset = p.bhs.readUInt32BE(40);
        if (offset + p.data.length <= dataIn.length) p.data.copy(dataIn, offset);
        got = Math.max(got, offset + p.data.length);
        if ((p.flags & 0x01) !== 0) return { status: p.bhs[3]!, sense: undefined, data: dataIn.subarray(0, got), residual: p.bhs.readUInt32BE(44) };
        continue;
      }
      if (p.opcode === TOp.ScsiResponse) {
        let sense: Buffer | undefined;
        if (p.data.length >= 2) {
          const len = p.data.readUInt16BE(0);
          sense = p.data.subarray(2, 2 + len);
        }
        return { status: p.bhs[3]!, sense, data: dataIn.subarray(0, got), residual: p.bhs.readUInt32BE(44) };
      }
    }
  }

  /** Send `length` bytes of `out` from `offset` as one Data-Out sequence (segments ≤ the target's limit). */
  sendDataSequence(itt: number, ttt: number, out: Buffer, offset: number, length: number, lun?: number): void {
    let dataSN = 0;
    const end = Math.min(out.length, offset + length);
    const seg = Math.max(512, this.targetMaxRecv);
    for (let at = offset; at < end; at += seg) {
      const n = Math.min(seg, end - at);
      this.sendDataOut({ itt, ttt, dataSN: dataSN++, offset: at, final: at + n >= end, data: out.subarray(at, at + n), lun });
    }
  }
}

/** Sense key, ASC and ASCQ of fixed or descriptor format sense data. */
export function senseCodes(sense: Buffer | undefined): { key: number; asc: number; ascq: number } | undefined {
  if (sense === undefined || sense.length < 3) return undefined;
  const code = sense[0]! & 0x7f;
  if (code === 0x72 || code === 0x73) return { key: sense[1]! & 0x0f, asc: sense[2] ?? 0, ascq: sense[3] ?? 0 };
  return { key: sense[2]! & 0x0f, asc: sense[12] ?? 0, ascq: sense[13] ?? 0 };
}
