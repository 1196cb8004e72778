import type { Socket } from 'node:net';
import { encodeTextKeys, parseTextKeys, type LoginOutcome, type LoginRequestInput } from '../login/index.js';
import { InitiatorOp, LoginStatus } from '../pdu/opcodes.js';
import type { PduReader } from '../pdu/pdu-reader.js';
import type { PduWriter } from '../pdu/pdu-writer.js';
import { loginResponseBhs, type Numbering } from '../pdu/target-pdus.js';
import type { ItNexus } from '../scsi/scsi-contract.js';
import { snAdd } from '../serial-number.js';
import { remoteAddressOf } from '../../common/remote-address.js';
import { IscsiSession } from '../session/iscsi-session.js';
import { toSessionParams } from './negotiated-params.js';
import type { ConnectionContext } from './connection-context.js';

/** The login failed; a Login Response with this status was sent (or could not be). */
export class LoginFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'LoginFailure';
  }
}

/** Largest login text we reassemble from Continue PDUs before refusing. */
const MAX_LOGIN_TEXT = 64 * 1024;
/** Login PDUs one connection may send before it must be in the full feature phase. */
const MAX_LOGIN_PDUS = 64;

/**
 * The PDU side of the login phase (RFC 7143 §6): Login Requests in, Login Responses out,
 * text reassembled across Continue PDUs, version and ISID/TSIH checks, then the session is
 * created (or reinstated) when the negotiator says the initiator may enter the full feature
 * phase. What the keys mean is the negotiator's business (login/).
 */
export class LoginPhase {
  private statSN = 0;
  private expCmdSN = 0;

  constructor(
    private readonly ctx: ConnectionContext,
    private readonly reader: PduReader,
    private readonly writer: PduWriter,
    private readonly socket: Socket,
    private readonly fields: Record<string, unknown>,
  ) {}

  async run(): Promise<{ session: IscsiSession; statSN: number }> {
    const timer = setTimeout(() => {
      this.ctx.logger.info('iscsi: login timed out', this.fields);
      this.socket.destroy();
    }, this.ctx.limits.loginTimeoutMs);
    try {
      return await this.negotiate();
    } finally {
      clearTimeout(timer);
    }
  }

  private numbering(): Numbering {
    const n = { statSN: this.statSN, expCmdSN: this.expCmdSN, maxCmdSN: snAdd(this.expCmdSN, this.ctx.limits.queueDepth - 1) };
    this.statSN = snAdd(this.statSN, 1);
    return n;
  }

