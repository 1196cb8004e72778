/**
 * Fuzzing the iSCSI target of a live `tidegate serve` process (DESIGN invariant 7: bad input
 * gets a protocol-proper error and the server keeps serving everyone else).
 *
 *  1. Pre-login garbage: random bytes, truncated headers, a header claiming a 16 MiB data
 *     segment, bad versions, malformed login text, 2000 keys, non-UTF-8, Continue forever,
 *     a wrong first opcode, mutated Login Requests.
 *  2. After login (a fresh session per case, since most violations end the connection):
 *     unknown opcodes, bad EDTLs, random CDBs, CmdSN outside the window, broken Data-Out
 *     sequences, oversized and truncated PDUs, bad digests, lying AHS lengths, random task
 *     management, junk text, huge pings, mutated PDUs and raw garbage.
 *  3. Throughout, a well-behaved session writes and reads back its own region (and libiscsi
 *     asks for INQUIRY / READ CAPACITY); at the end the process is alive, accepts a new
 *     login, reads back everything, and its RSS is bounded.
 *
 * The properties: every command whose CmdSN is in the window gets an answer or the
 * connection closes; a violation gets a Reject, a Login Reject, CHECK CONDITION or a close —
 * never a crash or a hang of the target. Every case runs from its own seed derived from the
 * run's seed (printed; replay with TIDEGATE_FUZZ_SEED=…). Waits are generous bounds that
 * only catch hangs; no assertion depends on speed.
 *
 * Kept out of the random streams, because they are legitimate and would disturb the
 * well-behaved session: LUN and target resets (tested on their own, with the good session
 * recovering), PERSISTENT RESERVE OUT / RESERVE / MODE SELECT / START STOP UNIT / UNMAP /
 * EXTENDED COPY (shared LU state), and writes outside the fuzz region (their LBAs are moved
 * into it). A Logout with a bad reason code has its own test, on its own gateway.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tidegate, type GatewayProcess } from '../../../test/support/gateway-process.js';
import { GwScope, MiB, runTool, toolSkipReason } from '../../../test/support/gw-harness.js';
import { prng } from '../../../test/support/seeded-prng.js';
import { crc32c } from '../pdu/crc32c.js';
import {
  bhs,
  encodeKeys,
  Op,
  read16Cdb,
  RESERVED,
  senseCodes,
  TOp,
  write16Cdb,
  RawIscsiClient,
  type LoginOptions,
  type RawPdu,
} from './raw-iscsi-client.js';

type Rnd = ReturnType<typeof prng>;

const SEED = Number(process.env.TIDEGATE_FUZZ_SEED ?? Date.now() % 1_000_000);
const TARGET = 'iqn.2026-11.dev.tidegate:fz';
const BLOCK = 512;
const VOLUME_BLOCKS = (64 * MiB) / BLOCK;
/** The well-behaved session owns [0, GOOD_BLOCKS); fuzzed writes land in [FUZZ_WRITE_START, end). */
const GOOD_BLOCKS = 8192;
const FUZZ_WRITE_START = VOLUME_BLOCKS / 2;
/** How long the target may take to answer or close before we call it a hang. */
const HANG_MS = 10_000;
const RSS_LIMIT_MIB = 600;
const CONCURRENCY = 12;
const PRE_LOGIN_CASES = Number(process.env.TIDEGATE_FUZZ_PRELOGIN ?? 360);
const POST_LOGIN_CASES = Number(process.env.TIDEGATE_FUZZ_POSTLOGIN ?? 720);

const scope = new GwScope('iscsi-fuzz');
afterAll(() => scope.cleanup());

const libiscsiSkip = await toolSkipReason([
  ['iscsi-inq', ['--usage']],
  ['iscsi-readcapacity16', ['--usage']],
]);

// ---------------------------------------------------------------- helpers

