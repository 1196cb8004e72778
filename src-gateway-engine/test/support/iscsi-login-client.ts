/**
 * A minimal iSCSI initiator (RFC 7143) for interop tests, written from the RFC and not from
 * the target's code, so the tests can do what real initiators never do: replay a CHAP
 * response, reflect the target's challenge, drop the TCP connection in the middle of a
 * write, or leave a session stalled while the same initiator port logs in again.
 *
 * One connection per session, one command at a time, no digests, ErrorRecoveryLevel 0,
 * InitialR2T=Yes and ImmediateData=No (every Data-Out is solicited by an R2T).
 *
 *   connect ─▶ loginStep()* (raw Login Request/Response pairs) ─▶ full feature phase
 *           └▶ login()  (the whole login: AuthMethod None or CHAP, optionally mutual)
 *   full feature phase: scsi() · startWrite() (send part of a write, then stop) · logout()
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const OP_NOP_OUT = 0x00;
const OP_SCSI_COMMAND = 0x01;
const OP_LOGIN_REQUEST = 0x03;
const OP_DATA_OUT = 0x05;
const OP_LOGOUT_REQUEST = 0x06;
const OP_NOP_IN = 0x20;
const OP_SCSI_RESPONSE = 0x21;
const OP_LOGIN_RESPONSE = 0x23;
const OP_DATA_IN = 0x25;
const OP_LOGOUT_RESPONSE = 0x26;
const OP_R2T = 0x31;
const OP_REJECT = 0x3f;
const IMMEDIATE = 0x40;
const RESERVED_TAG = 0xffffffff;

/** SCSI status codes the tests look at. */
export const ScsiStatusCode = Object.freeze({ good: 0x00, checkCondition: 0x02, busy: 0x08, reservationConflict: 0x18 });

/** One PDU as received: its 48-byte BHS and its data segment (padding removed). */
export interface ReceivedPdu {
  opcode: number;
  bhs: Buffer;
  data: Buffer;
}

/** The answer to one Login Request. */
export interface LoginReply {
  /** Status-Class << 8 | Status-Detail (0x0000 success, 0x0201 authentication failure…). */
  status: number;
  statusClass: number;
  statusDetail: number;
  transit: boolean;
  csg: number;
  nsg: number;
  tsih: number;
  keys: Map<string, string>;
}

/** One Login Request (text keys in the order given). */
export interface LoginStep {
  transit: boolean;
  csg: 0 | 1;
  nsg: 0 | 1 | 3;
  keys: Array<[string, string]>;
}

/** The target refused a login (status is class << 8 | detail). */
export class LoginRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'LoginRefused';
  }
}

/** Decoded SCSI sense (fixed or descriptor format). */
export interface SenseData {
  key: number;
  asc: number;
  ascq: number;
}

/** What a SCSI command came back with. */
export interface ScsiResult {
  status: number;
  data: Buffer;
  sense?: SenseData;
}

/** CHAP secrets for login(); `mutual` makes the initiator authenticate the target too. */
export interface ChapLogin {
  user: string;
  secret: string;
  mutual?: {
    /** The CHAP_N the target must answer with. */
    user: string;
    /** The target's secret, to check its CHAP_R. */
    secret: string;
  };
}

/** Options of a whole login. */
export interface LoginOptions {
  initiatorName: string;
  /** Omitted: a Discovery session. */
  targetName?: string;
  chap?: ChapLogin;
}

/** MD5 CHAP response (RFC 1994): MD5(identifier byte ‖ secret ‖ challenge). */
export function chapResponse(id: number, secret: string, challenge: Buffer): Buffer {
  return createHash('md5').update(Buffer.of(id & 0xff)).update(secret, 'utf8').update(challenge).digest();
}

/** A binary value as iSCSI text (`0x` + hex). */
export function hexValue(b: Buffer): string {
  return `0x${b.toString('hex')}`;
}

