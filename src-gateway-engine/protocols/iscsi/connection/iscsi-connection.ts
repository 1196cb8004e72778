import type { Socket } from 'node:net';
import { ReceiveBuffer } from '../../common/receive-buffer.js';
import { encodeTextKeys, parseTextKeys, sendTargetsResponse } from '../login/index.js';
import { PduFramingError, PduReader } from '../pdu/pdu-reader.js';
import { PduWriter } from '../pdu/pdu-writer.js';
import { InitiatorOp, RejectReason, RESERVED_TAG, TmfFunction, TmfResponse } from '../pdu/opcodes.js';
import { decodeLun, type Pdu } from '../pdu/pdu.js';
import {
  dataInBhs,
  logoutResponseBhs,
  nopInBhs,
  r2tBhs,
  rejectBhs,
  scsiResponseBhs,
  senseSegment,
  textResponseBhs,
  tmfResponseBhs,
  type Numbering,
  type Residual,
} from '../pdu/target-pdus.js';
import { missingLunResponse } from '../scsi/missing-lun.js';
import { isTransferLengthWrite, withTransferLength } from '../scsi/cdb.js';
import type { IscsiTarget } from '../target-resolver.js';
import { ScsiStatus, type ScsiRequest, type ScsiResponse } from '../scsi/scsi-contract.js';
import { dataPhaseError, internalTargetFailure, invalidFieldInInformationUnit, transferTooLong } from './transport-sense.js';
import { IscsiSession } from '../session/iscsi-session.js';
import { DataOutError, ScsiTask } from '../session/scsi-task.js';
import { snAdd } from '../serial-number.js';
import type { ConnectionContext } from './connection-context.js';
import { LoginPhase, LoginFailure } from './login-phase.js';

/** The Data-Out of commands that have none. */
const NO_DATA = Buffer.alloc(0);

/** TIDEGATE_ISCSI_TRACE=1 logs every received PDU's header fields at debug level (read once: env lookups are slow). */
const TRACE = process.env.TIDEGATE_ISCSI_TRACE === '1';

/** A protocol violation that ends the connection after a Reject. */
class ProtocolError extends Error {
  constructor(
    message: string,
    readonly reason: number = RejectReason.ProtocolError,
    readonly bhs?: Buffer,
  ) {
    super(message);
  }
}

/**
 * One TCP connection of an iSCSI target: the login phase, then the full feature phase until
 * logout or failure. Every failure ends this connection (and, with ErrorRecoveryLevel 0,
 * its session) only; nothing here throws into the server.
 */