/** A seed for one case, independent of scheduling. */
function caseSeed(scenario: number, index: number): number {
  return (Math.imul(SEED ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(scenario + 1, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

function randomBytes(rnd: Rnd, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rnd.int(256);
  return b;
}

function hex(b: Buffer, max = 96): string {
  return b.subarray(0, max).toString('hex') + (b.length > max ? `…(+${b.length - max})` : '');
}

/** A failure inside a case: carries everything needed to replay it. */
class CaseFailure extends Error {}

/** The context of one case: its seed, what it sent, and how to fail with a reproduction. */
class FuzzCase {
  readonly rnd: Rnd;
  readonly sent: string[] = [];
  kind = '';
  constructor(
    readonly scenario: string,
    readonly index: number,
    readonly seed: number,
  ) {
    this.rnd = prng(seed);
  }

  note(what: string, frame?: Buffer): void {
    this.sent.push(frame === undefined ? what : `${what}: ${hex(frame)}`);
    if (this.sent.length > 24) this.sent.shift();
  }

  fail(message: string): never {
    throw new CaseFailure(
      `${message}\n  replay: TIDEGATE_FUZZ_SEED=${SEED} (scenario ${this.scenario}, case ${this.index}, case seed ${this.seed}, kind ${this.kind})\n  last PDUs sent:\n    ${this.sent.join('\n    ')}`,
    );
  }
}

/** Run `count` cases, at most `CONCURRENCY` at once; the first failure fails the lot (after the others finish). */
async function runCases(scenario: string, scenarioNo: number, count: number, body: (c: FuzzCase) => Promise<void>): Promise<Map<string, number>> {
  const kinds = new Map<string, number>();
  const failures: Error[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    // After a failure the run goes on (a crashed target makes the rest fail fast), so one run shows every distinct problem.
    while (next < count) {
      const i = next++;
      const c = new FuzzCase(scenario, i, caseSeed(scenarioNo, i));
      try {
        await body(c);
      } catch (err) {
        failures.push(err instanceof CaseFailure ? err : new Error(`${String(err)}\n  (TIDEGATE_FUZZ_SEED=${SEED}, scenario ${scenario}, case ${i}, kind ${c.kind})\n    ${c.sent.join('\n    ')}`));
      }
      kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  console.log(`${scenario}: ${count} cases, ${failures.length} failed; ${RawIscsiClient.writes} PDUs / byte runs sent so far by all clients`);
  if (failures.length > 0) {
    const shown = failures.slice(0, 4).map((f) => f.message);
    throw new Error(`${failures.length} of ${count} ${scenario} cases failed; the first ${shown.length}:\n\n${shown.join('\n\n')}`);
  }
  return kinds;
}

// ---------------------------------------------------------------- CDBs

/** SBC/SPC opcodes that only read or report. */
const READ_ONLY_OPS = [0x00, 0x03, 0x08, 0x12, 0x1a, 0x1e, 0x25, 0x28, 0x2f, 0x34, 0x35, 0x37, 0x5a, 0x5e, 0x84, 0x88, 0x8f, 0x90, 0x91, 0x9e, 0xa0, 0xa3, 0xa8, 0xaf, 0xb7];
/** Opcodes that write the medium at an LBA in the CDB: their LBA is moved into the fuzz region. */
const WRITE_OPS = new Set([0x0a, 0x2a, 0x2e, 0x41, 0x89, 0x8a, 0x8b, 0x8e, 0x93, 0x9c, 0xaa, 0xae]);
/** Opcodes that change state other sessions see (or write where we cannot steer them): never sent. */
const EXCLUDED_OPS = new Set([0x04, 0x07, 0x15, 0x16, 0x17, 0x1b, 0x3b, 0x3d, 0x3f, 0x42, 0x48, 0x4c, 0x55, 0x56, 0x57, 0x5f, 0x7f, 0x83, 0x8c, 0x8d, 0x9a, 0x9d, 0x9f, 0xa4, 0xa5, 0xb5]);

function cdbLength(opcode: number): number {
  switch (opcode >> 5) {
    case 0:
      return 6;
    case 1:
    case 2:
      return 10;
    case 4:
      return 16;
    case 5:
      return 12;
    default:
      return 16;
  }
}

/** Make a CDB safe for the shared LU: excluded opcodes become a vendor opcode, writes go to the fuzz region. */
function sanitizeCdb(cdb: Buffer, rnd: Rnd): void {
  const op = cdb[0]!;
  if (EXCLUDED_OPS.has(op)) {
    cdb[0] = 0xc0 + rnd.int(0x20); // vendor specific: INVALID COMMAND OPERATION CODE
    return;
  }
  if (!WRITE_OPS.has(op)) return;
  const lba = FUZZ_WRITE_START + rnd.int(VOLUME_BLOCKS - FUZZ_WRITE_START);
  if (op === 0x0a) {
    cdb[1] = (cdb[1]! & 0xe0) | ((lba >> 16) & 0x1f);
    cdb.writeUInt16BE(lba & 0xffff, 2);
  } else if (cdbLength(op) === 16) cdb.writeBigUInt64BE(BigInt(lba), 2);
  else cdb.writeUInt32BE(lba, 2);
}

const INTERESTING_32 = [0, 1, 2, 7, 8, 255, 256, 511, 512, 4096, 65535, 65536, VOLUME_BLOCKS - 1, VOLUME_BLOCKS, VOLUME_BLOCKS + 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** A random CDB: a known opcode with random / boundary fields, or a random opcode; always sanitized. */
function randomCdb(rnd: Rnd): Buffer {
  const r = rnd.next();
  const op = r < 0.55 ? rnd.pick(READ_ONLY_OPS) : r < 0.8 ? rnd.pick([...WRITE_OPS]) : rnd.int(256);
  const len = rnd.next() < 0.9 ? cdbLength(op) : 16;
  const cdb = Buffer.alloc(16);
  cdb[0] = op;
  for (let i = 1; i < len; i++) cdb[i] = rnd.next() < 0.4 ? 0 : rnd.int(256);
  // Boundary values in the LBA / length words.
  if (rnd.next() < 0.6) {
    if (len >= 10) cdb.writeUInt32BE(rnd.pick(INTERESTING_32) >>> 0, len === 16 ? 6 : 2);
    const lenWordAt = len === 16 ? 10 : len === 12 ? 6 : len === 10 ? 7 : 4;
    if (len === 10) cdb.writeUInt16BE(rnd.pick([0, 1, 8, 256, 65535]), lenWordAt);
    else if (len === 6) cdb[4] = rnd.pick([0, 1, 8, 255]);
    else cdb.writeUInt32BE(rnd.pick([0, 1, 8, 256, 2048, 65536, 0xffffffff]) >>> 0, lenWordAt);
  }
  if (rnd.next() < 0.5) cdb[len - 1] = 0; // a plain CONTROL byte most of the time
  sanitizeCdb(cdb, rnd);
  return cdb;
}

/**
 * Make a mutated or random header safe for the shared target: resets become ABORT TASK,
 * a bad logout reason becomes 0 (both have their own tests), CDBs are sanitized.
 */
function sanitizeHeader(h: Buffer, rnd: Rnd): void {
  const op = h[0]! & 0x3f;
  if (op === Op.TaskManagement && [5, 6, 7].includes(h[1]! & 0x7f)) h[1] = (h[1]! & 0x80) | 1;
  if (op === Op.LogoutRequest && (h[1]! & 0x7f) > 2) h[1] = h[1]! & 0x80;
  if (op === Op.ScsiCommand) sanitizeCdb(h.subarray(32, 48), rnd);
}

/** Sanitize every header a target would cut out of a garbage stream. */
function sanitizeStream(buf: Buffer, rnd: Rnd, digests: { header: boolean; data: boolean }): void {
  let pos = 0;
  while (pos + 48 <= buf.length) {
    sanitizeHeader(buf.subarray(pos, pos + 48), rnd);
    const ahs = buf[pos + 4]! * 4;
    const dsl = buf.readUIntBE(pos + 5, 3);
    pos += 48 + ahs + (digests.header ? 4 : 0) + (dsl > 0 ? ((dsl + 3) & ~3) + (digests.data ? 4 : 0) : 0);
  }
}

// ---------------------------------------------------------------- target-side expectations

function isFinalAnswer(p: RawPdu, itt: number): boolean {
  return p.itt === itt && (p.opcode === TOp.ScsiResponse || (p.opcode === TOp.DataIn && (p.flags & 0x01) !== 0));
}

/** Read until the connection closes; fail if it stays open past the hang bound. */
async function expectClosed(c: FuzzCase, conn: RawIscsiClient, why: string): Promise<void> {
  if (!(await conn.waitClosed(HANG_MS))) c.fail(`the target neither answered nor closed the connection (${why})`);
}

/** Ping (immediate NOP-Out): the connection must answer, or (when allowed) be closed. */
async function expectAlive(c: FuzzCase, conn: RawIscsiClient, why: string): Promise<void> {
  const p = await conn.ping(undefined, HANG_MS);
  if (p === 'timeout') c.fail(`ping not answered (${why})`);
  if (p === 'closed') c.fail(`connection closed (${why})`);
}

/** With nothing outstanding, the command window is what it was at login (no slot leaked, none invented). */
async function expectWindowRestored(c: FuzzCase, conn: RawIscsiClient, why: string): Promise<void> {
  const p = await conn.ping(undefined, HANG_MS);
  if (p === 'closed') return;
  if (p === 'timeout') c.fail(`ping not answered (${why})`);
  if (conn.window !== conn.initialWindow) c.fail(`the CmdSN window is ${conn.window} with no command outstanding, ${conn.initialWindow} at login (${why})`);
}

/** After a violation: a Reject (optionally with this reason) or a close, and then the close. */
async function expectRejectThenClose(c: FuzzCase, conn: RawIscsiClient, why: string, reasons?: number[]): Promise<void> {
  const p = await conn.until((x) => x.opcode === TOp.Reject, HANG_MS, (x) => conn.answerTargetPing(x));
  if (p === 'timeout') c.fail(`no Reject and no close after ${why}`);
  if (p !== 'closed' && reasons !== undefined && !reasons.includes(p.bhs[2]!)) c.fail(`Reject reason 0x${p.bhs[2]!.toString(16)} after ${why}; expected one of ${reasons.map((r) => `0x${r.toString(16)}`).join(', ')}`);
  await expectClosed(c, conn, why);
}

/**
 * A broken data phase: the command fails (never GOOD) and the session goes on, or the
 * target rejects the PDU and drops the connection. Both are protocol-proper at
 * ErrorRecoveryLevel 0.
 */
async function expectCommandFailed(c: FuzzCase, conn: RawIscsiClient, itt: number, why: string): Promise<void> {
  const p = await conn.until((x) => isFinalAnswer(x, itt) || x.opcode === TOp.Reject, HANG_MS, (x) => conn.answerTargetPing(x));
  if (p === 'timeout') c.fail(`no answer, no Reject and no close after ${why}`);
  if (p === 'closed') return;
  if (p.opcode === TOp.Reject) {
    await expectClosed(c, conn, `the Reject for ${why}`);
    return;
  }
  if (p.bhs[2] === 0 && p.bhs[3] === 0) c.fail(`the command succeeded (GOOD) despite ${why}`);
  await expectWindowRestored(c, conn, `after the command failed for ${why}`);
}

/** Outstanding commands: each needs an answer; R2Ts are served with the data the command carries. */
interface Pending {
  itt: number;
  data: Buffer;
  /** EDTL of a read: Data-In must stay within it. */
  readEdtl?: number;
}

/**
 * Wait until every pending command is answered, or the connection closed (after a Reject
 * or for a framing error). R2Ts for pending commands get correct Data-Out.
 */
async function awaitAnswers(c: FuzzCase, conn: RawIscsiClient, pending: Pending[], what: string): Promise<'answered' | 'closed'> {
  const open = new Map(pending.map((p) => [p.itt, p]));
  const deadline = Date.now() + HANG_MS;
  while (open.size > 0) {
    const p = await conn.next(Math.max(0, deadline - Date.now()));
    if (p === 'closed') return 'closed';
    if (p === 'timeout') c.fail(`${open.size} command(s) in the CmdSN window got no answer and the connection stayed open (${what}); ITTs ${[...open.keys()].join(',')}`);
    if (p.opcode === TOp.NopIn) conn.answerTargetPing(p);
    else if (p.opcode === TOp.R2T && open.has(p.itt)) {
      const cmd = open.get(p.itt)!;
      const offset = p.bhs.readUInt32BE(40);
      const length = p.bhs.readUInt32BE(44);
      if (offset + length > cmd.data.length) c.fail(`R2T for ${offset}+${length} beyond the EDTL ${cmd.data.length}`);
      conn.sendDataSequence(p.itt, p.bhs.readUInt32BE(20), cmd.data, offset, length);
    } else if (p.opcode === TOp.ScsiResponse || p.opcode === TOp.DataIn) {
      if (p.opcode === TOp.ScsiResponse) {
        if (p.data.length >= 2 && p.data.readUInt16BE(0) + 2 > p.data.length) c.fail(`SCSI Response with SenseLength ${p.data.readUInt16BE(0)} beyond its data segment`);
        // CHECK CONDITION carries sense data (fixed or descriptor format) saying why.
        if (p.bhs[2] === 0 && p.bhs[3] === 0x02 && (p.data.length < 10 || ![0x70, 0x71, 0x72, 0x73].includes(p.data[2]! & 0x7f))) c.fail(`CHECK CONDITION without valid sense data: ${hex(p.data)}`);
      }
      const cmd = open.get(p.itt);
      if (p.opcode === TOp.DataIn && cmd !== undefined && cmd.readEdtl !== undefined && p.bhs.readUInt32BE(40) + p.data.length > cmd.readEdtl) {
        c.fail(`Data-In at ${p.bhs.readUInt32BE(40)}+${p.data.length} beyond the command's EDTL ${cmd.readEdtl}`);
      }
      if (isFinalAnswer(p, p.itt)) open.delete(p.itt);
    } else if (p.opcode === TOp.Reject) {
      // A Reject of a command means the connection ends (protocol error) — or, for immediate ones, that it was refused.
      const reason = p.bhs[2]!;
      const rejectedItt = p.data.length >= 48 ? p.data.readUInt32BE(16) : -1;
      if (reason === 0x06 && open.has(rejectedItt)) open.delete(rejectedItt);
    }
  }
  return 'answered';
}

// ---------------------------------------------------------------- the well-behaved session

/** A session that writes and reads back its own region with a model of what it wrote. */
class GoodSession {
  private conn!: RawIscsiClient;
  readonly model = Buffer.alloc(GOOD_BLOCKS * BLOCK);
  private readonly written = new Uint8Array(GOOD_BLOCKS);
  private readonly rnd = prng(SEED ^ 0x600d);
  ops = 0;
  private stopFlag = false;
  private loop: Promise<void> | undefined;
  /** Reconnect when the session is closed (only allowed while a reset test runs). */
  allowClose = false;
  reconnects = 0;

  constructor(private readonly address: string) {}

  async connect(): Promise<void> {
    this.conn = await RawIscsiClient.connect(this.address);
    await this.conn.loginOk({ targetName: TARGET, initiatorName: 'iqn.2026-11.dev.tidegate.test:good', headerDigest: 'CRC32C', dataDigest: 'CRC32C', immediateData: true, initialR2T: false, firstBurstLength: 65536 });
  }

  /** A command that must succeed; retries unit attentions (resets, new nexus) and, when allowed, reconnects. */
  async must(cdb: Buffer, o: { dataOut?: Buffer; readLength?: number }): Promise<Buffer> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const r = await this.conn.command(cdb, { ...o, timeoutMs: HANG_MS });
      if (r === 'closed' || r === 'timeout') {
        if (this.allowClose) {
          this.conn.destroy();
          this.reconnects++;
          await this.connect();
          continue;
        }
        throw new Error(`the well-behaved session saw '${r}' for CDB ${hex(cdb)} (seed ${SEED})${this.conn.readFailure ? `: ${this.conn.readFailure.message}` : ''}`);
      }
      if ('reject' in r) throw new Error(`the well-behaved session got a Reject: ${hex(r.reject.bhs)} (seed ${SEED})`);
      if (r.status === 0) return r.data;
      const s = senseCodes(r.sense);
      if (r.status === 2 && s?.key === 6) continue; // UNIT ATTENTION: retry
      throw new Error(`the well-behaved session got status 0x${r.status.toString(16)} sense ${r.sense ? hex(r.sense) : '-'} for CDB ${hex(cdb)} (seed ${SEED})`);
    }
    throw new Error(`the well-behaved session kept getting unit attentions for CDB ${hex(cdb)}`);
  }

  async write(lba: number, blocks: number): Promise<void> {
    const data = Buffer.allocUnsafe(blocks * BLOCK);
    const stamp = (this.ops * 2654435761) >>> 0;
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((stamp + i * 40503 + lba) >>> 0, i);
    await this.must(write16Cdb(lba, blocks), { dataOut: data });
    data.copy(this.model, lba * BLOCK);
    this.written.fill(1, lba, lba + blocks);
  }

  async verify(lba: number, blocks: number, when: string): Promise<void> {
    const got = await this.must(read16Cdb(lba, blocks), { readLength: blocks * BLOCK });
    const want = this.model.subarray(lba * BLOCK, (lba + blocks) * BLOCK);
    if (!got.equals(want)) {
      let first = 0;
      while (first < got.length && got[first] === want[first]) first++;
      throw new Error(`the well-behaved session read back different data ${when}: LBA ${lba}+${blocks}, first difference at byte ${first} (seed ${SEED})`);
    }
  }

  async step(): Promise<void> {
    this.ops++;
    const blocks = 1 + this.rnd.int(this.rnd.next() < 0.1 ? 512 : 32);
    const lba = this.rnd.int(GOOD_BLOCKS - blocks + 1);
    await this.write(lba, blocks);
    await this.verify(lba, blocks, 'right after writing it');
    if (this.rnd.next() < 0.3) {
      const l2 = this.rnd.int(GOOD_BLOCKS - 64);
      await this.verify(l2, 64, 'during fuzzing');
    }
  }

  /** Run `step` until stopped; the loop's error (if any) surfaces from `stop`. */
  start(): void {
    this.stopFlag = false;
    this.loop = (async () => {
      while (!this.stopFlag) await this.step();
    })();
    this.loop.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopFlag = true;
    await this.loop;
    this.loop = undefined;
  }

  /** Read back the whole region and compare with the model. */
  async verifyAll(when: string): Promise<void> {
    for (let lba = 0; lba < GOOD_BLOCKS; lba += 1024) await this.verify(lba, 1024, when);
  }

  get client(): RawIscsiClient {
    return this.conn;
  }

  close(): void {
    this.conn.destroy();
  }
}

// ---------------------------------------------------------------- gateway checks

function statusOf(pid: number): string {
  return readFileSync(`/proc/${pid}/status`, 'utf8');
}

/** Alive means: signal 0 reaches it and it is not a zombie. */
function expectAliveProcess(gw: GatewayProcess): void {
  expect(() => process.kill(gw.pid, 0), `the gateway process is gone:\n${gw.stderr().slice(-4000)}`).not.toThrow();
  const state = /^State:\s+(\S)/m.exec(statusOf(gw.pid))?.[1];
  expect(state, `the gateway process is a zombie (it crashed):\n${gw.stderr().slice(-4000)}`).not.toBe('Z');
}

function rssMiB(pid: number): number {
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(statusOf(pid))?.[1] ?? NaN);
  return kb / 1024;
}

/** Error-level iSCSI log lines: a bug path (an unexpected exception) rather than a protocol-proper answer. */
function iscsiErrorLines(gw: GatewayProcess): string[] {
  return gw
    .stderr()
    .split('\n')
    .filter((l) => l.includes('"level":"error"') && l.includes('iscsi'));
}

async function login(address: string, o: LoginOptions = {}): Promise<RawIscsiClient> {
  const conn = await RawIscsiClient.connect(address);
  await conn.loginOk({ targetName: TARGET, ...o });
  return conn;
}

// ---------------------------------------------------------------- scenario 1: before login

/** A valid first Login Request (operational stage straight to full feature), as bytes. */
function loginFrame(conn: RawIscsiClient, rnd: Rnd, o: { keys?: Buffer; flags?: { transit: boolean; cont: boolean; csg: number; nsg: number }; versionMax?: number; versionMin?: number; tsih?: number; isid?: Buffer } = {}): Buffer {
  const isid = o.isid ?? Buffer.from([0x80, 0xfe, 0, 0, rnd.int(256), rnd.int(256)]);
  const f = o.flags ?? { transit: true, cont: false, csg: 1, nsg: 3 };
  const header = conn.loginBhs({ ...f, isid, itt: rnd.int(1000), tsih: o.tsih, versionMax: o.versionMax, versionMin: o.versionMin, cmdSN: rnd.int(100) });
  const keys = o.keys ?? encodeKeys([['InitiatorName', 'iqn.2026-11.dev.tidegate.test:fuzz'], ['SessionType', 'Normal'], ['TargetName', TARGET]]);
  const padded = Buffer.concat([keys, Buffer.alloc((4 - (keys.length % 4)) % 4)]);
  header.writeUIntBE(keys.length, 5, 3);
  return Buffer.concat([header, padded]);
}

/** Send a login attempt; expect a non-success Login Response or a close, then the close. */
async function expectLoginRefused(c: FuzzCase, conn: RawIscsiClient, why: string, status?: number): Promise<void> {
  for (;;) {
    const p = await conn.next(HANG_MS);
    if (p === 'closed') return;
    if (p === 'timeout') c.fail(`no Login Reject and no close after ${why}`);
    if (p.opcode !== TOp.LoginResponse) c.fail(`a ${p.opcode.toString(16)} PDU before login completed: ${hex(p.bhs)}`);
    const s = (p.bhs[36]! << 8) | p.bhs[37]!;
    if (s === 0) {
      if ((p.flags & 0x83) === 0x83) c.fail(`login succeeded after ${why}`);
      continue; // acknowledging a Continue, or a stage step
    }
    if (status !== undefined && s !== status) c.fail(`Login status 0x${s.toString(16).padStart(4, '0')} after ${why}; expected 0x${status.toString(16).padStart(4, '0')}`);
    if (p.bhs[36] !== 2 && p.bhs[36] !== 3) c.fail(`Login status class ${p.bhs[36]} after ${why}`);
    await expectClosed(c, conn, `after the Login Reject for ${why}`);
    return;
  }
}

async function preLoginCase(address: string, c: FuzzCase): Promise<void> {
  const rnd = c.rnd;
  const conn = await RawIscsiClient.connect(address);
  try {
    const r = rnd.int(15);
    const send = (what: string, frame: Buffer): void => {
      c.note(what, frame);
      conn.sendRaw(frame);
    };
    switch (r) {
      case 0: {
        c.kind = 'random-bytes';
        send('random', randomBytes(rnd, 1 + rnd.int(rnd.next() < 0.5 ? 64 : 4000)));
        conn.end();
        await expectLoginRefused(c, conn, 'random bytes');
        break;
      }
      case 1: {
        c.kind = 'truncated-bhs';
        send('truncated', loginFrame(conn, rnd).subarray(0, 1 + rnd.int(47)));
        conn.end();
        await expectClosed(c, conn, 'a truncated BHS then end of stream');
        break;
      }
      case 2: {
        c.kind = 'huge-data-segment';
        const frame = loginFrame(conn, rnd);
        frame.writeUIntBE(rnd.next() < 0.5 ? 0xffffff : 8193 + rnd.int(0xffffff - 8193), 5, 3);
        send('16 MiB claim', frame.subarray(0, 48 + rnd.int(64)));
        // No end(): the target must refuse on the header alone, not wait for 16 MiB.
        await expectClosed(c, conn, 'a Login Request claiming a data segment above 8 KiB');
        break;
      }
      case 3: {
        c.kind = 'bad-version';
        const min = 1 + rnd.int(255);
        send('versions', loginFrame(conn, rnd, { versionMax: rnd.int(256), versionMin: min }));
        await expectLoginRefused(c, conn, `VersionMin ${min}`, 0x0205);
        break;
      }
      case 4: {
        c.kind = 'text-without-equals';
        const junk = rnd.pick(['InitiatorName', 'iqn.2026-11.x:y', 'abc\0def', '=\0', '=value\0']);
        send('no =', loginFrame(conn, rnd, { keys: Buffer.from(`${junk}\0InitiatorName=iqn.x:y\0`) }));
        await expectLoginRefused(c, conn, 'login text without "="');
        break;
      }
      case 5: {
        c.kind = '2000-keys';
        const pairs: [string, string][] = [['InitiatorName', 'iqn.2026-11.dev.tidegate.test:many'], ['TargetName', TARGET]];
        for (let i = 0; i < 2000; i++) pairs.push([`X-fuzz-${i}`, 'v']);
        const text = encodeKeys(pairs);
        if (rnd.next() < 0.3) {
          // In one PDU: above the 8 KiB a target accepts during login.
          send('2000 keys in one PDU', loginFrame(conn, rnd, { keys: text }));
          await expectLoginRefused(c, conn, '2000 keys in one Login Request');
          break;
        }
        // Across Continue PDUs of at most 8 KiB, as a legal initiator would split it.
        const isid = Buffer.from([0x80, 1, 2, 3, 4, rnd.int(256)]);
        for (let at = 0; at < text.length && !conn.closed; at += 8192) {
          const chunk = text.subarray(at, at + 8192);
          const last = at + 8192 >= text.length;
          const h = conn.loginBhs({ transit: last, cont: !last, csg: 1, nsg: last ? 3 : 0, isid, itt: 7 });
          conn.send(h, { data: chunk });
          const p = await conn.next(HANG_MS);
          if (p === 'closed') break;
          if (p === 'timeout') c.fail('no answer to a Continue Login Request');
          if ((p.bhs[36]! | p.bhs[37]!) !== 0) {
            await expectClosed(c, conn, 'the Login Reject for 2000 keys');
            break;
          }
          if (last && (p.flags & 0x83) === 0x83) c.fail('a login with 2000 keys succeeded');
        }
        if (!conn.closed) await expectClosed(c, conn, 'login with 2000 keys');
        break;
      }
      case 6: {
        c.kind = 'non-utf8';
        const bad = Buffer.concat([Buffer.from('InitiatorName=iqn.2026-11.x:'), randomBytes(rnd, 4).fill(0xc3, 0, 1).fill(0x28, 1, 2), Buffer.from([0xff, 0xfe, 0]), Buffer.from(`TargetName=${TARGET}\0`)]);
        send('non-UTF-8', loginFrame(conn, rnd, { keys: bad }));
        await expectLoginRefused(c, conn, 'a non-UTF-8 value');
        break;
      }
      case 7: {
        c.kind = 'continue-forever';
        // Every PDU has C=1 and carries text: the target must end it (64 KiB cap) rather than buffer forever.
        const isid = Buffer.from([0x80, 9, 9, 9, 9, rnd.int(256)]);
        const chunk = Buffer.from(`X-fuzz=${'a'.repeat(1000 + rnd.int(7000))}`);
        let refused = false;
        for (let i = 0; i < 400 && !refused; i++) {
          conn.send(conn.loginBhs({ transit: false, cont: true, csg: 1, nsg: 0, isid, itt: 3 }), { data: chunk });
          const p = await conn.next(HANG_MS);
          if (p === 'closed') refused = true;
          else if (p === 'timeout') c.fail(`no answer to Continue Login Request #${i}`);
          else if ((p.bhs[36]! | p.bhs[37]!) !== 0) refused = true;
        }
        if (!refused) c.fail('400 Continue Login Requests with text were all accepted');
        await expectClosed(c, conn, 'Continue forever');
        break;
      }
      case 8: {
        c.kind = 'wrong-first-opcode';
        const op = rnd.pick([0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x10, 0x1c, 0x3f, rnd.int(64)].filter((o) => o !== 0x03));
        const h = bhs(op, rnd.int(256), rnd.next() < 0.5);
        randomBytes(rnd, 40).copy(h, 8);
        h[4] = 0;
        const data = rnd.next() < 0.5 ? Buffer.alloc(0) : randomBytes(rnd, rnd.int(600));
        h.writeUIntBE(data.length, 5, 3);
        send(`opcode 0x${op.toString(16)} first`, Buffer.concat([h, data, Buffer.alloc((4 - (data.length % 4)) % 4)]));
        await expectLoginRefused(c, conn, `opcode 0x${op.toString(16)} as the first PDU`);
        break;
      }
      case 9: {
        c.kind = 'bad-stage-flags';
        const flags = rnd.pick([
          { transit: true, cont: true, csg: 1, nsg: 3 },
          { transit: true, cont: false, csg: 2, nsg: 3 },
          { transit: true, cont: false, csg: 3, nsg: 3 },
          { transit: true, cont: false, csg: 1, nsg: 2 },
          { transit: true, cont: false, csg: 1, nsg: 0 },
          { transit: true, cont: false, csg: 0, nsg: 0 },
        ]);
        send('flags', loginFrame(conn, rnd, { flags }));
        await expectLoginRefused(c, conn, `stage flags ${JSON.stringify(flags)}`);
        break;
      }
      case 10: {
        c.kind = 'tsih-nonzero';
        send('tsih', loginFrame(conn, rnd, { tsih: 1 + rnd.int(65535) }));
        await expectLoginRefused(c, conn, 'a login to a session that is not ours');
        break;
      }
      case 11: {
        c.kind = 'bad-identity';
        const keys = rnd.pick([
          encodeKeys([['InitiatorName', 'iqn.x:y'], ['TargetName', 'iqn.2026-11.dev.tidegate:nope']]),
          encodeKeys([['TargetName', TARGET]]),
          encodeKeys([['InitiatorName', `iqn.2026-11.x:${'a'.repeat(300)}`], ['TargetName', TARGET]]),
          encodeKeys([['InitiatorName', 'iqn.x:y'], ['SessionType', 'Bogus'], ['TargetName', TARGET]]),
          encodeKeys([['InitiatorName', 'iqn.x:y'], ['TargetName', TARGET], ['MaxRecvDataSegmentLength', '1']]),
          encodeKeys([['InitiatorName', 'iqn.x:y'], ['TargetName', TARGET], ['HeaderDigest', 'Bogus'], ['AuthMethod', 'None']]),
          encodeKeys([['InitiatorName', 'iqn.x:y'], ['TargetName', TARGET], ['TargetAddress', '1.2.3.4']]),
          encodeKeys([['InitiatorName', 'iqn.x:y'], ['TargetName', TARGET], ['MaxBurstLength', '99999999999999999999']]),
          Buffer.from(`InitiatorName=iqn.x:y\0TargetName=${TARGET}\0InitiatorName=iqn.x:z\0`),
          Buffer.from(`InitiatorName=iqn.x:y\0TargetName=${TARGET}`), // unterminated
        ]);
        send('identity', loginFrame(conn, rnd, { keys }));
        // Some of these are legal with a key Rejected/NotUnderstood: then the login may succeed — log out.
        for (;;) {
          const p = await conn.next(HANG_MS);
          if (p === 'closed') break;
          if (p === 'timeout') c.fail('no answer to a Login Request');
          if (p.opcode !== TOp.LoginResponse) c.fail(`unexpected PDU ${hex(p.bhs)} during login`);
          if ((p.bhs[36]! | p.bhs[37]!) === 0 && (p.flags & 0x83) === 0x83) {
            conn.destroy();
            break;
          }
          if (p.bhs[36] !== 0) {
            await expectClosed(c, conn, 'a Login Reject');
            break;
          }
        }
        break;
      }
      case 12: {
        c.kind = 'mutated-login';
        const frame = loginFrame(conn, rnd);
        const flips = 1 + rnd.int(6);
        for (let i = 0; i < flips; i++) frame[rnd.int(frame.length)] ^= 1 << rnd.int(8);
        send('mutated', frame);
        conn.end();
        // Anything but a crash or a hang: it may even be a successful login.
        if (!(await conn.waitClosed(HANG_MS))) c.fail('a mutated Login Request then end of stream: connection still open');
        break;
      }
      case 13: {
        c.kind = 'isid-changes';
        const isid = Buffer.from([0x80, 5, 5, 5, 5, rnd.int(256)]);
        conn.send(conn.loginBhs({ transit: false, cont: true, csg: 1, nsg: 0, isid, itt: 1 }), { data: Buffer.from('InitiatorName=iqn.x:y\0') });
        const first = await conn.next(HANG_MS);
        if (first === 'timeout') c.fail('no answer to a Continue');
        const other = Buffer.from(isid);
        other[5] = other[5]! ^ 0xff;
        conn.send(conn.loginBhs({ transit: true, cont: false, csg: 1, nsg: 3, isid: other, itt: 1 }), { data: Buffer.from(`TargetName=${TARGET}\0`) });
        await expectLoginRefused(c, conn, 'the ISID changing between Login Requests');
        break;
      }
      default: {
        c.kind = 'empty-continue-then-close';
        const isid = Buffer.from([0x80, 7, 7, 7, 7, rnd.int(256)]);
        const n = 1 + rnd.int(100);
        for (let i = 0; i < n; i++) conn.send(conn.loginBhs({ transit: false, cont: true, csg: 1, nsg: 0, isid, itt: 5 }));
        c.note(`${n} empty Continue PDUs`);
        conn.end();
        if (!(await conn.waitClosed(HANG_MS))) c.fail('empty Continue PDUs then end of stream: connection still open');
      }
    }
    if (conn.readFailure) c.fail(`the target sent a malformed PDU: ${conn.readFailure.message}`);
  } finally {
    conn.destroy();
  }
}

// ---------------------------------------------------------------- scenario 2: after login

const UNKNOWN_OPCODES = [0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x25, 0x31, 0x3c, 0x3d, 0x3e, 0x3f];

/** Random but consistent session parameters for one case. */
function randomLogin(rnd: Rnd): LoginOptions {
  return {
    initiatorName: `iqn.2026-11.dev.tidegate.test:fuzz-${rnd.int(4)}`,
    headerDigest: rnd.next() < 0.4 ? 'CRC32C' : 'None',
    dataDigest: rnd.next() < 0.4 ? 'CRC32C' : 'None',
    immediateData: rnd.next() < 0.7,
    initialR2T: rnd.next() < 0.6,
    maxRecvDataSegmentLength: rnd.pick([512, 4096, 8192, 65536, 262144]),
    firstBurstLength: rnd.pick([512, 65536, 262144]),
    maxBurstLength: rnd.pick([512, 65536, 262144, 1048576]),
  };
}

/** A write of `blocks` in the fuzz region: CDB, EDTL and the data it needs. */
function fuzzWrite(rnd: Rnd, blocks: number): { cdb: Buffer; data: Buffer } {
  const lba = FUZZ_WRITE_START + rnd.int(VOLUME_BLOCKS - FUZZ_WRITE_START - blocks);
  return { cdb: write16Cdb(lba, blocks), data: randomBytes(rnd, blocks * BLOCK) };
}

/** Send a SCSI command for a write the proper way (immediate data when allowed). */
function sendWrite(conn: RawIscsiClient, itt: number, cdb: Buffer, data: Buffer, edtl = data.length): void {
  const imm = conn.immediateData ? Math.min(data.length, conn.firstBurstLength, conn.targetMaxRecv) : 0;
  conn.sendScsi({ itt, cdb, edtl, flags: 0xa1, data: imm > 0 ? data.subarray(0, imm) : undefined });
}

/** Start a write that waits for solicited data (for Data-Out and task tests); resolves with its first R2T. */
async function startSolicitedWrite(c: FuzzCase, conn: RawIscsiClient, blocks: number): Promise<{ itt: number; r2t: RawPdu; data: Buffer } | 'closed'> {
  const itt = conn.itt();
  const w = fuzzWrite(c.rnd, blocks);
  conn.sendScsi({ itt, cdb: w.cdb, edtl: w.data.length, flags: 0xa1 });
  c.note('write without data', conn.scsiBhs({ itt, cdb: w.cdb, edtl: w.data.length, flags: 0xa1 }));
  const r2t = await conn.until((p) => p.itt === itt, HANG_MS, (p) => conn.answerTargetPing(p));
  if (r2t === 'timeout') c.fail('no R2T for a write without immediate data');
  if (r2t === 'closed') return 'closed';
  if (r2t.opcode !== TOp.R2T) c.fail(`expected an R2T, got ${hex(r2t.bhs)}`);
  return { itt, r2t, data: w.data };
}

async function postLoginCase(address: string, c: FuzzCase): Promise<void> {
  const rnd = c.rnd;
  const params = randomLogin(rnd);
  const kinds = [
    'unknown-opcode',
    'snack',
    'bad-edtl',
    'random-cdb',
    'random-cdb',
    'random-cdb',
    'cmdsn-window',
    'data-out-unknown-itt',
    'data-out-violation',
    'data-out-violation',
    'immediate-data-violation',
    'oversized-segment',
    'truncated-then-close',
    'bad-header-digest',
    'bad-data-digest',
    'ahs-lies',
    'tmf',
    'tmf',
    'text-junk',
    'nop',
    'mutated',
    'mutated',
    'garbage',
    'login-in-ffp',
    'duplicate-itt',
    'abandon',
    'discovery',
    'held-gap',
    'data-out-after-complete',
  ] as const;
  const kind = rnd.pick(kinds);
  c.kind = kind;
  if (kind === 'bad-header-digest' || kind === 'bad-data-digest') {
    params.headerDigest = kind === 'bad-header-digest' ? 'CRC32C' : rnd.pick(['None', 'CRC32C'] as const);
    params.dataDigest = 'CRC32C';
  }
  if (kind === 'discovery') params.sessionType = 'Discovery';
  const conn = await RawIscsiClient.connect(address);
  try {
    const lr = await conn.login({ targetName: TARGET, ...params });
    if (lr.statusClass !== 0 || (lr.response.flags & 0x83) !== 0x83) c.fail(`a valid login was refused: ${hex(lr.response.bhs)} ${JSON.stringify(params)}`);
    c.note(`login ${JSON.stringify(params)}`);
    const note = (what: string, h: Buffer): void => c.note(what, h);
    switch (kind) {
      case 'unknown-opcode': {
        const n = 1 + rnd.int(8);
        for (let i = 0; i < n; i++) {
          const op = rnd.pick(UNKNOWN_OPCODES);
          const h = bhs(op, rnd.int(256), rnd.next() < 0.5);
          randomBytes(rnd, 40).copy(h, 8);
          const data = rnd.next() < 0.5 ? undefined : randomBytes(rnd, rnd.int(Math.min(conn.targetMaxRecv, 2000)));
          note(`opcode 0x${op.toString(16)}`, h);
          conn.send(h, { data });
          const p = await conn.until((x) => x.opcode === TOp.Reject, HANG_MS, (x) => conn.answerTargetPing(x));
          if (p === 'timeout') c.fail(`no Reject for opcode 0x${op.toString(16)}`);
          if (p === 'closed') c.fail(`the connection closed for an unknown opcode 0x${op.toString(16)} (expected a Reject and the session to go on)`);
          if (p.bhs[2] !== 0x05) c.fail(`Reject reason 0x${p.bhs[2]!.toString(16)} for an unknown opcode (expected 0x05)`);
          if (p.data.length < 48 || (p.data[0]! & 0x3f) !== op) c.fail(`the Reject does not carry the offending header: ${hex(p.data)}`);
        }
        await expectAlive(c, conn, 'after Rejects for unknown opcodes');
        break;
      }
      case 'snack': {
        const h = bhs(Op.Snack, 0x80 | rnd.int(4));
        randomBytes(rnd, 40).copy(h, 8);
        h[4] = 0;
        note('SNACK', h);
        conn.send(h);
        const p = await conn.until((x) => x.opcode === TOp.Reject, HANG_MS);
        if (p === 'timeout') c.fail('no Reject for a SNACK at ErrorRecoveryLevel 0');
        if (p !== 'closed') await expectAlive(c, conn, 'after a SNACK Reject');
        break;
      }
      case 'bad-edtl': {
        const pending: Pending[] = [];
        const n = 1 + rnd.int(6);
        for (let i = 0; i < n; i++) {
          const itt = conn.itt();
          const blocks = 1 + rnd.int(16);
          const edtl = rnd.pick([0, 1, 511, blocks * BLOCK - 1, blocks * BLOCK + 1, blocks * BLOCK * 2, 16 * MiB, 16 * MiB + 1, 0x7fffffff, 0xffffffff]) >>> 0;
          if (rnd.next() < 0.5) {
            const lba = rnd.int(VOLUME_BLOCKS);
            const h = conn.scsiBhs({ itt, cdb: read16Cdb(lba, blocks), edtl, flags: 0xc1 });
            note('read with EDTL', h);
            conn.sendScsi({ itt, cdb: read16Cdb(lba, blocks), edtl, flags: 0xc1 });
            pending.push({ itt, data: Buffer.alloc(0), readEdtl: edtl });
          } else {
            const w = fuzzWrite(rnd, blocks);
            // Data for the EDTL claimed (capped): the target either solicits it or answers at once.
            const data = edtl <= 4 * MiB ? randomBytes(rnd, edtl) : Buffer.alloc(0);
            const imm = conn.immediateData ? Math.min(data.length, conn.firstBurstLength, conn.targetMaxRecv) : 0;
            const h = conn.scsiBhs({ itt, cdb: w.cdb, edtl, flags: 0xa1 });
            note('write with EDTL', h);
            conn.sendScsi({ itt, cdb: w.cdb, edtl, flags: 0xa1, data: imm > 0 ? data.subarray(0, imm) : undefined });
            pending.push({ itt, data: edtl <= 4 * MiB ? data : Buffer.alloc(0) });
            if (edtl > 4 * MiB && edtl <= 16 * MiB) {
              // We will not send that much: wait for this one's answer or R2T, then drop the connection.
              const p = await conn.until((x) => x.itt === itt, HANG_MS, (x) => conn.answerTargetPing(x));
              if (p === 'timeout') c.fail(`a write with EDTL ${edtl} got neither an R2T nor an answer`);
              conn.destroy();
              return;
            }
          }
        }
        await awaitAnswers(c, conn, pending, 'SCSI commands with odd EDTLs');
        break;
      }
      case 'random-cdb': {
        const rounds = 1 + rnd.int(6);
        for (let round = 0; round < rounds && !conn.closed; round++) {
          const pending: Pending[] = [];
          const batch = 1 + rnd.int(8);
          for (let i = 0; i < batch; i++) {
            const itt = conn.itt();
            const cdb = randomCdb(rnd);
            const dir = rnd.next();
            const attr = rnd.int(8);
            const immediate = rnd.next() < 0.1;
            if (dir < 0.5) {
              const edtl = rnd.pick([0, 8, 36, 96, 252, 512, 4096, 65536]);
              note('random CDB (read)', conn.scsiBhs({ itt, cdb, edtl, flags: 0xc0 | attr, immediate }));
              conn.sendScsi({ itt, cdb, edtl, flags: 0xc0 | attr, immediate });
              pending.push({ itt, data: Buffer.alloc(0), readEdtl: edtl });
            } else if (dir < 0.8) {
              const len = rnd.pick([0, 1, 8, 24, 512, 1024, 4096, 8192]);
              const data = randomBytes(rnd, len);
              const h = conn.scsiBhs({ itt, cdb, edtl: len, flags: (len > 0 ? 0xa0 : 0x80) | attr, immediate });
              note('random CDB (write)', h);
              if (len > 0) sendWrite(conn, itt, cdb, data);
              else conn.sendScsi({ itt, cdb, edtl: 0, flags: 0x80 | attr, immediate });
              pending.push({ itt, data });
            } else {
              const flags = 0x80 | (rnd.int(4) << 5) | attr; // R and W random (both = invalid)
              note('random CDB (flags)', conn.scsiBhs({ itt, cdb, edtl: 512, flags, immediate }));
              conn.sendScsi({ itt, cdb, edtl: 512, flags, immediate });
              pending.push({ itt, data: randomBytes(rnd, 512) });
            }
          }
          await awaitAnswers(c, conn, pending, 'random CDBs');
        }
        await expectWindowRestored(c, conn, 'after random CDBs were all answered');
        break;
      }
      case 'cmdsn-window': {
        // Outside [ExpCmdSN, MaxCmdSN]: silently ignored, the window does not move.
        const before = conn.cmdSN;
        const bad = rnd.pick([before + 0x40000000, before - 1, before - 1000, before + 100_000, (before + 0x80000000) >>> 0]) >>> 0;
        const itt = conn.itt();
        const h = conn.scsiBhs({ itt, cdb: Buffer.from([0, 0, 0, 0, 0, 0]), edtl: 0, flags: 0x81, cmdSN: bad });
        note(`TUR with CmdSN ${bad} (expected ${before})`, h);
        conn.sendScsi({ itt, cdb: Buffer.from([0, 0, 0, 0, 0, 0]), edtl: 0, flags: 0x81, cmdSN: bad });
        const ping = await conn.ping(undefined, HANG_MS);
        if (typeof ping === 'string') c.fail(`ping after an out-of-window command: ${ping}`);
        if (conn.expCmdSN !== before) c.fail(`ExpCmdSN moved to ${conn.expCmdSN} after a command outside the window (was ${before})`);
        // A proper command still works, and the ignored one is never answered.
        const good = conn.itt();
        conn.sendScsi({ itt: good, cdb: Buffer.from([0, 0, 0, 0, 0, 0]), edtl: 0, flags: 0x81 });
        let sawBad = false;
        const p = await conn.until((x) => isFinalAnswer(x, good), HANG_MS, (x) => (sawBad ||= x.itt === itt));
        if (typeof p === 'string') c.fail(`the next in-window command got no answer (${p})`);
        if (sawBad) c.fail('a command outside the CmdSN window was answered');
        break;
      }
      case 'data-out-unknown-itt': {
        const n = 1 + rnd.int(10);
        for (let i = 0; i < n; i++) {
          const h = conn.dataOutBhs({ itt: 0x40000000 + rnd.int(1 << 20), ttt: rnd.next() < 0.5 ? RESERVED : rnd.int(1000), dataSN: rnd.int(10), offset: rnd.int(1 << 20), final: rnd.next() < 0.5 });
          note('Data-Out for no task', h);
          conn.send(h, { data: randomBytes(rnd, 1 + rnd.int(Math.min(4096, conn.targetMaxRecv))) });
        }
        // Dropped (the task may have been answered early) or a Reject: never a hang.
        const p = await conn.ping(undefined, HANG_MS);
        if (p === 'timeout') c.fail('ping not answered after Data-Out for unknown tasks');
        break;
      }
      case 'data-out-violation': {
        const blocks = 2 + rnd.int(64);
        const w = await startSolicitedWrite(c, conn, blocks);
        if (w === 'closed') c.fail('the connection closed on a proper write');
        const ttt = w.r2t.bhs.readUInt32BE(20);
        const offset = w.r2t.bhs.readUInt32BE(40);
        const length = w.r2t.bhs.readUInt32BE(44);
        const violation = rnd.pick(['unknown-ttt', 'wrong-datasn', 'wrong-offset', 'beyond-edtl', 'beyond-r2t', 'unsolicited', 'missing-final', 'early-final'] as const);
        c.kind = `data-out-violation/${violation}`;
        const seg = Math.min(length, conn.targetMaxRecv, 4096);
        const o = { itt: w.itt, ttt, dataSN: 0, offset, final: seg === length, data: w.data.subarray(offset, offset + seg) };
        switch (violation) {
          case 'unknown-ttt':
            o.ttt = (ttt + 1 + rnd.int(1000)) >>> 0;
            break;
          case 'wrong-datasn':
            o.dataSN = 1 + rnd.int(0xfffffffe);
            break;
          case 'wrong-offset':
            o.offset = (offset + rnd.pick([1, 512, length, -512 >>> 0, 0x80000000])) >>> 0;
            break;
          case 'beyond-edtl':
            o.offset = w.data.length - 256;
            o.data = randomBytes(rnd, Math.min(conn.targetMaxRecv, 512 + rnd.int(4096)));
            o.final = true;
            break;
          case 'beyond-r2t':
            o.data = randomBytes(rnd, Math.min(conn.targetMaxRecv, length + 4 + rnd.int(4096)));
            if (o.data.length <= length) o.ttt = (ttt + 1) >>> 0;
            o.final = true;
            break;
          case 'unsolicited':
            o.ttt = RESERVED;
            break;
          case 'missing-final':
            o.data = w.data.subarray(offset, offset + length);
            if (o.data.length > conn.targetMaxRecv) o.data = o.data.subarray(0, conn.targetMaxRecv);
            o.final = false;
            if (o.data.length < length) o.ttt = (ttt + 7) >>> 0; // cannot complete in one PDU: make it another violation
            break;
          case 'early-final':
            o.data = w.data.subarray(offset, offset + Math.max(1, Math.min(seg, length - 512)));
            o.final = true;
            break;
        }
        note(`Data-Out ${violation}`, conn.dataOutBhs(o));
        conn.sendDataOut(o);
        await expectCommandFailed(c, conn, w.itt, `a Data-Out with ${violation}`);
        break;
      }
      case 'immediate-data-violation': {
        const itt = conn.itt();
        const v = rnd.pick(['on-read', 'beyond-edtl', 'beyond-first-burst', 'when-disabled'] as const);
        c.kind = `immediate-data-violation/${v}`;
        if (v === 'on-read') {
          const h = conn.scsiBhs({ itt, cdb: read16Cdb(0, 1), edtl: 512, flags: 0xc1 });
          note('read with immediate data', h);
          conn.send(h, { data: randomBytes(rnd, 4 + rnd.int(500)) });
        } else if (v === 'beyond-edtl') {
          const w = fuzzWrite(rnd, 1);
          const h = conn.scsiBhs({ itt, cdb: w.cdb, edtl: 256, flags: 0xa1 });
          note('write with more immediate data than EDTL', h);
          conn.send(h, { data: randomBytes(rnd, Math.min(conn.targetMaxRecv, 512)) });
        } else if (v === 'beyond-first-burst') {
          const size = Math.min(conn.targetMaxRecv, conn.firstBurstLength + 512);
          const w = fuzzWrite(rnd, Math.ceil(size / BLOCK));
          const h = conn.scsiBhs({ itt, cdb: w.cdb, edtl: w.data.length, flags: 0xa1 });
          note('immediate data beyond FirstBurstLength', h);
          conn.send(h, { data: w.data.subarray(0, size) });
          if (size <= conn.firstBurstLength) {
            // FirstBurstLength ≥ what we may send in one PDU: a legal write after all.
            await awaitAnswers(c, conn, [{ itt, data: w.data }], 'a large immediate-data write');
            break;
          }
        } else {
          if (conn.immediateData) {
            // ImmediateData=Yes for this session: nothing to violate; send a proper write instead.
            const w = fuzzWrite(rnd, 1);
            sendWrite(conn, itt, w.cdb, w.data);
            await awaitAnswers(c, conn, [{ itt, data: w.data }], 'a proper write');
            break;
          }
          const w = fuzzWrite(rnd, 1);
          const h = conn.scsiBhs({ itt, cdb: w.cdb, edtl: 512, flags: 0xa1 });
          note('immediate data although ImmediateData=No', h);
          conn.send(h, { data: w.data });
        }
        await expectRejectThenClose(c, conn, `immediate data ${v}`, [0x04, 0x09]);
        break;
      }
      case 'oversized-segment': {
        const dsl = conn.targetMaxRecv + 1 + rnd.int(0xffffff - conn.targetMaxRecv);
        const op = rnd.pick([Op.NopOut, Op.ScsiCommand, Op.DataOut, Op.TextRequest]);
        const h = op === Op.NopOut ? conn.nopOutBhs({ itt: conn.itt() }) : op === Op.ScsiCommand ? conn.scsiBhs({ itt: conn.itt(), cdb: fuzzWrite(rnd, 1).cdb, edtl: dsl, flags: 0xa1 }) : op === Op.DataOut ? conn.dataOutBhs({ itt: 1, ttt: RESERVED, dataSN: 0, offset: 0, final: true }) : conn.textBhs({ itt: conn.itt() });
        h.writeUIntBE(dsl, 5, 3);
        const head = conn.headerDigest ? Buffer.concat([h, Buffer.alloc(4)]) : h;
        if (conn.headerDigest) head.writeUInt32LE(crc32c(h), 48);
        note(`opcode 0x${op.toString(16)} with a ${dsl}-byte data segment`, h);
        conn.sendRaw(Buffer.concat([head, randomBytes(rnd, rnd.int(1024))]));
        // The target must refuse on the header, without waiting for (or buffering) the data.
        await expectClosed(c, conn, `a data segment of ${dsl} bytes above MaxRecvDataSegmentLength ${conn.targetMaxRecv}`);
        break;
      }
      case 'truncated-then-close': {
        if (rnd.next() < 0.5) {
          const w = await startSolicitedWrite(c, conn, 1 + rnd.int(64));
          if (w === 'closed') c.fail('closed on a proper write');
        }
        const itt = conn.itt();
        const h = conn.scsiBhs({ itt, cdb: read16Cdb(0, 1), edtl: 512, flags: 0xc1 });
        let frame: Buffer;
        if (rnd.next() < 0.5) frame = h.subarray(0, 1 + rnd.int(47)); // part of a header
        else {
          // A whole header announcing 1000 bytes of data, and less than that.
          const nop = conn.nopOutBhs({ itt });
          nop.writeUIntBE(1000, 5, 3);
          frame = Buffer.concat([nop, conn.headerDigest ? Buffer.alloc(4) : Buffer.alloc(0), randomBytes(rnd, rnd.int(999))]);
          if (conn.headerDigest) frame.writeUInt32LE(crc32c(nop), 48);
        }
        note('truncated', frame);
        conn.sendRaw(frame);
        if (rnd.next() < 0.5) conn.end();
        else conn.destroy();
        await conn.closedAfter();
        break;
      }
      case 'bad-header-digest': {
        const itt = conn.itt();
        const h = rnd.next() < 0.5 ? conn.nopOutBhs({ itt }) : conn.scsiBhs({ itt, cdb: read16Cdb(0, 1), edtl: 512, flags: 0xc1 });
        note('bad header digest', h);
        conn.send(h, { corruptHeaderDigest: 1 + rnd.int(0xfffffffe) });
        // The header cannot be trusted: no answer to it, the connection ends.
        const p = await conn.until((x) => x.itt === itt, HANG_MS);
        if (p === 'timeout') c.fail('the connection stayed open after a bad header digest');
        if (p !== 'closed') c.fail(`a PDU with a bad header digest was answered: ${hex(p.bhs)}`);
        break;
      }
      case 'bad-data-digest': {
        const itt = conn.itt();
        let h: Buffer;
        let data: Buffer;
        if (rnd.next() < 0.5 || !conn.immediateData) {
          h = conn.nopOutBhs({ itt });
          data = randomBytes(rnd, 1 + rnd.int(Math.min(4096, conn.targetMaxRecv)));
        } else {
          const w = fuzzWrite(rnd, 1);
          h = conn.scsiBhs({ itt, cdb: w.cdb, edtl: 512, flags: 0xa1 });
          conn.cmdSN = (conn.cmdSN + 1) >>> 0;
          data = w.data;
        }
        note('bad data digest', h);
        conn.send(h, { data, corruptDataDigest: 1 + rnd.int(0xfffffffe) });
        const p = await conn.until((x) => x.itt === itt || x.opcode === TOp.Reject, HANG_MS);
        if (p === 'timeout') c.fail('no Reject and no close after a bad data digest');
        if (p !== 'closed') {
          if (p.opcode !== TOp.Reject) c.fail(`a PDU with a bad data digest was answered: ${hex(p.bhs)}`);
          if (p.bhs[2] !== 0x02) c.fail(`Reject reason 0x${p.bhs[2]!.toString(16)} for a data digest error (expected 0x02)`);
        }
        // ErrorRecoveryLevel 0: the connection may end or go on; it must not hang either way.
        const after = await conn.ping(undefined, HANG_MS);
        if (after === 'timeout') c.fail('neither closed nor alive after a data digest error');
        break;
      }
      case 'ahs-lies': {
        const itt = conn.itt();
        const lie = rnd.pick(['inner-length-too-long', 'total-longer-than-sent', 'random-ahs', 'extended-cdb', 'ahs-on-nop'] as const);
        c.kind = `ahs-lies/${lie}`;
        if (lie === 'ahs-on-nop') {
          const h = conn.nopOutBhs({ itt });
          note('NOP-Out with AHS', h);
          conn.send(h, { ahs: randomBytes(rnd, 4 * (1 + rnd.int(20))) });
          const p = await conn.until((x) => x.itt === itt || x.opcode === TOp.Reject, HANG_MS);
          if (p === 'timeout') c.fail('no answer to a NOP-Out with an AHS');
          break;
        }
        const cdb = lie === 'extended-cdb' ? Buffer.from([0x7e, ...randomBytes(rnd, 15)]) : read16Cdb(rnd.int(VOLUME_BLOCKS), 1);
        sanitizeCdb(cdb, rnd);
        const h = conn.scsiBhs({ itt, cdb, edtl: 512, flags: 0xc1 });
        conn.cmdSN = (conn.cmdSN + 1) >>> 0;
        let ahs: Buffer;
        if (lie === 'inner-length-too-long') {
          ahs = Buffer.alloc(4 * (1 + rnd.int(8)));
          ahs.writeUInt16BE(ahs.length + 1 + rnd.int(60000), 0);
          ahs[2] = rnd.pick([1, 2, rnd.int(256)]);
        } else if (lie === 'extended-cdb') {
          const extra = 1 + rnd.int(240);
          ahs = Buffer.alloc((3 + extra + 1 + 3) & ~3);
          ahs.writeUInt16BE(extra + 1, 0);
          ahs[2] = 1;
          randomBytes(rnd, extra).copy(ahs, 4);
        } else ahs = randomBytes(rnd, 4 * (1 + rnd.int(30)));
        if (lie === 'total-longer-than-sent') {
          const frame = Buffer.concat([h, ahs]);
          frame[4] = ahs.length / 4 + 1 + rnd.int(200);
          note('TotalAHSLength longer than the AHS', frame);
          conn.sendRaw(frame);
          conn.end();
          await expectClosed(c, conn, 'a TotalAHSLength longer than what was sent, then end of stream');
          break;
        }
        note(`AHS ${lie}`, Buffer.concat([h, ahs]));
        conn.send(h, { ahs });
        await awaitAnswers(c, conn, [{ itt, data: Buffer.alloc(0) }], `an AHS (${lie})`);
        break;
      }
      case 'tmf': {
        const n = 1 + rnd.int(6);
        let outstanding: { itt: number; cmdSN: number; ttt: number } | undefined;
        let aborted: typeof outstanding;
        if (rnd.next() < 0.5) {
          const before = conn.cmdSN;
          const w = await startSolicitedWrite(c, conn, 1 + rnd.int(16));
          if (w === 'closed') c.fail('closed on a proper write');
          outstanding = { itt: w.itt, cmdSN: before, ttt: w.r2t.bhs.readUInt32BE(20) };
        }
        for (let i = 0; i < n && !conn.closed; i++) {
          const itt = conn.itt();
          let fn = rnd.int(128);
          if (fn === 5 || fn === 6 || fn === 7) fn = rnd.pick([0, 1, 2, 3, 4, 8, 9, 15, 127]);
          const immediate = rnd.next() < 0.7;
          const refItt = outstanding !== undefined && rnd.next() < 0.5 ? outstanding.itt : rnd.next() < 0.5 ? RESERVED : rnd.int(0xffffffff);
          const h = conn.tmfBhs({ itt, fn, lun: rnd.next() < 0.7 ? 0 : rnd.int(256), refItt, refCmdSN: outstanding?.cmdSN ?? rnd.int(0xffffffff), immediate });
          note(`TMF function ${fn}`, h);
          conn.send(h);
          if (!immediate) conn.cmdSN = (conn.cmdSN + 1) >>> 0;
          const p = await conn.until((x) => x.itt === itt || x.opcode === TOp.Reject, HANG_MS, (x) => conn.answerTargetPing(x));
          if (p === 'timeout') c.fail(`no answer to TMF function ${fn}`);
          if (p === 'closed') c.fail(`the connection closed for TMF function ${fn}`);
          if (p.opcode === TOp.TaskManagementResponse) {
            const resp = p.bhs[2]!;
            if (![0, 1, 2, 3, 4, 5, 6, 255].includes(resp)) c.fail(`TMF response code ${resp}`);
            if (fn === 1 && refItt === outstanding?.itt && resp === 0) {
              aborted = outstanding;
              outstanding = undefined;
            }
          }
        }
        if (aborted !== undefined) {
          // Data-Out for the task just aborted: discarded, never a hang.
          const h = conn.dataOutBhs({ itt: aborted.itt, ttt: aborted.ttt, dataSN: 0, offset: 0, final: true });
          c.note('Data-Out for an aborted task', h);
          conn.send(h, { data: randomBytes(rnd, 512) });
        }
        await expectAlive(c, conn, 'after task management');
        break;
      }
      case 'text-junk': {
        const itt = conn.itt();
        const junk = rnd.pick([
          () => randomBytes(rnd, 1 + rnd.int(2000)),
          () => Buffer.from('SendTargets\0'),
          () => Buffer.from('SendTargets=All\0'),
          () => Buffer.from(`SendTargets=${TARGET}\0`),
          () => Buffer.from('SendTargets=iqn.nope\0'),
          () => Buffer.from(`X-fuzz=${'b'.repeat(9000)}\0`),
          () => encodeKeys(Array.from({ length: 300 }, (_, i) => [`K${i}`, 'v'] as [string, string])),
          () => Buffer.from([0xff, 0xfe, 0x3d, 0x41, 0x00]),
          () => Buffer.from('=x\0'),
          () => Buffer.from('HeaderDigest=CRC32C\0MaxRecvDataSegmentLength=1\0'),
          () => Buffer.alloc(0),
        ])();
        const data = junk.subarray(0, conn.targetMaxRecv);
        const withTtt = rnd.next() < 0.15;
        const h = conn.textBhs({ itt, ttt: withTtt ? rnd.int(0xfffffffe) : RESERVED, final: rnd.next() < 0.9 });
        note('text', Buffer.concat([h, data.subarray(0, 48)]));
        conn.send(h, { data });
        const p = await conn.until((x) => x.itt === itt || x.opcode === TOp.Reject, HANG_MS, (x) => conn.answerTargetPing(x));
        if (p === 'timeout') c.fail('no answer to a Text Request');
        if (p !== 'closed' && p.opcode === TOp.Reject) await expectClosed(c, conn, 'a rejected Text Request');
        else if (p !== 'closed') {
          if (p.opcode !== TOp.TextResponse) c.fail(`unexpected answer to a Text Request: ${hex(p.bhs)}`);
          if (p.data.length > conn.targetMaxRecv && p.data.length > (params.maxRecvDataSegmentLength ?? 8192)) c.fail(`a Text Response of ${p.data.length} bytes exceeds our MaxRecvDataSegmentLength`);
          await expectAlive(c, conn, 'after a Text Response');
        }
        break;
      }
      case 'nop': {
        const v = rnd.pick(['max-ping', 'too-big-ping', 'one-way', 'random-ttt', 'non-immediate'] as const);
        c.kind = `nop/${v}`;
        if (v === 'max-ping') {
          const data = randomBytes(rnd, conn.targetMaxRecv - rnd.int(4));
          const theirs = params.maxRecvDataSegmentLength ?? 8192;
          const p = await conn.ping(data, HANG_MS);
          if (typeof p === 'string') c.fail(`a ${data.length}-byte ping: ${p}`);
          // The echo must respect what we declared: it is cut, or the whole ping if it fits.
          if (p.data.length > theirs) c.fail(`the NOP-In carries ${p.data.length} bytes, above our MaxRecvDataSegmentLength ${theirs}`);
          if (!data.subarray(0, p.data.length).equals(p.data)) c.fail('the NOP-In does not echo the ping data');
        } else if (v === 'too-big-ping') {
          const h = conn.nopOutBhs({ itt: conn.itt() });
          h.writeUIntBE(conn.targetMaxRecv + 1 + rnd.int(16 * MiB - conn.targetMaxRecv), 5, 3);
          note('huge ping', h);
          conn.send(h, { keepLengths: true, headerDigest: conn.headerDigest });
          await expectClosed(c, conn, 'a NOP-Out above MaxRecvDataSegmentLength');
        } else if (v === 'one-way' || v === 'random-ttt') {
          const h = conn.nopOutBhs({ itt: v === 'one-way' ? RESERVED : conn.itt(), ttt: v === 'one-way' ? RESERVED : 1 + rnd.int(0xfffffffd) });
          note(`NOP-Out ${v}`, h);
          conn.send(h, { data: rnd.next() < 0.5 ? randomBytes(rnd, rnd.int(600)) : undefined });
          await expectAlive(c, conn, `after a NOP-Out ${v}`);
        } else {
          const itt = conn.itt();
          const h = conn.nopOutBhs({ itt, immediate: false });
          conn.cmdSN = (conn.cmdSN + 1) >>> 0;
          note('non-immediate NOP-Out', h);
          conn.send(h);
          const p = await conn.until((x) => x.itt === itt, HANG_MS);
          if (typeof p === 'string') c.fail(`a non-immediate NOP-Out: ${p}`);
        }
        break;
      }
      case 'mutated': {
        const n = 1 + rnd.int(5);
        for (let i = 0; i < n && !conn.closed; i++) {
          const itt = conn.itt();
          const base = rnd.pick([
            () => ({ h: conn.scsiBhs({ itt, cdb: read16Cdb(rnd.int(VOLUME_BLOCKS), 1 + rnd.int(8)), edtl: 4096, flags: 0xc1 }), data: undefined as Buffer | undefined }),
            () => ({ h: conn.nopOutBhs({ itt }), data: randomBytes(rnd, rnd.int(100)) }),
            () => ({ h: conn.tmfBhs({ itt, fn: 1, refItt: rnd.int(100) }), data: undefined }),
            () => ({ h: conn.textBhs({ itt }), data: Buffer.from('SendTargets=All\0') }),
            () => ({ h: conn.dataOutBhs({ itt, ttt: 1, dataSN: 0, offset: 0, final: true }), data: randomBytes(rnd, 512) }),
            () => ({ h: conn.scsiBhs({ itt, cdb: randomCdb(rnd), edtl: 512, flags: 0xa1 }), data: randomBytes(rnd, 512) }),
          ])();
          const keepLengths = rnd.next() < 0.3;
          const frameHeader = Buffer.from(base.h);
          frameHeader[4] = 0;
          frameHeader.writeUIntBE(base.data?.length ?? 0, 5, 3);
          const flips = 1 + rnd.int(4);
          for (let f = 0; f < flips; f++) {
            const at = rnd.int(48);
            if (!keepLengths && at >= 4 && at < 8) continue;
            frameHeader[at] = rnd.next() < 0.5 ? frameHeader[at]! ^ (1 << rnd.int(8)) : rnd.int(256);
          }
          sanitizeHeader(frameHeader, rnd);
          if (frameHeader.readUIntBE(5, 3) > 4 * MiB) frameHeader.writeUIntBE(rnd.int(4 * MiB), 5, 3); // still above MaxRecvDataSegmentLength most of the time
          note('mutated', frameHeader);
          conn.send(frameHeader, { data: base.data, keepLengths: true });
        }
        // Whatever the mutations did, a ping is answered — or the framing is lost and, once we stop sending, the target closes.
        const p = await conn.ping(undefined, 3000);
        if (p === 'timeout') {
          conn.end();
          await expectClosed(c, conn, 'mutated PDUs, then a ping nobody answered, then end of stream');
        }
        break;
      }
      case 'garbage': {
        const g = randomBytes(rnd, 1 + rnd.int(rnd.next() < 0.5 ? 200 : 5000));
        // Keep the garbage from claiming segments the sanitizer cannot follow.
        sanitizeStream(g, rnd, { header: conn.headerDigest, data: conn.dataDigest });
        note('garbage', g);
        conn.sendRaw(g);
        conn.end();
        await expectClosed(c, conn, 'random bytes then end of stream');
        break;
      }
      case 'login-in-ffp': {
        const h = conn.loginBhs({ transit: true, cont: false, csg: 1, nsg: 3, isid: Buffer.from([0x80, 0, 0, 0, 0, 1]), itt: conn.itt() });
        note('Login Request in the full feature phase', h);
        conn.send(h, { data: encodeKeys([['InitiatorName', 'iqn.x:y'], ['TargetName', TARGET]]) });
        await expectRejectThenClose(c, conn, 'a Login Request in the full feature phase', [0x04]);
        break;
      }
      case 'duplicate-itt': {
        const w = await startSolicitedWrite(c, conn, 1 + rnd.int(16));
        if (w === 'closed') c.fail('closed on a proper write');
        const h = conn.scsiBhs({ itt: w.itt, cdb: read16Cdb(0, 1), edtl: 512, flags: 0xc1 });
        note('the same ITT again', h);
        conn.sendScsi({ itt: w.itt, cdb: read16Cdb(0, 1), edtl: 512, flags: 0xc1 });
        await expectRejectThenClose(c, conn, 'a second command with an ITT in use', [0x07, 0x04]);
        break;
      }
      case 'abandon': {
        // Writes waiting for data, some large, then the connection drops: the target must free them.
        const n = 1 + rnd.int(6);
        for (let i = 0; i < n; i++) {
          const itt = conn.itt();
          const edtl = rnd.pick([4096, 65536, MiB, 16 * MiB]);
          const h = conn.scsiBhs({ itt, cdb: write16Cdb(FUZZ_WRITE_START, edtl / BLOCK), edtl, flags: 0xa1 });
          note('write left waiting', h);
          conn.sendScsi({ itt, cdb: write16Cdb(FUZZ_WRITE_START, edtl / BLOCK), edtl, flags: 0xa1, data: conn.immediateData ? randomBytes(rnd, Math.min(512, conn.targetMaxRecv)) : undefined });
        }
        await conn.ping(undefined, HANG_MS);
        conn.destroy();
        break;
      }
      case 'discovery': {
        const itt = conn.itt();
        const what = rnd.pick(['scsi', 'tmf', 'text', 'nop'] as const);
        c.kind = `discovery/${what}`;
        if (what === 'scsi') {
          const h = conn.scsiBhs({ itt, cdb: randomCdb(rnd), edtl: 512, flags: 0xc1 });
          note('SCSI in discovery', h);
          conn.send(h);
          await expectRejectThenClose(c, conn, 'a SCSI command in a discovery session');
        } else if (what === 'tmf') {
          const h = conn.tmfBhs({ itt, fn: 1 + rnd.int(4) });
          note('TMF in discovery', h);
          conn.send(h);
          await expectRejectThenClose(c, conn, 'task management in a discovery session');
        } else if (what === 'text') {
          conn.send(conn.textBhs({ itt }), { data: Buffer.from(rnd.pick(['SendTargets=All\0', 'SendTargets=\0', `SendTargets=${TARGET}\0`, 'Foo=bar\0'])) });
          const p = await conn.until((x) => x.itt === itt || x.opcode === TOp.Reject, HANG_MS);
          if (typeof p === 'string') c.fail(`a discovery Text Request: ${p}`);
        } else await expectAlive(c, conn, 'a discovery ping');
        break;
      }
      case 'data-out-after-complete': {
        // The last Data-Out completes the write; a stray one right behind it finds the command executing.
        const n = 1 + rnd.int(12);
        for (let i = 0; i < n && !conn.closed; i++) {
          const w = await startSolicitedWrite(c, conn, 1 + rnd.int(8));
          if (w === 'closed') c.fail('closed on a proper write');
          const ttt = w.r2t.bhs.readUInt32BE(20);
          const length = w.r2t.bhs.readUInt32BE(44);
          conn.sendDataSequence(w.itt, ttt, w.data, w.r2t.bhs.readUInt32BE(40), length);
          const stray = conn.dataOutBhs({ itt: w.itt, ttt: rnd.pick([ttt, RESERVED, (ttt + 0x1000) >>> 0]), dataSN: rnd.int(3), offset: rnd.pick([0, length]), final: true });
          note('stray Data-Out after the last one', stray);
          conn.send(stray, { data: randomBytes(rnd, 512) });
          const p = await conn.until((x) => isFinalAnswer(x, w.itt) || x.opcode === TOp.Reject, HANG_MS, (x) => conn.answerTargetPing(x));
          if (p === 'timeout') c.fail('no answer for a write followed by a stray Data-Out');
          if (p === 'closed') break;
          if (p.opcode === TOp.Reject) {
            // The stray PDU is refused; the write itself still gets exactly one answer (or the connection ends).
            const answer = await conn.until((x) => isFinalAnswer(x, w.itt), HANG_MS, (x) => conn.answerTargetPing(x));
            if (answer === 'closed') break;
            if (answer === 'timeout') c.fail('no answer for the write after its stray Data-Out was rejected');
          }
          const second = await conn.until((x) => isFinalAnswer(x, w.itt), 200);
          if (typeof second !== 'string') c.fail('two answers for one write');
        }
        await expectWindowRestored(c, conn, 'after writes followed by stray Data-Out');
        break;
      }
      case 'held-gap': {
        // Commands ahead of a gap wait; filling the gap delivers them all.
        const skipped = conn.cmdSN;
        const n = 1 + rnd.int(8);
        const pending: Pending[] = [];
        for (let i = 1; i <= n; i++) {
          const itt = conn.itt();
          conn.sendScsi({ itt, cdb: Buffer.from([0, 0, 0, 0, 0, 0]), edtl: 0, flags: 0x81, cmdSN: (skipped + i) >>> 0 });
          pending.push({ itt, data: Buffer.alloc(0) });
        }
        c.note(`${n} commands after a gap at CmdSN ${skipped}`);
        await expectAlive(c, conn, 'commands waiting behind a gap');
        if (rnd.next() < 0.5) {
          conn.destroy();
          break;
        }
        const itt = conn.itt();
        conn.sendScsi({ itt, cdb: Buffer.from([0, 0, 0, 0, 0, 0]), edtl: 0, flags: 0x81, cmdSN: skipped });
        conn.cmdSN = (skipped + n + 1) >>> 0;
        pending.push({ itt, data: Buffer.alloc(0) });
        if ((await awaitAnswers(c, conn, pending, 'filling a CmdSN gap')) === 'closed') c.fail('closed while filling a CmdSN gap');
        await expectWindowRestored(c, conn, 'after a filled CmdSN gap');
        break;
      }
    }
    if (conn.readFailure) c.fail(`the target sent a malformed PDU: ${conn.readFailure.message}`);
    if (conn.violations.length > 0) c.fail(`the target broke the protocol: ${conn.violations.slice(0, 3).join('; ')}`);
  } finally {
    conn.destroy();
  }
}

// ---------------------------------------------------------------- the suite

describe('iSCSI target under fuzzing (live gateway)', () => {
  let gw: GatewayProcess;
  let good: GoodSession;
  let peakRss = 0;
  let rssTimer: NodeJS.Timeout | undefined;
  const libiscsiRuns: string[] = [];
  let libiscsiLoop: Promise<void> | undefined;
  let libiscsiStop = false;

  beforeAll(async () => {
    console.log(`iscsi-fuzz seed ${SEED} (replay with TIDEGATE_FUZZ_SEED=${SEED})`);
    const dir = await scope.dir('gw');
    gw = await scope.start(dir, ['--log-level', 'warn']);
    expect(gw.iscsi, 'the gateway has an iSCSI portal').not.toBeNull();
    await tidegate(['volume', 'create', 'fz', '--size', '64MiB', '--data-dir', dir]);
    good = new GoodSession(gw.iscsi!);
    await good.connect();
    rssTimer = setInterval(() => {
      try {
        peakRss = Math.max(peakRss, rssMiB(gw.pid));
      } catch {
        // the process is gone: the liveness checks say so
      }
    }, 200);
  }, 120_000);

  afterAll(async () => {
    clearInterval(rssTimer);
    libiscsiStop = true;
    await libiscsiLoop;
    good?.close();
  });

  /** libiscsi's own initiator asks for INQUIRY and READ CAPACITY now and then. */
  function startLibiscsi(): void {
    if (libiscsiSkip !== undefined) return;
    libiscsiStop = false;
    libiscsiLoop = (async () => {
      for (let i = 0; !libiscsiStop; i++) {
        const tool = i % 2 === 0 ? 'iscsi-inq' : 'iscsi-readcapacity16';
        const r = await runTool(tool, ['-i', `iqn.2026-11.dev.tidegate.test:libiscsi-${i % 3}`, gw.iscsiUri('fz')], { timeoutMs: 30_000 });
        libiscsiRuns.push(r.code === 0 ? `${tool}: ok` : `${tool}: exit ${r.code ?? r.signal}: ${r.stderr.trim()}`);
        await new Promise((res) => setTimeout(res, 250));
      }
    })();
  }

  it('a well-behaved session writes its region before the fuzzing', async () => {
    for (let lba = 0; lba < GOOD_BLOCKS; lba += 512) await good.write(lba, 512);
    await good.verifyAll('before fuzzing');
  }, 60_000);

  it(`pre-login garbage (${PRE_LOGIN_CASES} connections) gets a Login Reject or a close`, async () => {
    good.start();
    startLibiscsi();
    const kinds = await runCases('pre-login', 1, PRE_LOGIN_CASES, (c) => preLoginCase(gw.iscsi!, c));
    console.log(`pre-login kinds: ${JSON.stringify(Object.fromEntries(kinds))}; good-session ops so far ${good.ops}`);
    expectAliveProcess(gw);
  }, 120_000);

  it(`post-login violations (${POST_LOGIN_CASES} sessions) get Reject, CHECK CONDITION or a close; every in-window command is answered`, async () => {
    const kinds = await runCases('post-login', 2, POST_LOGIN_CASES, (c) => postLoginCase(gw.iscsi!, c));
    console.log(`post-login kinds: ${JSON.stringify(Object.fromEntries(kinds))}; good-session ops so far ${good.ops}; ${RawIscsiClient.writes} PDUs / byte runs sent in all`);
    expectAliveProcess(gw);
  }, 180_000);

  it('the well-behaved session kept working throughout and reads back everything', async () => {
    libiscsiStop = true;
    await libiscsiLoop;
    await good.stop();
    expect(good.ops, 'the well-behaved session made progress during the fuzzing').toBeGreaterThan(0);
    await good.verifyAll('after fuzzing');
    if (libiscsiSkip === undefined) {
      const failed = libiscsiRuns.filter((r) => !r.endsWith(': ok'));
      expect(failed, 'libiscsi tools failed during the fuzzing').toEqual([]);
      expect(libiscsiRuns.length).toBeGreaterThan(0);
    }
  }, 60_000);

  it('LUN, warm and cold resets from another session: the well-behaved session recovers and its data is intact', async () => {
    // LUN RESET and TARGET WARM RESET: Complete; the good session sees a unit attention and goes on.
    // A third session has writes waiting for their data: they are aborted, and their window slots come back.
    for (const fn of [5, 6]) {
      const waiting = await login(gw.iscsi!, { initiatorName: 'iqn.2026-11.dev.tidegate.test:waiting', immediateData: false, initialR2T: true });
      for (let i = 0; i < 40; i++) waiting.sendScsi({ itt: waiting.itt(), cdb: write16Cdb(FUZZ_WRITE_START, 8), edtl: 4096, flags: 0xa1 });
      expect(await waiting.ping()).not.toBe('timeout');
      expect(waiting.window, 'forty commands hold forty slots').toBe(waiting.initialWindow - 40);
      const conn = await login(gw.iscsi!, { initiatorName: 'iqn.2026-11.dev.tidegate.test:resetter' });
      const itt = conn.itt();
      conn.send(conn.tmfBhs({ itt, fn }));
      const p = await conn.until((x) => x.itt === itt, HANG_MS);
      expect(typeof p === 'string' ? p : p.bhs[2], `TMF function ${fn}`).toBe(0);
      conn.destroy();
      await good.step();
      const alive = await waiting.ping();
      expect(alive, 'the session whose commands were aborted goes on').not.toBe('closed');
      expect(waiting.window, `the CmdSN window after TMF ${fn} aborted another session's waiting writes`).toBe(waiting.initialWindow);
      waiting.destroy();
    }
    // TARGET COLD RESET ends every session of the target, the good one too: it logs in again.
    const conn = await login(gw.iscsi!, { initiatorName: 'iqn.2026-11.dev.tidegate.test:resetter' });
    const itt = conn.itt();
    conn.send(conn.tmfBhs({ itt, fn: 7 }));
    const p = await conn.until((x) => x.itt === itt, HANG_MS);
    expect(typeof p === 'string' ? p : p.bhs[2], 'TARGET COLD RESET').toBe(0);
    expect(await conn.waitClosed(HANG_MS), 'the cold reset ends the resetting session').toBe(true);
    good.allowClose = true;
    await good.step();
    good.allowClose = false;
    expect(good.reconnects, 'the cold reset ended the well-behaved session').toBeGreaterThan(0);
    await good.verifyAll('after resets');
  }, 60_000);

  it('the gateway is alive, accepts a new login, has bounded memory and logged no internal errors', async () => {
    expectAliveProcess(gw);
    const conn = await login(gw.iscsi!, { initiatorName: 'iqn.2026-11.dev.tidegate.test:after', headerDigest: 'CRC32C', dataDigest: 'CRC32C' });
    const inq = await conn.command(Buffer.from([0x12, 0, 0, 0, 96, 0]), { readLength: 96 });
    expect(typeof inq === 'object' && 'status' in inq ? inq.status : inq).toBe(0);
    expect(await conn.logout()).not.toBe('timeout');
    conn.destroy();
    const rss = rssMiB(gw.pid);
    console.log(`gateway RSS now ${rss.toFixed(0)} MiB, peak seen ${peakRss.toFixed(0)} MiB`);
    expect(rss, 'gateway RSS (MiB) after the fuzzing').toBeLessThan(RSS_LIMIT_MIB);
    expect(peakRss, 'gateway peak RSS (MiB) during the fuzzing').toBeLessThan(RSS_LIMIT_MIB);
    expect(iscsiErrorLines(gw), 'error-level iSCSI log lines (unexpected exceptions in the target)').toEqual([]);
  }, 60_000);
});

describe('iSCSI Logout with a bad reason code (own gateway: it used to crash the process)', () => {
  it('gets a Reject (or a close), and the gateway keeps serving', async () => {
    const dir = await scope.dir('logout');
    const gw = await scope.start(dir, ['--log-level', 'warn']);
    await tidegate(['volume', 'create', 'fz', '--size', '64MiB', '--data-dir', dir]);
    for (const reason of [3, 4, 0x7f]) {
      const conn = await login(gw.iscsi!, { initiatorName: 'iqn.2026-11.dev.tidegate.test:logout' });
      const itt = conn.itt();
      conn.send(conn.logoutBhs({ itt, reason }));
      const p = await conn.until((x) => x.itt === itt || x.opcode === TOp.Reject, HANG_MS);
      expect(p, `Logout reason ${reason}`).not.toBe('timeout');
      if (typeof p !== 'string') expect([TOp.Reject, TOp.LogoutResponse]).toContain(p.opcode);
      conn.destroy();
      await new Promise((res) => setTimeout(res, 200));
      expectAliveProcess(gw);
    }
    const conn = await login(gw.iscsi!);
    expect(await conn.ping()).not.toBe('closed');
    conn.destroy();
  }, 60_000);
});
