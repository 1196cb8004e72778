import type { ReceiveBuffer } from '../../common/receive-buffer.js';
import { crc32c } from './crc32c.js';
import { segmentCrc32c, type DataSegment } from './data-segment.js';
import { BHS_LENGTH } from './opcodes.js';
import { paddedLength, Pdu } from './pdu.js';

const EMPTY = Buffer.alloc(0);

/** Why a PDU could not be taken off the wire. The connection cannot continue after any of these except `data-digest`. */
export class PduFramingError extends Error {
  constructor(
    readonly kind: 'header-digest' | 'data-digest' | 'too-long',
    message: string,
    /** The BHS when it was read intact (a Reject carries it back to the initiator). */
    readonly bhs?: Buffer,
  ) {
    super(message);
    this.name = 'PduFramingError';
  }
}

/**
 * Cuts the byte stream of one connection into PDUs: BHS, AHS, optional header digest, data
 * segment with padding, optional data digest. Digests and the data segment limit apply
 * from the moment the login that negotiated them completes (the connection switches them).
 */
export class PduReader {
  headerDigest = false;
  dataDigest = false;
  /** Largest data segment we accept: our declared MaxRecvDataSegmentLength (8 KiB during login). */
  maxDataSegmentLength = 8192;

  constructor(private readonly input: ReceiveBuffer) {}

  /**
   * The next PDU if every byte of it is already buffered, without a promise hop (at high
   * queue depth most are); undefined when more bytes are needed — then `next()`.
   */
  tryNext(): Pdu | undefined {
    const input = this.input;
    const chunk = input.contiguous(BHS_LENGTH);
    if (chunk === undefined) return undefined;
    const at = input.position;
    const ahsLength = chunk[at + 4]! * 4;
    const dataLength = chunk.readUIntBE(at + 5, 3);
    if (dataLength > this.maxDataSegmentLength) return undefined; // next() reports it
    const digests = (this.headerDigest ? 4 : 0) + (this.dataDigest && dataLength > 0 ? 4 : 0);
    if (input.length < BHS_LENGTH + ahsLength + paddedLength(dataLength) + digests) return undefined;
    const bhs = input.take(BHS_LENGTH);
    const ahs = ahsLength > 0 ? input.take(ahsLength) : EMPTY;
    if (this.headerDigest) {
      const expected = ahsLength > 0 ? crc32c(ahs, crc32c(bhs)) : crc32c(bhs);
      if (input.take(4).readUInt32LE(0) !== expected) throw new PduFramingError('header-digest', 'header digest mismatch');
    }
    if (dataLength === 0) return new Pdu(bhs, ahs, EMPTY);
    const data = input.takeViews(dataLength);
    const pad = paddedLength(dataLength) - dataLength;
    const padding = pad > 0 ? input.take(pad) : EMPTY;
    if (this.dataDigest) this.checkDataDigest(bhs, data, padding, input.take(4).readUInt32LE(0));
    return new Pdu(bhs, ahs, data);
  }

  private checkDataDigest(bhs: Buffer, data: DataSegment, padding: Buffer, digest: number): void {
    if (digest !== crc32c(padding, segmentCrc32c(data))) throw new PduFramingError('data-digest', 'data digest mismatch', Buffer.from(bhs));
  }

  async next(): Promise<Pdu> {
    const input = this.input;
    const bhs = await input.readExact(BHS_LENGTH);
    const ahsLength = bhs[4]! * 4;
    const dataLength = bhs.readUIntBE(5, 3);
    const ahs = ahsLength > 0 ? await input.readExact(ahsLength) : EMPTY;
    if (this.headerDigest) {
      const digest = (await input.readExact(4)).readUInt32LE(0);
      const expected = ahsLength > 0 ? crc32c(ahs, crc32c(bhs)) : crc32c(bhs);
      if (digest !== expected) throw new PduFramingError('header-digest', 'header digest mismatch');
    }
    if (dataLength > this.maxDataSegmentLength) {
      throw new PduFramingError('too-long', `data segment of ${dataLength} bytes exceeds MaxRecvDataSegmentLength ${this.maxDataSegmentLength}`, Buffer.from(bhs));
    }
    if (dataLength === 0) return new Pdu(bhs, ahs, EMPTY);
    const data = await input.readViews(dataLength);
    const pad = paddedLength(dataLength) - dataLength;
    const padding = pad > 0 ? await input.readExact(pad) : EMPTY;
    if (this.dataDigest) this.checkDataDigest(bhs, data, padding, (await input.readExact(4)).readUInt32LE(0));
    return new Pdu(bhs, ahs, data);
  }
}