/** A `0x…` hex (or `0b…` base64) text value as bytes. */
export function parseBinaryValue(v: string): Buffer {
  if (/^0x/i.test(v)) return Buffer.from(v.slice(2).length % 2 === 1 ? `0${v.slice(2)}` : v.slice(2), 'hex');
  if (/^0b/i.test(v)) return Buffer.from(v.slice(2), 'base64');
  throw new Error(`not a binary value: ${v}`);
}

/** Text keys as a data segment: key=value NUL-terminated pairs (padding is added on send). */
export function encodeKeys(keys: Array<[string, string]>): Buffer {
  return Buffer.from(keys.map(([k, v]) => `${k}=${v}\0`).join(''), 'utf8');
}

/** A data segment of NUL-terminated key=value pairs. */
export function decodeKeys(data: Buffer): Map<string, string> {
  const keys = new Map<string, string>();
  for (const pair of data.toString('utf8').split('\0')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq > 0) keys.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return keys;
}

/** Decode sense data (fixed 0x70/0x71 or descriptor 0x72/0x73 format). */
export function decodeSense(sense: Buffer): SenseData | undefined {
  if (sense.length < 4) return undefined;
  const code = sense[0]! & 0x7f;
  if (code === 0x72 || code === 0x73) return { key: sense[1]! & 0x0f, asc: sense[2]!, ascq: sense[3]! };
  if (sense.length < 14) return undefined;
  return { key: sense[2]! & 0x0f, asc: sense[12]!, ascq: sense[13]! };
}

/** The operational keys this client offers (no digests, solicited data only, one R2T at a time). */
const OPERATIONAL_KEYS: Array<[string, string]> = [
  ['HeaderDigest', 'None'],
  ['DataDigest', 'None'],
  ['MaxConnections', '1'],
  ['InitialR2T', 'Yes'],
  ['ImmediateData', 'No'],
  ['MaxRecvDataSegmentLength', '262144'],
  ['MaxBurstLength', '262144'],
  ['FirstBurstLength', '65536'],
  ['DefaultTime2Wait', '0'],
  ['DefaultTime2Retain', '0'],
  ['MaxOutstandingR2T', '1'],
  ['DataPDUInOrder', 'Yes'],
  ['DataSequenceInOrder', 'Yes'],
  ['ErrorRecoveryLevel', '0'],
];

