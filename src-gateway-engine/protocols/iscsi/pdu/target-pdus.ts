import { FINAL_BIT, RESERVED_TAG, TargetOp } from './opcodes.js';
import { newBhs } from './pdu.js';

/**
 * Builders for the PDUs a target sends (RFC 7143 §11). Each returns the 48-byte BHS; the
 * writer fills in the data segment length. Sequence numbers are passed in by the
 * connection, which owns them.
 */

/** Window fields every target PDU carries: StatSN, ExpCmdSN, MaxCmdSN. */
export interface Numbering {
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

function numbered(bhs: Buffer, n: Numbering): Buffer {
  bhs.writeUInt32BE(n.statSN >>> 0, 24);
  bhs.writeUInt32BE(n.expCmdSN >>> 0, 28);
  bhs.writeUInt32BE(n.maxCmdSN >>> 0, 32);
  return bhs;
}

export interface Residual {
  overflow: number;
  underflow: number;
}

/** Residual counts are 32-bit on the wire; a CDB can ask for more than that. */
function residualCount(r: Residual): number {
  return Math.min(0xffffffff, r.overflow || r.underflow);
}

/** Residual flag bits of SCSI Response / Data-In byte 1. */
function residualFlags(r: Residual): number {
  return (r.overflow > 0 ? 0x04 : 0) | (r.underflow > 0 ? 0x02 : 0);
}

export function dataInBhs(
  lunField: Buffer,
  itt: number,
  n: Numbering,
  dataSN: number,
  offset: number,
  final: boolean,
  status: { status: number; residual: Residual } | undefined,
): Buffer {
  let flags = final ? FINAL_BIT : 0;
  if (status !== undefined) flags |= 0x01 | residualFlags(status.residual);
  const bhs = numbered(newBhs(TargetOp.DataIn, flags), status !== undefined ? n : { ...n, statSN: 0 });
  if (status !== undefined) bhs[3] = status.status;
  lunField.copy(bhs, 8, 0, 8);
  bhs.writeUInt32BE(itt, 16);
  bhs.writeUInt32BE(RESERVED_TAG, 20);
  bhs.writeUInt32BE(dataSN >>> 0, 36);
  bhs.writeUInt32BE(offset, 40);
  if (status !== undefined) bhs.writeUInt32BE(residualCount(status.residual), 44);
  return bhs;
}

export function scsiResponseBhs(itt: number, n: Numbering, status: number, residual: Residual, expDataSN: number): Buffer {
  const bhs = numbered(newBhs(TargetOp.ScsiResponse, FINAL_BIT | residualFlags(residual)), n);
  bhs[2] = 0x00; // command completed at target
  bhs[3] = status;
  bhs.writeUInt32BE(itt, 16);
  bhs.writeUInt32BE(expDataSN >>> 0, 36);
  bhs.writeUInt32BE(residualCount(residual), 44);
  return bhs;
}

/** The data segment of a SCSI Response that carries sense: SenseLength then the sense bytes. */
export function senseSegment(sense: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + sense.length);
  out.writeUInt16BE(sense.length, 0);
  sense.copy(out, 2);
  return out;
}

export function r2tBhs(lunField: Buffer, itt: number, ttt: number, n: Numbering, r2tSN: number, offset: number, length: number): Buffer {
  const bhs = numbered(newBhs(TargetOp.R2T, FINAL_BIT), n);
  lunField.copy(bhs, 8, 0, 8);
  bhs.writeUInt32BE(itt, 16);
  bhs.writeUInt32BE(ttt, 20);
  bhs.writeUInt32BE(r2tSN >>> 0, 36);
  bhs.writeUInt32BE(offset, 40);
  bhs.writeUInt32BE(length, 44);
  return bhs;
}

export function nopInBhs(lunField: Buffer | undefined, itt: number, ttt: number, n: Numbering): Buffer {
  const bhs = numbered(newBhs(TargetOp.NopIn, FINAL_BIT), n);
  lunField?.copy(bhs, 8, 0, 8);
  bhs.writeUInt32BE(itt, 16);
  bhs.writeUInt32BE(ttt, 20);
  return bhs;
}

export function tmfResponseBhs(itt: number, response: number, n: Numbering): Buffer {
  const bhs = numbered(newBhs(TargetOp.TaskManagementResponse, FINAL_BIT), n);
  bhs[2] = response;
  bhs.writeUInt32BE(itt, 16);
  return bhs;
}

export function textResponseBhs(itt: number, ttt: number, final: boolean, n: Numbering): Buffer {
  const bhs = numbered(newBhs(TargetOp.TextResponse, final ? FINAL_BIT : 0x40), n);
  bhs.writeUInt32BE(itt, 16);
  bhs.writeUInt32BE(ttt, 20);
  return bhs;
}

export function logoutResponseBhs(itt: number, response: number, n: Numbering, time2Wait: number, time2Retain: number): Buffer {
  const bhs = numbered(newBhs(TargetOp.LogoutResponse, FINAL_BIT), n);
  bhs[2] = response;
  bhs.writeUInt32BE(itt, 16);
  bhs.writeUInt16BE(time2Wait, 40);
  bhs.writeUInt16BE(time2Retain, 42);
  return bhs;
}

export function rejectBhs(reason: number, n: Numbering): Buffer {
  const bhs = numbered(newBhs(TargetOp.Reject, FINAL_BIT), n);
  bhs[2] = reason;
  bhs.writeUInt32BE(RESERVED_TAG, 16);
  return bhs;
}

export interface LoginResponseFields {
  transit: boolean;
  cont: boolean;
  csg: number;
  nsg: number;
  isid: Buffer;
  tsih: number;
  itt: number;
  statusClass: number;
  statusDetail: number;
}

export function loginResponseBhs(f: LoginResponseFields, n: Numbering): Buffer {
  const flags = (f.transit ? 0x80 : 0) | (f.cont ? 0x40 : 0) | ((f.csg & 3) << 2) | (f.transit ? f.nsg & 3 : 0);
  const bhs = numbered(newBhs(TargetOp.LoginResponse, flags), n);
  bhs[2] = 0x00; // VersionMax
  bhs[3] = 0x00; // VersionActive
  f.isid.copy(bhs, 8, 0, 6);
  bhs.writeUInt16BE(f.tsih, 14);
  bhs.writeUInt32BE(f.itt, 16);
  bhs[36] = f.statusClass;
  bhs[37] = f.statusDetail;
  return bhs;
}