export class IscsiConnection {
  private readonly input = new ReceiveBuffer();
  private readonly reader = new PduReader(this.input);
  private readonly writer: PduWriter;
  private session: IscsiSession | undefined;
  private statSN = 0;
  private readonly tasks = new Map<number, ScsiTask>();
  /** Tasks running on the logical unit (or waiting for it), to wait for at abort and close. */
  private readonly running = new Map<number, Promise<void>>();
  private nextTtt = 1;
  private dataOutInFlight = 0;
  private readonly waitingForBudget: ScsiTask[] = [];
  private closed = false;
  private loggingOut = false;
  private nopTimer: NodeJS.Timeout | undefined;
  private nopOutstanding: { ttt: number; since: number } | undefined;
  private lastHeard = Date.now();
  private pendingText: { itt: number; ttt: number; rest: Buffer } | undefined;
  private readonly fields: Record<string, unknown>;
  readonly closedPromise: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.fields = { remote: `${socket.remoteAddress}:${socket.remotePort}` };
    this.writer = new PduWriter(socket, ctx.poll);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => {
      this.ctx.poll.received();
      this.lastHeard = Date.now();
      this.input.push(chunk);
    });
    socket.on('error', (err) => ctx.logger.debug('iscsi: socket error', { ...this.fields, error: err.message }));
    socket.on('end', () => socket.end());
    socket.on('close', () => void this.onClose());
    void this.run();
  }

  /** Drop the connection now (server shutdown, session reinstatement, cold reset). */
  destroy(): void {
    this.socket.destroy();
  }

  private async run(): Promise<void> {
    try {
      const login = new LoginPhase(this.ctx, this.reader, this.writer, this.socket, this.fields);
      const outcome = await login.run();
      this.statSN = outcome.statSN;
      await this.startSession(outcome);
      await this.fullFeaturePhase();
    } catch (err) {
      if (this.closed) return;
      if (err instanceof LoginFailure) {
        this.ctx.counters.loginFailures++;
        this.ctx.logger.info('iscsi: login rejected', { ...this.fields, reason: err.message, status: `0x${err.status.toString(16).padStart(4, '0')}` });
        this.socket.end();
      } else if (err instanceof PduFramingError) {
        this.ctx.counters.protocolErrors++;
        this.ctx.logger.warn('iscsi: dropping connection', { ...this.fields, reason: err.message });
        if (err.kind === 'data-digest' && err.bhs !== undefined) this.reject(RejectReason.DataDigestError, err.bhs);
        this.socket.end();
        setTimeout(() => this.socket.destroy(), 1000).unref();
      } else this.fail(err);
    }
  }

  /** Run an async handler; whatever it throws ends this connection, never the process. */
  private guard(work: Promise<void>): void {
    work.catch((err: unknown) => this.fail(err));
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    if (err instanceof ProtocolError) {
      this.ctx.counters.protocolErrors++;
      this.ctx.logger.warn('iscsi: protocol error, dropping connection', { ...this.fields, reason: err.message });
      if (err.bhs !== undefined) this.reject(err.reason, err.bhs);
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
      return;
    }
    this.ctx.logger.error('iscsi: connection failed', { ...this.fields, error: err instanceof Error ? err.message : String(err) });
    this.socket.destroy();
  }

  private async startSession(outcome: Awaited<ReturnType<LoginPhase['run']>>): Promise<void> {
    const session = outcome.session;
    this.session = session;
    this.fields.initiator = session.initiatorName;
    if (session.target !== undefined) this.fields.target = session.target.name;
    session.terminate = async (reason) => {
      this.ctx.logger.info('iscsi: session terminated', { ...this.fields, reason });
      this.socket.destroy();
      await this.closedPromise;
      await this.settle();
    };
    session.abortAll = () => this.abortOwnTasks();
    const p = session.params;
    this.reader.headerDigest = p.headerDigest;
    this.reader.dataDigest = p.dataDigest;
    this.reader.maxDataSegmentLength = p.targetMaxRecvDataSegmentLength;
    this.writer.headerDigest = p.headerDigest;
    this.writer.dataDigest = p.dataDigest;
    this.ctx.logger.info('iscsi: login', {
      ...this.fields,
      tsih: session.tsih,
      type: session.isDiscovery ? 'Discovery' : 'Normal',
      headerDigest: p.headerDigest,
      dataDigest: p.dataDigest,
    });
    this.armNopTimer();
  }

  private async fullFeaturePhase(): Promise<void> {
    for (;;) {
      const pdu = this.reader.tryNext() ?? (await this.reader.next());
      this.handle(pdu);
      if (this.closed) return;
    }
  }

  private numbering(advance: boolean): Numbering {
    const s = this.session!;
    const n = { statSN: this.statSN, expCmdSN: s.expCmdSN, maxCmdSN: s.maxCmdSN };
    if (advance) this.statSN = snAdd(this.statSN, 1);
    return n;
  }

  private handle(pdu: Pdu): void {
    const session = this.session!;
    if (TRACE) this.ctx.logger.debug('iscsi: pdu', { ...this.fields, op: pdu.opcode, imm: pdu.immediate, flags: pdu.flags, itt: pdu.itt, w20: pdu.word20, w24: pdu.word24, w36: pdu.word(36), len: pdu.data.length, exp: session.expCmdSN, max: session.maxCmdSN });
    if (this.loggingOut && pdu.opcode !== InitiatorOp.NopOut) {
      this.reject(RejectReason.WaitingForLogout, pdu.bhs);
      return;
    }
    switch (pdu.opcode) {
      case InitiatorOp.NopOut:
        return this.onNopOut(pdu);
      case InitiatorOp.ScsiCommand:
        if (session.isDiscovery) throw new ProtocolError('SCSI command in a discovery session', RejectReason.ProtocolError, pdu.bhs);
        return this.ordered(pdu, () => this.onScsiCommand(pdu));
      case InitiatorOp.DataOut:
        return this.onDataOut(pdu);
      case InitiatorOp.TaskManagement:
        if (session.isDiscovery) throw new ProtocolError('task management in a discovery session', RejectReason.ProtocolError, pdu.bhs);
        return this.ordered(pdu, () => this.guard(this.onTaskManagement(pdu)));
      case InitiatorOp.TextRequest:
        return this.ordered(pdu, () => this.onText(pdu));
      case InitiatorOp.LogoutRequest: {
        const reason = pdu.flags & 0x7f;
        if (reason > 2) throw new ProtocolError(`logout reason code ${reason}`, RejectReason.InvalidPduField, pdu.bhs);
        return this.ordered(pdu, () => this.guard(this.onLogout(pdu)));
      }
      case InitiatorOp.Snack:
        // ErrorRecoveryLevel is 0: SNACK is not supported (§11.16).
        this.reject(RejectReason.CommandNotSupported, pdu.bhs);
        return;
      case InitiatorOp.LoginRequest:
        throw new ProtocolError('login request in the full feature phase', RejectReason.ProtocolError, pdu.bhs);
      default:
        this.reject(RejectReason.CommandNotSupported, pdu.bhs);
    }
  }

  /** Deliver a request in CmdSN order (immediate ones at once). */
  private ordered(pdu: Pdu, deliver: () => void): void {
    if (pdu.immediate) {
      if (this.tasks.size >= this.ctx.limits.queueDepth * 2) {
        this.reject(RejectReason.ImmediateCommandReject, pdu.bhs);
        return;
      }
      deliver();
      return;
    }
    const outcome = this.session!.order(pdu.word24, deliver);
    if (outcome === 'dropped') this.ctx.logger.debug('iscsi: command outside the CmdSN window ignored', { ...this.fields, cmdSN: pdu.word24, expCmdSN: this.session!.expCmdSN });
  }

  private reject(reason: number, offending: Buffer): void {
    if (this.session === undefined) return;
    this.writer.send(rejectBhs(reason, this.numbering(true)), Buffer.from(offending.subarray(0, 48)));
  }

  // ---- NOP ----

  private onNopOut(pdu: Pdu): void {
    const itt = pdu.itt;
    const ttt = pdu.word20;
    if (ttt !== RESERVED_TAG) {
      // The answer to our ping.
      if (this.nopOutstanding?.ttt === ttt) this.nopOutstanding = undefined;
      return;
    }
    if (itt === RESERVED_TAG) return; // a one-way NOP-Out (no answer wanted)
    if (!pdu.immediate) this.session!.order(pdu.word24, () => undefined);
    // The echo never exceeds what the initiator said it can receive (§13.12).
    const echo = pdu.data.subarray(0, this.session!.params.initiatorMaxRecvDataSegmentLength);
    this.writer.send(nopInBhs(pdu.lunField, itt, RESERVED_TAG, this.numbering(true)), echo.length > 0 ? Buffer.from(echo) : undefined);
  }

  private armNopTimer(): void {
    const { nopIntervalMs, nopTimeoutMs } = this.ctx.limits;
    if (nopIntervalMs <= 0) return;
    this.nopTimer = setInterval(() => {
      const now = Date.now();
      if (this.nopOutstanding !== undefined) {
        if (now - this.nopOutstanding.since > nopTimeoutMs && now - this.lastHeard > nopTimeoutMs) {
          this.ctx.logger.warn('iscsi: initiator stopped answering NOP-In, dropping connection', this.fields);
          this.socket.destroy();
        }
        return;
      }
      if (now - this.lastHeard >= nopIntervalMs) {
        const ttt = this.allocateTtt();
        this.nopOutstanding = { ttt, since: now };
        this.writer.send(nopInBhs(undefined, RESERVED_TAG, ttt, this.numbering(false)));
      }
    }, Math.min(nopIntervalMs, 5000));
    this.nopTimer.unref();
  }

  private allocateTtt(): number {
    const ttt = this.nextTtt;
    this.nextTtt = this.nextTtt >= 0x7fffffff ? 1 : this.nextTtt + 1;
    return ttt;
  }

  // ---- SCSI commands ----

  private onScsiCommand(pdu: Pdu): void {
    const session = this.session!;
    const flags = pdu.flags;
    const isWrite = (flags & 0x20) !== 0;
    const isRead = (flags & 0x40) !== 0;
    const itt = pdu.itt;
    const edtl = pdu.word20;
    // A view, like the CDB: the PDU's bytes are never reused once received.
    const lunField = pdu.lunField;
    const cdb = extendedCdb(pdu);
    if (cdb === undefined) throw new ProtocolError('malformed extended CDB AHS', RejectReason.InvalidPduField, pdu.bhs);
    if (this.tasks.has(itt)) throw new ProtocolError(`initiator task tag 0x${itt.toString(16)} already in use`, RejectReason.TaskInProgress, pdu.bhs);
    if (isWrite && isRead) {
      this.respond(itt, lunField, { status: ScsiStatus.CheckCondition, sense: invalidFieldInInformationUnit() }, 0, 0);
      return;
    }
    if (isWrite && edtl > this.ctx.limits.maxDataOutBytes) {
      // Larger than any transfer we advertise: answer at once; Data-Out that still arrives finds no task and is dropped.
      this.respond(itt, lunField, { status: ScsiStatus.CheckCondition, sense: transferTooLong() }, 0, 0);
      return;
    }
    let task: ScsiTask;
    try {
      // A WRITE's data only goes to the device, which lets go of it once its write settles:
      // its buffer can be lent from the pool and given back when the command is done.
      const allocate = isWrite && isTransferLengthWrite(cdb) ? this.ctx.writeBuffers.lend : Buffer.allocUnsafe;
      task = new ScsiTask(itt, pdu.word24, decodeLun(pdu.lunField), lunField, cdb, edtl, isWrite, flags & 0x07, pdu.segment, (flags & 0x80) !== 0, session.params, () => this.allocateTtt(), allocate);
    } catch (err) {
      if (err instanceof DataOutError) throw new ProtocolError(err.message, RejectReason.ProtocolError, pdu.bhs);
      throw err;
    }
    this.tasks.set(itt, task);
    session.activeCommands++;
    this.afterData(task, isRead ? edtl : 0);
  }

  private onDataOut(pdu: Pdu): void {
    const task = this.tasks.get(pdu.itt);
    if (task === undefined || task.aborted) return; // aborted or answered early: its data is discarded
    if (task.started) {
      // All of its data already arrived and the command runs: a stray extra Data-Out is refused, the command goes on.
      this.ctx.logger.warn('iscsi: Data-Out after the data phase ended', { ...this.fields, itt: pdu.itt });
      this.reject(RejectReason.ProtocolError, pdu.bhs);
      return;
    }
    try {
      task.acceptDataOut(pdu.word20, pdu.word(36), pdu.word(40), pdu.segment, pdu.final);
    } catch (err) {
      if (!(err instanceof DataOutError)) throw err;
      // With ErrorRecoveryLevel 0 a broken data sequence cannot be repaired: the command fails
      // with ABORTED COMMAND (the initiator retries it), the session goes on, and the rest of
      // this command's Data-Out is dropped when it arrives.
      this.ctx.logger.warn('iscsi: Data-Out sequence error, command aborted', { ...this.fields, itt: pdu.itt, reason: err.message });
      task.aborted = true;
      this.tasks.delete(task.itt);
      this.releaseBudget(task);
      this.session!.activeCommands--;
      this.respond(task.itt, task.lunField, { status: ScsiStatus.CheckCondition, sense: dataPhaseError() }, 0, 0);
      return;
    }
    this.afterData(task, 0);
  }

  /** Solicit more Data-Out, or run the command once all of it is in. */
  private afterData(task: ScsiTask, readLength: number): void {
    if (task.complete) {
      if (task.solicitedBytes > 0) this.releaseBudget(task);
      this.execute(task, readLength);
      return;
    }
    if (!task.budgeted && task.solicitedBytes > 0) {
      if (this.dataOutInFlight > 0 && this.dataOutInFlight + task.solicitedBytes > this.ctx.limits.maxDataOutInFlight) {
        if (!this.waitingForBudget.includes(task)) this.waitingForBudget.push(task);
        return;
      }
      task.budgeted = true;
      this.dataOutInFlight += task.solicitedBytes;
    }
    const lunField = task.lunField;
    for (const r of task.nextR2Ts()) {
      this.writer.send(r2tBhs(lunField, task.itt, r.ttt, this.numbering(false), r.r2tSN, r.offset, r.length));
    }
  }

  private releaseBudget(task: ScsiTask): void {
    if (!task.budgeted) return;
    task.budgeted = false;
    this.dataOutInFlight -= task.solicitedBytes;
    while (this.waitingForBudget.length > 0) {
      const next = this.waitingForBudget[0]!;
      if (next.aborted) {
        this.waitingForBudget.shift();
        continue;
      }
      if (this.dataOutInFlight > 0 && this.dataOutInFlight + next.solicitedBytes > this.ctx.limits.maxDataOutInFlight) break;
      this.waitingForBudget.shift();
      this.afterData(next, 0);
    }
  }

  private releaseAllBudget(): void {
    this.waitingForBudget.length = 0;
    this.dataOutInFlight = 0;
  }

  private execute(task: ScsiTask, readLength: number): void {
    const session = this.session!;
    const target = session.target!;
    const request: ScsiRequest = {
      cdb: task.cdb,
      lun: task.lun,
      nexus: session.nexus!,
      dataOut: task.isWrite ? task.dataOut : NO_DATA,
      expectedDataInLength: readLength,
      taskAttribute: task.taskAttribute,
    };
    task.started = true;
    const lunField = task.lunField;
    const done = (async () => {
      let response: ScsiResponse;
      if (task.lun !== 0) {
        response = missingLunResponse(request, [0]);
      } else {
        try {
          response = await this.runOnLun(target, request);
        } catch (err) {
          this.ctx.logger.error('iscsi: logical unit threw', { ...this.fields, error: err instanceof Error ? err.message : String(err) });
          response = { status: ScsiStatus.CheckCondition, sense: internalTargetFailure() };
        }
      }
      if (response.abortTasksOf !== undefined && response.abortTasksOf.length > 0) {
        await this.ctx.abortNexusTasks(target, new Set(response.abortTasksOf.map((n) => n.id)), session);
      }
      if (task.aborted || this.closed) return;
      this.tasks.delete(task.itt);
      this.respond(task.itt, lunField, response, readLength, task.isWrite ? task.edtl : 0, response.dataOutLength);
    })()
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        // The logical unit is done with the data (a WRITE's device write has settled).
        const lent = task.allocatedBuffer;
        if (lent !== undefined) this.ctx.writeBuffers.giveBack(lent);
        this.running.delete(task.itt);
        if (this.tasks.get(task.itt) === task) this.tasks.delete(task.itt);
        session.activeCommands--;
      });
    this.running.set(task.itt, done);
  }

  /** Run a command on LUN 0, reconciling a write's EDTL with its CDB first. */
  private async runOnLun(target: IscsiTarget, request: ScsiRequest): Promise<ScsiResponse> {
    const lu = target.lun0;
    const got = request.dataOut.length;
    // When a WRITE's EDTL disagrees with its CDB, write exactly the whole blocks both agree on
    // and report the rest as a residual (FCP-4 rule (a)); other commands judge their data size themselves.
    const wanted = isTransferLengthWrite(request.cdb) ? lu.dataOutLength(request.cdb) : null;
    if (wanted === null || wanted === got) return lu.execute(request);
    if (got > wanted) {
      // More data than the CDB asks for: write what the CDB says, report the rest as underflow.
      const response = await lu.execute({ ...request, dataOut: request.dataOut.subarray(0, wanted) });
      return { ...response, dataOutLength: wanted };
    }
    // Less data than the CDB asks for: write only the whole blocks that arrived (overflow residual).
    const cdb = got % target.blockLength === 0 ? withTransferLength(request.cdb, got / target.blockLength) : null;
    if (cdb === null) return { status: ScsiStatus.CheckCondition, sense: invalidFieldInInformationUnit(), dataOutLength: wanted };
    const response = await lu.execute({ ...request, cdb });
    return { ...response, dataOutLength: wanted };
  }

  /** Send Data-In (phase-collapsed with GOOD status when possible) and/or the SCSI Response. */
  private respond(itt: number, lunField: Buffer, response: ScsiResponse, readEdtl: number, writeEdtl: number, dataOutLength?: number): void {
    const residual: Residual = { overflow: 0, underflow: 0 };
    let data = response.dataIn;
    if (data !== undefined && data.length > 0) {
      if (data.length > readEdtl) {
        residual.overflow = data.length - readEdtl;
        data = data.subarray(0, readEdtl);
      } else if (data.length < readEdtl) residual.underflow = readEdtl - data.length;
    } else if (readEdtl > 0) residual.underflow = readEdtl;
    if (writeEdtl > 0 || dataOutLength !== undefined) {
      const wanted = dataOutLength ?? writeEdtl;
      if (wanted > writeEdtl) residual.overflow = wanted - writeEdtl;
      else if (wanted < writeEdtl) residual.underflow = writeEdtl - wanted;
    }
    const params = this.session!.params;
    const collapse = response.status === ScsiStatus.Good && response.sense === undefined;
    let dataSN = 0;
    if (data !== undefined && data.length > 0) {
      const segment = params.initiatorMaxRecvDataSegmentLength;
      const burst = params.maxBurstLength;
      for (let offset = 0; offset < data.length; ) {
        const burstEnd = Math.min(data.length, (Math.floor(offset / burst) + 1) * burst);
        const end = Math.min(offset + segment, burstEnd);
        const last = end === data.length;
        const status = last && collapse ? { status: response.status, residual } : undefined;
        this.writer.send(dataInBhs(lunField, itt, this.numbering(status !== undefined), dataSN++, offset, end === burstEnd, status), data.subarray(offset, end));
        offset = end;
      }
      if (collapse) return;
    }
    const bhs = scsiResponseBhs(itt, this.numbering(true), response.status, residual, dataSN);
    this.writer.send(bhs, response.sense !== undefined ? senseSegment(response.sense) : undefined);
  }

  // ---- task management ----

  private async onTaskManagement(pdu: Pdu): Promise<void> {
    const session = this.session!;
    const fn = pdu.flags & 0x7f;
    const itt = pdu.itt;
    const lun = decodeLun(pdu.lunField);
    const answer = (response: number): void => {
      if (!this.closed) this.writer.send(tmfResponseBhs(itt, response, this.numbering(true)));
    };
    try {
      switch (fn) {
        case TmfFunction.AbortTask: {
          const refItt = pdu.word20;
          const refCmdSN = pdu.word(32);
          const task = this.tasks.get(refItt);
          if (task === undefined) {
            if (session.isHeld(refCmdSN)) {
              session.cancelHeld(refCmdSN);
              return answer(TmfResponse.Complete);
            }
            return answer(TmfResponse.TaskDoesNotExist);
          }
          task.aborted = true;
          this.tasks.delete(refItt);
          if (!task.started) {
            this.releaseBudget(task);
            session.activeCommands--;
          }
          await this.running.get(refItt);
          return answer(TmfResponse.Complete);
        }
        case TmfFunction.AbortTaskSet:
        case TmfFunction.ClearTaskSet:
          if (lun !== 0) return answer(TmfResponse.LunDoesNotExist);
          await this.abortOwnTasks();
          return answer(TmfResponse.Complete);
        case TmfFunction.LogicalUnitReset:
          if (lun !== 0) return answer(TmfResponse.LunDoesNotExist);
          await this.abortOwnTasks();
          await this.ctx.reset(session.target!, 'lun-reset', session);
          return answer(TmfResponse.Complete);
        case TmfFunction.TargetWarmReset:
          await this.abortOwnTasks();
          await this.ctx.reset(session.target!, 'target-warm-reset', session);
          return answer(TmfResponse.Complete);
        case TmfFunction.TargetColdReset:
          await this.abortOwnTasks();
          answer(TmfResponse.Complete);
          // A cold reset ends every session of the target, ours included, after the answer (§11.5.1).
          setImmediate(() => void this.ctx.reset(session.target!, 'target-cold-reset', session));
          return;
        case TmfFunction.ClearAca:
          return answer(TmfResponse.NotSupported);
        case TmfFunction.TaskReassign:
          return answer(TmfResponse.ReassignmentNotSupported);
        default:
          return answer(TmfResponse.Rejected);
      }
    } catch (err) {
      this.ctx.logger.error('iscsi: task management failed', { ...this.fields, function: fn, error: err instanceof Error ? err.message : String(err) });
      answer(TmfResponse.Rejected);
    }
  }

  /** Abort this session's tasks and wait until none is running. */
  private async abortOwnTasks(): Promise<void> {
    const session = this.session!;
    for (const task of this.tasks.values()) {
      task.aborted = true;
      if (!task.started) session.activeCommands--;
    }
    this.tasks.clear();
    this.releaseAllBudget();
    await this.settle();
  }

  /** Resolves when no task of this connection is running on the logical unit. */
  private async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  // ---- text (SendTargets) ----

  private onText(pdu: Pdu): void {
    const itt = pdu.itt;
    const ttt = pdu.word20;
    const segment = this.session!.params.initiatorMaxRecvDataSegmentLength;
    if (ttt !== RESERVED_TAG) {
      // The initiator asks for the rest of a long answer.
      const pending = this.pendingText;
      if (pending === undefined || pending.ttt !== ttt) throw new ProtocolError('text request continues an unknown exchange', RejectReason.ProtocolError, pdu.bhs);
      this.sendText(itt, pending.rest, segment);
      return;
    }
    let keys: Map<string, string>;
    try {
      keys = parseTextKeys(pdu.data);
    } catch (err) {
      throw new ProtocolError(`malformed text request: ${err instanceof Error ? err.message : String(err)}`, RejectReason.ProtocolError, pdu.bhs);
    }
    const pairs: [string, string][] = [];
    for (const [key, value] of keys) {
      if (key === 'SendTargets') {
        const targets = this.ctx.targets.list().map((t) => ({ name: t.name, addresses: this.ctx.portals(this.socket.localAddress ?? '127.0.0.1', this.socket.localPort ?? 3260) }));
        pairs.push(...sendTargetsResponse(value, targets, this.session!.isDiscovery));
      } else pairs.push([key, 'NotUnderstood']);
    }
    this.sendText(itt, encodeTextKeys(pairs), segment);
  }

  private sendText(itt: number, body: Buffer, segment: number): void {
    if (body.length <= segment) {
      this.pendingText = undefined;
      this.writer.send(textResponseBhs(itt, RESERVED_TAG, true, this.numbering(true)), body);
      return;
    }
    const ttt = this.allocateTtt();
    this.pendingText = { itt, ttt, rest: body.subarray(segment) };
    this.writer.send(textResponseBhs(itt, ttt, false, this.numbering(true)), body.subarray(0, segment));
  }

  // ---- logout ----

  private async onLogout(pdu: Pdu): Promise<void> {
    const reason = pdu.flags & 0x7f;
    this.loggingOut = true;
    // Close the session or this connection: both mean the whole session here (one connection).
    await this.settle();
    const p = this.session!.params;
    this.writer.send(logoutResponseBhs(pdu.itt, reason === 2 ? 2 : 0, this.numbering(true), p.defaultTime2Wait, p.defaultTime2Retain));
    this.ctx.logger.info('iscsi: logout', this.fields);
    this.socket.end();
  }

  // ---- end ----

  private async onClose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.nopTimer !== undefined) clearInterval(this.nopTimer);
    this.input.fail(new Error('connection closed'));
    for (const task of this.tasks.values()) task.aborted = true;
    this.tasks.clear();
    this.releaseAllBudget();
    const session = this.session;
    if (session === undefined) return;
    await this.settle();
    if (!session.closed) {
      session.closed = true;
      this.ctx.sessions.remove(session);
      if (session.nexus !== undefined) session.target?.lun0.nexusLost(session.nexus);
    }
    this.ctx.logger.debug('iscsi: connection closed', this.fields);
  }
}

/** The CDB: 16 bytes of the BHS, extended by an AHS of type 1 for longer CDBs (§11.3.1). */
function extendedCdb(pdu: Pdu): Buffer | undefined {
  const base = pdu.bhs.subarray(32, 48);
  if (pdu.ahs.length === 0) return base;
  let offset = 0;
  while (offset + 4 <= pdu.ahs.length) {
    const length = pdu.ahs.readUInt16BE(offset);
    const type = pdu.ahs[offset + 2]!;
    const total = (3 + length + 3) & ~3;
    if (offset + 3 + length > pdu.ahs.length) return undefined;
    if (type === 1) return Buffer.concat([base, pdu.ahs.subarray(offset + 4, offset + 3 + length)]);
    offset += total;
  }
  return base;
}