  private async negotiate(): Promise<{ session: IscsiSession; statSN: number }> {
    const negotiator = this.ctx.newNegotiator();
    let first = true;
    let isid = Buffer.alloc(6);
    let tsih = 0;
    let text: Buffer[] = [];
    let textBytes = 0;
    let requests = 0;
    for (;;) {
      const pdu = await this.reader.next();
      if (pdu.opcode !== InitiatorOp.LoginRequest) throw new LoginFailure(`opcode 0x${pdu.opcode.toString(16)} during login`, LoginStatus.InvalidDuringLogin);
      const flags = pdu.flags;
      const transit = (flags & 0x80) !== 0;
      const cont = (flags & 0x40) !== 0;
      const csg = (flags >> 2) & 3;
      const nsg = flags & 3;
      const itt = pdu.itt;
      const respond = (status: number, keys: readonly [string, string][], out?: { transit: boolean; csg: number; nsg: number; tsih?: number }): void => {
        const bhs = loginResponseBhs(
          {
            transit: out?.transit ?? false,
            cont: false,
            csg: out?.csg ?? csg,
            nsg: out?.nsg ?? 0,
            isid,
            tsih: out?.tsih ?? tsih,
            itt,
            statusClass: status >> 8,
            statusDetail: status & 0xff,
          },
          this.numbering(),
        );
        this.writer.send(bhs, keys.length > 0 ? encodeTextKeys(keys) : undefined);
      };
      const fail = (status: number, message: string): never => {
        respond(status, []);
        throw new LoginFailure(message, status);
      };
      if (first) {
        first = false;
        isid = Buffer.from(pdu.bhs.subarray(8, 14));
        tsih = pdu.bhs.readUInt16BE(14);
        this.statSN = pdu.word28;
        this.expCmdSN = pdu.word24;
        const versionMax = pdu.bhs[2]!;
        const versionMin = pdu.bhs[3]!;
        if (versionMin > 0 || versionMax < versionMin) fail(LoginStatus.UnsupportedVersion, `initiator supports iSCSI versions ${versionMin}..${versionMax}, we support 0`);
        if (tsih !== 0) {
          // MaxConnections is 1: a connection cannot join an existing session.
          fail(this.ctx.sessions.get(tsih) === undefined ? LoginStatus.SessionDoesNotExist : LoginStatus.CantIncludeInSession, `login to existing session TSIH ${tsih}`);
        }
      } else if (!pdu.bhs.subarray(8, 14).equals(isid) || pdu.bhs.readUInt16BE(14) !== tsih) {
        fail(LoginStatus.InitiatorError, 'ISID or TSIH changed during login');
      }
      if (++requests > MAX_LOGIN_PDUS) fail(LoginStatus.InitiatorError, `more than ${MAX_LOGIN_PDUS} login PDUs`);
      if (cont && transit) fail(LoginStatus.InitiatorError, 'Login Request with both the C and T bits set');
      if (csg === 2 || (transit && (nsg === 2 || nsg < csg))) fail(LoginStatus.InitiatorError, `invalid login stage transition ${csg}→${nsg}`);
      text.push(pdu.data);
      textBytes += pdu.data.length;
      if (textBytes > MAX_LOGIN_TEXT) fail(LoginStatus.InitiatorError, 'login text too long');
      if (cont) {
        // More text follows: acknowledge with an empty response and read on.
        respond(LoginStatus.Success, [], { transit: false, csg, nsg: 0 });
        continue;
      }
      let keys: Map<string, string>;
      try {
        keys = parseTextKeys(Buffer.concat(text));
      } catch (err) {
        return fail(LoginStatus.InitiatorError, `malformed login text: ${err instanceof Error ? err.message : String(err)}`);
      }
      text = [];
      textBytes = 0;
      const step: LoginRequestInput = { transit, cont: false, csg, nsg, isid, tsih, cid: pdu.bhs.readUInt16BE(20), keys };
      const out = negotiator.handle(step);
      const status = (out.statusClass << 8) | out.statusDetail;
      if (status !== LoginStatus.Success) {
        respond(status, out.keys);
        throw new LoginFailure(out.reason ?? `login refused with status 0x${status.toString(16)}`, status);
      }
      if (out.done === undefined) {
        respond(LoginStatus.Success, out.keys, { transit: out.transit, csg: out.csg, nsg: out.nsg });
        continue;
      }
      const session = await this.createSession(out.done, isid);
      respond(LoginStatus.Success, out.keys, { transit: true, csg: out.csg, nsg: 3, tsih: session.tsih });
      return { session, statSN: this.statSN };
    }
  }

  private async createSession(done: LoginOutcome, isid: Buffer): Promise<IscsiSession> {
    const ctx = this.ctx;
    const target = done.sessionType === 'Normal' ? ctx.targets.lookup(done.targetName ?? '') : undefined;
    if (done.sessionType === 'Normal' && target === undefined) throw new LoginFailure(`target ${done.targetName} vanished during login`, LoginStatus.TargetRemoved);
    if (target !== undefined) {
      const old = ctx.sessions.findSame(done.initiatorName, isid, target.name);
      if (old !== undefined) {
        // Session reinstatement (§6.3.5): the old session ends, its tasks are aborted, then the new one starts.
        ctx.sessions.remove(old);
        await old.terminate('reinstated by a new login with the same ISID');
      }
    }
    const isidHex = isid.toString('hex');
    const nexus: ItNexus | undefined =
      target === undefined
        ? undefined
        : {
            id: `${done.initiatorName},i,0x${isidHex},t,0x${ctx.portalGroupTag.toString(16)}`,
            initiatorName: done.initiatorName,
            isid: isidHex,
            relativeTargetPortId: ctx.relativeTargetPortId,
            targetPortalGroupTag: ctx.portalGroupTag,
          };
    const session = new IscsiSession(ctx.sessions.allocateTsih(), isid, done.initiatorName, target, nexus, toSessionParams(done.params), this.expCmdSN, ctx.limits.queueDepth);
    session.remoteAddress = remoteAddressOf(this.socket);
    ctx.sessions.add(session);
    if (nexus !== undefined) target!.lun0.nexusAdded(nexus);
    return session;
  }
}
