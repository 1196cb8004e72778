/**
 * iSCSI TransportIDs (SPC-4 7.6.4.6): how PERSISTENT RESERVE names an initiator port.
 *
 *   byte 0     FORMAT CODE (bits 7-6) | PROTOCOL IDENTIFIER 5h (bits 3-0)
 *   bytes 2-3  ADDITIONAL LENGTH (multiple of 4, at least 20)
 *   bytes 4-   format 00b: iSCSI name, NUL terminated, NUL padded  (an initiator device: any ISID)
 *              format 01b: "<iSCSI name>,i,0x<ISID in hex>", NUL terminated, NUL padded (one port)
 */

export const PROTOCOL_ISCSI = 0x5;

/** An initiator port (isid set) or, with isid null, every port of one initiator device. */
export interface InitiatorPortId {
  readonly initiatorName: string;
  /** 12 lower-case hex digits, or null for "any ISID" (format 00b). */
  readonly isid: string | null;
}

/** Encode a TransportID: format 01b when the ISID is known, 00b otherwise. */
export function encodeTransportId(id: InitiatorPortId): Buffer {
  const text = id.isid === null ? id.initiatorName : `${id.initiatorName},i,0x${id.isid}`;
  const utf8 = Buffer.from(text, 'utf8');
  const additional = Math.max(20, (utf8.length + 1 + 3) & ~3);
  const out = Buffer.alloc(4 + additional);
  out[0] = (id.isid === null ? 0x00 : 0x40) | PROTOCOL_ISCSI;
  out.writeUInt16BE(additional, 2);
  utf8.copy(out, 4);
  return out;
}

/** What went wrong in a TransportID, with the byte offset (within the buffer given) to blame. */
export class TransportIdError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'TransportIdError';
  }
}

/** Decode one TransportID at `at`; returns it and its total length. Throws TransportIdError. */
export function decodeTransportId(buf: Buffer, at: number): { id: InitiatorPortId; length: number } {
  if (at + 4 > buf.length) throw new TransportIdError('TransportID header truncated', at);
  const format = buf[at]! >> 6;
  const protocol = buf[at]! & 0x0f;
  if (protocol !== PROTOCOL_ISCSI) throw new TransportIdError(`protocol ${protocol} is not iSCSI`, at);
  if (format !== 0 && format !== 1) throw new TransportIdError(`format ${format} is not an iSCSI format`, at);
  const additional = buf.readUInt16BE(at + 2);
  if (additional < 4 || additional % 4 !== 0) throw new TransportIdError('bad ADDITIONAL LENGTH', at + 2);
  if (at + 4 + additional > buf.length) throw new TransportIdError('TransportID truncated', at + 2);
  const body = buf.subarray(at + 4, at + 4 + additional);
  const nul = body.indexOf(0);
  if (nul <= 0) throw new TransportIdError('iSCSI name missing or not NUL terminated', at + 4);
  const text = body.subarray(0, nul).toString('utf8');
  if (format === 0) {
    if (text.includes(',')) throw new TransportIdError('format 00b carries no ISID', at + 4);
    return { id: { initiatorName: text, isid: null }, length: 4 + additional };
  }
  const match = /^(.+),i,0x([0-9a-f]{12})$/i.exec(text);
  if (match === null) throw new TransportIdError('expected "<name>,i,0x<ISID>"', at + 4);
  return { id: { initiatorName: match[1]!, isid: match[2]!.toLowerCase() }, length: 4 + additional };
}

/** iSCSI names compare case-insensitively (RFC 3722 normalises them to lower case). */
export function sameInitiatorName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