/** One TCP connection (and, after login, its session) to an iSCSI target. */
export class IscsiTestConnection {
  private input: Buffer = Buffer.alloc(0);
  private readonly queue: ReceivedPdu[] = [];
  private waiter: (() => void) | undefined;
  private ended: Error | undefined;
  private itt = 0x1000;
  private cmdSN = 1;
  private expStatSN = 0;
  private loginItt = 0;
  private loginStarted = false;
  /** The target's MaxRecvDataSegmentLength: the largest Data-Out segment we may send. */
  private sendSegment = 8192;
  /** TSIH the target gave the session (0 until the login succeeds). */
  tsih = 0;
  /** Resolves when the TCP connection is closed (by either side). */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    /** The initiator session id (6 bytes); the same ISID again means the same initiator port. */
    readonly isid: Buffer,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
      this.parse();
    });
    socket.on('error', (err) => this.end(err));
    socket.on('close', () => this.end(new Error('connection closed by the target')));
  }

  /** Open a TCP connection; `isid` defaults to a fixed random-type ISID. */
  static connect(address: string, isid: Buffer = Buffer.from([0x80, 0x54, 0x47, 0x00, 0x00, 0x01])): Promise<IscsiTestConnection> {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(colon + 1));
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new IscsiTestConnection(socket, Buffer.from(isid)));
      });
    });
  }

  /** Drop the TCP connection at once (no logout): what a crashed initiator or a cut cable looks like. */
  destroy(): void {
    this.socket.destroy();
  }

  /** True once the connection is closed. */
  get isClosed(): boolean {
    return this.ended !== undefined;
  }

  // ---- login ----

  /** Send one Login Request and read its Login Response. */
  async loginStep(step: LoginStep): Promise<LoginReply> {
    if (!this.loginStarted) {
      this.loginStarted = true;
      this.loginItt = this.nextItt();
    }
    const bhs = Buffer.alloc(48);
    bhs[0] = IMMEDIATE | OP_LOGIN_REQUEST;
    bhs[1] = (step.transit ? 0x80 : 0) | (step.csg << 2) | (step.transit ? step.nsg : 0);
    bhs[2] = 0; // Version-max
    bhs[3] = 0; // Version-min
    this.isid.copy(bhs, 8);
    bhs.writeUInt16BE(0, 14); // TSIH 0: a new session (or the reinstatement of one with this ISID)
    bhs.writeUInt32BE(this.loginItt, 16);
    bhs.writeUInt16BE(1, 20); // CID
    bhs.writeUInt32BE(this.cmdSN, 24);
    bhs.writeUInt32BE(this.expStatSN, 28);
    this.send(bhs, encodeKeys(step.keys));
    const pdu = await this.nextPdu();
    if (pdu.opcode !== OP_LOGIN_RESPONSE) throw new Error(`expected a Login Response, got opcode 0x${pdu.opcode.toString(16)}`);
    const flags = pdu.bhs[1]!;
    const statusClass = pdu.bhs[36]!;
    const statusDetail = pdu.bhs[37]!;
    this.expStatSN = (pdu.bhs.readUInt32BE(24) + 1) >>> 0;
    this.cmdSN = pdu.bhs.readUInt32BE(28); // ExpCmdSN
    const tsih = pdu.bhs.readUInt16BE(14);
    return {
      status: (statusClass << 8) | statusDetail,
      statusClass,
      statusDetail,
      transit: (flags & 0x80) !== 0,
      csg: (flags >> 2) & 3,
      nsg: flags & 3,
      tsih,
      keys: decodeKeys(pdu.data),
    };
  }

  /**
   * The whole login to the full feature phase. Throws {@link LoginRefused} when the target
   * refuses, and a plain Error when the target's mutual CHAP answer is wrong.
   */
  async login(opts: LoginOptions): Promise<void> {
    const identity: Array<[string, string]> = [['InitiatorName', opts.initiatorName]];
    if (opts.targetName !== undefined) identity.push(['SessionType', 'Normal'], ['TargetName', opts.targetName]);
    else identity.push(['SessionType', 'Discovery']);
    const must = (r: LoginReply, what: string): LoginReply => {
      if (r.status !== 0) throw new LoginRefused(r.status, `${what}: login refused with status 0x${r.status.toString(16).padStart(4, '0')}`);
      return r;
    };
    if (opts.chap === undefined) {
      const r = must(await this.loginStep({ transit: true, csg: 0, nsg: 1, keys: [...identity, ['AuthMethod', 'None']] }), 'security stage');
      if (r.keys.get('AuthMethod') !== 'None') throw new Error(`target chose AuthMethod=${r.keys.get('AuthMethod')}`);
    } else {
      const chap = opts.chap;
      const r1 = must(await this.loginStep({ transit: false, csg: 0, nsg: 0, keys: [...identity, ['AuthMethod', 'CHAP,None']] }), 'AuthMethod');
      if (r1.keys.get('AuthMethod') !== 'CHAP') throw new Error(`target chose AuthMethod=${r1.keys.get('AuthMethod')}`);
      const r2 = must(await this.loginStep({ transit: false, csg: 0, nsg: 0, keys: [['CHAP_A', '5']] }), 'CHAP_A');
      const id = Number(r2.keys.get('CHAP_I'));
      const challenge = parseBinaryValue(r2.keys.get('CHAP_C') ?? '');
      const keys: Array<[string, string]> = [
        ['CHAP_N', chap.user],
        ['CHAP_R', hexValue(chapResponse(id, chap.secret, challenge))],
      ];
      const mutualId = 0x5a;
      const mutualChallenge = randomBytes(32);
      if (chap.mutual) keys.push(['CHAP_I', String(mutualId)], ['CHAP_C', hexValue(mutualChallenge)]);
      const r3 = must(await this.loginStep({ transit: true, csg: 0, nsg: 1, keys }), 'CHAP response');
      if (chap.mutual) {
        const expected = chapResponse(mutualId, chap.mutual.secret, mutualChallenge);
        if (r3.keys.get('CHAP_N') !== chap.mutual.user || r3.keys.get('CHAP_R')?.toLowerCase() !== hexValue(expected)) {
          this.destroy();
          throw new Error(`the target failed mutual CHAP (CHAP_N=${r3.keys.get('CHAP_N')}, CHAP_R=${r3.keys.get('CHAP_R')})`);
        }
      }
    }
    await this.operationalStage();
  }

  /** CSG 1 → full feature phase with this client's operational keys. */
  async operationalStage(): Promise<LoginReply> {
    const r = await this.loginStep({ transit: true, csg: 1, nsg: 3, keys: OPERATIONAL_KEYS });
    if (r.status !== 0) throw new LoginRefused(r.status, `operational stage: login refused with status 0x${r.status.toString(16).padStart(4, '0')}`);
    if (!r.transit || r.nsg !== 3) throw new Error('the target did not enter the full feature phase');
    const mrdsl = r.keys.get('MaxRecvDataSegmentLength');
    if (mrdsl !== undefined) this.sendSegment = Number(mrdsl);
    this.tsih = r.tsih;
    return r;
  }

  // ---- full feature phase ----

  /** Run one SCSI command to completion (Data-Out as solicited by R2Ts, Data-In gathered). */
  async scsi(cdb: Buffer, opts: { dataOut?: Buffer; readLength?: number } = {}): Promise<ScsiResult> {
    const itt = this.sendCommand(cdb, opts.dataOut?.length ?? 0, opts.readLength ?? 0);
    const dataIn = Buffer.alloc(opts.readLength ?? 0);
    let dataInEnd = 0;
    for (;;) {
      const pdu = await this.nextPdu();
      const pItt = pdu.bhs.readUInt32BE(16);
      if (pdu.opcode === OP_REJECT) throw new Error(`the target rejected a PDU (reason 0x${pdu.bhs[2]!.toString(16)})`);
      if (pItt !== itt) throw new Error(`unexpected PDU opcode 0x${pdu.opcode.toString(16)} for task 0x${pItt.toString(16)}`);
      if (pdu.opcode === OP_R2T) {
        this.sendSolicited(pdu, opts.dataOut ?? Buffer.alloc(0), Infinity);
        continue;
      }
      if (pdu.opcode === OP_DATA_IN) {
        const offset = pdu.bhs.readUInt32BE(40);
        pdu.data.copy(dataIn, offset);
        dataInEnd = Math.max(dataInEnd, offset + pdu.data.length);
        if ((pdu.bhs[1]! & 0x01) !== 0) {
          this.expStatSN = (pdu.bhs.readUInt32BE(24) + 1) >>> 0;
          return { status: pdu.bhs[3]!, data: dataIn.subarray(0, dataInEnd) };
        }
        continue;
      }
      if (pdu.opcode === OP_SCSI_RESPONSE) {
        this.expStatSN = (pdu.bhs.readUInt32BE(24) + 1) >>> 0;
        const status = pdu.bhs[3]!;
        let sense: SenseData | undefined;
        if (pdu.data.length >= 2) {
          const len = pdu.data.readUInt16BE(0);
          sense = decodeSense(pdu.data.subarray(2, 2 + len));
        }
        return { status, data: dataIn.subarray(0, dataInEnd), ...(sense !== undefined ? { sense } : {}) };
      }
      throw new Error(`unexpected PDU opcode 0x${pdu.opcode.toString(16)} during a command`);
    }
  }

  /**
   * Start a WRITE(10) and send only its first `sendBytes` of data (as solicited by the first
   * R2T), then return with the command still open: the caller drops or stalls the connection.
   */
  async startWrite(lba: number, data: Buffer, sendBytes: number): Promise<void> {
    const itt = this.sendCommand(write10(lba, data.length / 512), data.length, 0);
    const pdu = await this.nextPdu();
    if (pdu.opcode !== OP_R2T || pdu.bhs.readUInt32BE(16) !== itt) throw new Error(`expected an R2T for the write, got opcode 0x${pdu.opcode.toString(16)}`);
    this.sendSolicited(pdu, data, sendBytes);
  }

  /** TEST UNIT READY until it is GOOD, consuming the unit attentions a new or reinstated nexus gets. */
  async clearUnitAttentions(): Promise<SenseData[]> {
    const seen: SenseData[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await this.scsi(Buffer.alloc(6));
      if (r.status === ScsiStatusCode.good) return seen;
      if (r.status !== ScsiStatusCode.checkCondition || r.sense?.key !== 0x6) throw new Error(`TEST UNIT READY: status 0x${r.status.toString(16)} sense ${JSON.stringify(r.sense)}`);
      seen.push(r.sense);
    }
    throw new Error('TEST UNIT READY kept reporting unit attentions');
  }

  /** Logout (close the session) and wait for the target to close the connection. */
  async logout(): Promise<void> {
    const bhs = Buffer.alloc(48);
    bhs[0] = IMMEDIATE | OP_LOGOUT_REQUEST;
    bhs[1] = 0x80; // reason 0: close the session
    bhs.writeUInt32BE(this.nextItt(), 16);
    bhs.writeUInt32BE(this.cmdSN, 24);
    bhs.writeUInt32BE(this.expStatSN, 28);
    this.send(bhs);
    const pdu = await this.nextPdu();
    if (pdu.opcode !== OP_LOGOUT_RESPONSE) throw new Error(`expected a Logout Response, got opcode 0x${pdu.opcode.toString(16)}`);
    if (pdu.bhs[2] !== 0) throw new Error(`logout response ${pdu.bhs[2]}`);
    this.socket.end();
    await this.closed;
  }

  private sendCommand(cdb: Buffer, writeLength: number, readLength: number): number {
    const itt = this.nextItt();
    const bhs = Buffer.alloc(48);
    bhs[0] = OP_SCSI_COMMAND;
    bhs[1] = 0x80 | (readLength > 0 ? 0x40 : 0) | (writeLength > 0 ? 0x20 : 0) | 0x01; // F, R, W, SIMPLE
    bhs.writeUInt32BE(itt, 16);
    bhs.writeUInt32BE(writeLength > 0 ? writeLength : readLength, 20);
    bhs.writeUInt32BE(this.cmdSN, 24);
    this.cmdSN = (this.cmdSN + 1) >>> 0;
    bhs.writeUInt32BE(this.expStatSN, 28);
    cdb.copy(bhs, 32, 0, Math.min(16, cdb.length));
    this.send(bhs);
    return itt;
  }

  /** Answer an R2T with Data-Out PDUs; stop (without the F bit) after `limit` bytes of the burst. */
  private sendSolicited(r2t: ReceivedPdu, data: Buffer, limit: number): void {
    const itt = r2t.bhs.readUInt32BE(16);
    const ttt = r2t.bhs.readUInt32BE(20);
    const offset = r2t.bhs.readUInt32BE(40);
    const length = r2t.bhs.readUInt32BE(44);
    const end = offset + Math.min(length, limit);
    let dataSN = 0;
    for (let at = offset; at < end; ) {
      const n = Math.min(this.sendSegment, end - at);
      const bhs = Buffer.alloc(48);
      bhs[0] = OP_DATA_OUT;
      bhs[1] = at + n === offset + length ? 0x80 : 0;
      bhs.writeUInt32BE(itt, 16);
      bhs.writeUInt32BE(ttt, 20);
      bhs.writeUInt32BE(this.expStatSN, 28);
      bhs.writeUInt32BE(dataSN++, 36);
      bhs.writeUInt32BE(at, 40);
      this.send(bhs, data.subarray(at, at + n));
      at += n;
    }
  }

  private nextItt(): number {
    this.itt = (this.itt + 1) >>> 0;
    if (this.itt === RESERVED_TAG) this.itt = 1;
    return this.itt;
  }

  private send(bhs: Buffer, data?: Buffer): void {
    const len = data?.length ?? 0;
    bhs[5] = (len >> 16) & 0xff;
    bhs[6] = (len >> 8) & 0xff;
    bhs[7] = len & 0xff;
    const pad = (4 - (len % 4)) % 4;
    this.socket.write(data !== undefined && len > 0 ? Buffer.concat([bhs, data, Buffer.alloc(pad)]) : bhs);
  }

  // ---- receiving ----

  private parse(): void {
    while (this.input.length >= 48) {
      const ahs = this.input[4]! * 4;
      const len = (this.input[5]! << 16) | (this.input[6]! << 8) | this.input[7]!;
      const total = 48 + ahs + len + ((4 - (len % 4)) % 4);
      if (this.input.length < total) return;
      const bhs = Buffer.from(this.input.subarray(0, 48));
      const data = Buffer.from(this.input.subarray(48 + ahs, 48 + ahs + len));
      this.input = this.input.subarray(total);
      const pdu = { opcode: bhs[0]! & 0x3f, bhs, data };
      if (pdu.opcode === OP_NOP_IN) {
        this.answerNopIn(pdu);
        continue;
      }
      this.queue.push(pdu);
    }
    this.wake();
  }

  /** A NOP-In ping from the target (TTT set) is answered at once; others are ignored. */
  private answerNopIn(pdu: ReceivedPdu): void {
    const ttt = pdu.bhs.readUInt32BE(20);
    if (ttt === RESERVED_TAG) return;
    const bhs = Buffer.alloc(48);
    bhs[0] = IMMEDIATE | OP_NOP_OUT;
    bhs[1] = 0x80;
    pdu.bhs.copy(bhs, 8, 8, 16);
    bhs.writeUInt32BE(RESERVED_TAG, 16);
    bhs.writeUInt32BE(ttt, 20);
    bhs.writeUInt32BE(this.cmdSN, 24);
    bhs.writeUInt32BE(this.expStatSN, 28);
    this.send(bhs);
  }

  private end(err: Error): void {
    this.ended ??= err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next PDU (NOP-In pings are answered, not returned); rejects when the connection ends first or after 30 s. */
  async nextPdu(timeoutMs = 30_000): Promise<ReceivedPdu> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pdu = this.queue.shift();
      if (pdu !== undefined) return pdu;
      if (this.ended !== undefined) throw this.ended;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no PDU from the target within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** WRITE(10) CDB. */
export function write10(lba: number, blocks: number): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x2a;
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(blocks, 7);
  return cdb;
}

