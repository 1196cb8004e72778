import type { Socket } from 'node:net';
import { NO_POLLING, type PollHooks } from '../../common/busy-poll.js';
import { crc32c } from './crc32c.js';
import { setDataSegmentLength } from './pdu.js';

const PADDING = Buffer.alloc(4);

/**
 * Writes PDUs to one socket. Everything written in one turn of the event loop leaves in
 * one writev (cork now, uncork once the loop's I/O callbacks have run), so a burst of
 * Data-In PDUs or many responses completing together at high queue depth cost one system
 * call. Data buffers are written as given,
 * never copied.
 */
export class PduWriter {
  headerDigest = false;
  dataDigest = false;
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
    this.poll.replied(this.socket.writableLength);
  };

  constructor(
    private readonly socket: Socket,
    private readonly poll: PollHooks = NO_POLLING,
  ) {}

  /** Queue one PDU; `data` may be several buffers that together form the data segment. */
  send(bhs: Buffer, data?: Buffer | readonly Buffer[]): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    const parts = data === undefined ? [] : Buffer.isBuffer(data) ? [data] : data;
    let length = 0;
    for (const p of parts) length += p.length;
    setDataSegmentLength(bhs, length);
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      setImmediate(this.uncork);
    }
    socket.write(bhs);
    if (this.headerDigest) socket.write(digestBytes(crc32c(bhs)));
    if (length === 0) return;
    let crc = 0;
    for (const p of parts) {
      socket.write(p);
      if (this.dataDigest) crc = crc32c(p, crc);
    }
    const pad = (4 - (length % 4)) % 4;
    if (pad > 0) {
      const padding = PADDING.subarray(0, pad);
      socket.write(padding);
      if (this.dataDigest) crc = crc32c(padding, crc);
    }
    if (this.dataDigest) socket.write(digestBytes(crc));
  }

  /** Bytes queued in the socket and not yet handed to the kernel (back-pressure signal). */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }
}

function digestBytes(crc: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(crc, 0);
  return b;
}