/** READ(10) CDB. */
export function read10(lba: number, blocks: number): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x28;
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(blocks, 7);
  return cdb;
}

/** SYNCHRONIZE CACHE(10) of the whole medium. */
export function synchronizeCache10(): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x35;
  return cdb;
}

/** INQUIRY of a VPD page. */
export function inquiryVpd(page: number, allocation = 1024): Buffer {
  const cdb = Buffer.alloc(6);
  cdb[0] = 0x12;
  cdb[1] = 0x01;
  cdb[2] = page;
  cdb.writeUInt16BE(allocation, 3);
  return cdb;
}

/** One designation descriptor of the Device Identification VPD page (0x83). */
export interface Designator {
  codeSet: number;
  protocolId: number;
  association: number;
  type: number;
  value: Buffer;
}

/** The designation descriptors of a Device Identification VPD page. */
export function parseDeviceIdentification(page: Buffer): Designator[] {
  if (page[1] !== 0x83) throw new Error(`not the Device Identification page (page code 0x${page[1]?.toString(16)})`);
  const end = Math.min(page.length, 4 + page.readUInt16BE(2));
  const out: Designator[] = [];
  for (let at = 4; at + 4 <= end; ) {
    const len = page[at + 3]!;
    out.push({
      protocolId: page[at]! >> 4,
      codeSet: page[at]! & 0x0f,
      association: (page[at + 1]! >> 4) & 0x03,
      type: page[at + 1]! & 0x0f,
      value: Buffer.from(page.subarray(at + 4, at + 4 + len)),
    });
    at += 4 + len;
  }
  return out;
}
