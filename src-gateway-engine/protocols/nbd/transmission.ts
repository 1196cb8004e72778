import type { Socket } from 'node:net';
import { ErrorCode, TidegateError } from '../../errors/index.js';
import type { PollHooks } from '../common/busy-poll.js';
import type { BlockDevice, WriteOptions, WriteZeroesOptions } from '../../device/block-device.js';
import { nbdErrno } from './errno-mapping.js';
import { BASE_ALLOCATION_ID } from './handshake.js';
import type { Logger } from './logger.js';
import {
  NBD_CMD_BLOCK_STATUS,
  NBD_CMD_DISC,
  NBD_CMD_FLAG_DF,
  NBD_CMD_FLAG_FUA,
  NBD_CMD_FLAG_NO_HOLE,
  NBD_CMD_FLAG_REQ_ONE,
  NBD_CMD_FLUSH,
  NBD_CMD_READ,
  NBD_CMD_TRIM,
  NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES,
  NBD_MAX_STRING,
  NBD_REPLY_FLAG_DONE,
  NBD_REPLY_TYPE_BLOCK_STATUS,
  NBD_REPLY_TYPE_ERROR,
  NBD_REPLY_TYPE_NONE,
  NBD_REPLY_TYPE_OFFSET_DATA,
  NBD_REPLY_TYPE_OFFSET_HOLE,
  NBD_REQUEST_MAGIC,
  NBD_REQUEST_SIZE,
  NBD_SIMPLE_REPLY_MAGIC,
  NBD_SIMPLE_REPLY_SIZE,
  NBD_STATE_HOLE,
  NBD_STATE_ZERO,
  NBD_STRUCTURED_REPLY_MAGIC,
  NBD_STRUCTURED_REPLY_SIZE,
} from './protocol-constants.js';
import type { ReceiveBuffer } from '../common/receive-buffer.js';
import type { WriteBufferPool } from '../common/write-buffer-pool.js';

/**
 * The transmission phase of one connection. Requests are parsed synchronously from the
 * receive buffer as bytes arrive and dispatched at once, so many are in flight and replies
 * go out in completion order. Flow control:
 *
 *   - in-flight bytes (READ lengths + WRITE payloads not yet answered, plus replies still
 *     queued in the socket) are capped; above the cap the socket is paused and parsing
 *     stops until replies drain;
 *   - replies written in the same tick are corked together and flushed with one writev;
 *     payloads are written as the device returned them, never concatenated.
 *
 * A WRITE payload inside one socket read is a view of it (Node allocates a fresh buffer per
 * read); one spanning reads is copied into a buffer of the server's WriteBufferPool, given
 * back once the device write has settled.
 *
 * Bad requests get an errno and the connection goes on; a WRITE whose payload we will
 * not execute is still read (and dropped) to stay in sync. Only a broken stream — bad
 * magic, or a WRITE length too large to drain — closes the connection.
 */

/** Transmission limits. */
export interface TransmissionConfig {
  /** Largest READ/WRITE payload executed (the advertised maximum block size). */
  maxBlockSize: number;
  /** WRITEs above maxBlockSize but at most this long are drained and answered EINVAL; longer ones close the connection. */
  maxDiscardBytes: number;
  /** Back-pressure threshold per connection, in bytes. */
  maxInFlightBytes: number;
  /** Structured READs at least this long are split into data and hole chunks (0 disables). */
  sparseReadMinBytes: number;
  /** Told when replies leave (the process's busy poller). */
  poll: PollHooks;
  /** Buffers for WRITE payloads that span socket reads (shared by the server's connections). */
  writeBuffers: WriteBufferPool;
}

/** The negotiated state transmission needs. */
export interface TransmissionSession {
  exportName: string;
  /** Already wrapped in a CheckedDevice. */
  device: BlockDevice;
  structuredReplies: boolean;
  baseAllocation: boolean;
}

/** One parsed request (one object per request; the only per-request allocation besides buffers). */
class NbdRequest {
  constructor(
    readonly type: number,
    readonly flags: number,
    readonly handleHi: number,
    readonly handleLo: number,
    readonly offset: number,
    readonly length: number,
    /** In-flight bytes charged for this request. */
    readonly cost: number,
    readonly payload: Buffer | undefined,
  ) {}
}

const FUA: WriteOptions = Object.freeze({ fua: true });
const ZERO_OPTIONS: readonly WriteZeroesOptions[] = Object.freeze([
  Object.freeze({}),
  Object.freeze({ fua: true }),
  Object.freeze({ noUnmap: true }),
  Object.freeze({ fua: true, noUnmap: true }),
]);

/** Flags each command accepts (FUA is accepted on all, as the protocol requires once SEND_FUA is advertised). */
function allowedFlags(type: number, structured: boolean): number {
  switch (type) {
    case NBD_CMD_READ:
      return NBD_CMD_FLAG_FUA | (structured ? NBD_CMD_FLAG_DF : 0);
    case NBD_CMD_WRITE_ZEROES:
      return NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE;
    case NBD_CMD_BLOCK_STATUS:
      return NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_REQ_ONE;
    default:
      return NBD_CMD_FLAG_FUA;
  }
}

const EMPTY = Buffer.alloc(0);

/** Runs the transmission phase over one socket. */
export class Transmission {
  private readonly device: BlockDevice;
  private readonly structured: boolean;
  private inFlightBytes = 0;
  private inFlightCount = 0;
  /** A WRITE header whose payload has not fully arrived. */
  private pendingWrite: NbdRequest | undefined;
  /** Bytes of a refused WRITE payload still to drop, and the request to fail after. */
  private discardLeft = 0;
  private discardRequest: NbdRequest | undefined;
  private paused = false;
  private corked = false;
  /** No more requests are read: DISC received, server closing, or the stream is broken. */
  private stopped = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
    this.config.poll.replied(this.socket.writableLength);
  };
  private readonly onDrain = (): void => this.maybeResume();

  constructor(
    private readonly socket: Socket,
    private readonly reader: ReceiveBuffer,
    private readonly session: TransmissionSession,
    private readonly config: TransmissionConfig,
    private readonly logger: Logger,
  ) {
    this.device = session.device;
    this.structured = session.structuredReplies;
    socket.on('drain', this.onDrain);
  }

  /** Number of requests being executed. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Parse and dispatch every complete request in the receive buffer. */
  process(): void {
    const reader = this.reader;
    while (!this.stopped) {
      if (this.discardLeft > 0) {
        this.discardLeft -= reader.skip(this.discardLeft);
        if (this.discardLeft > 0) return;
        const req = this.discardRequest!;
        this.discardRequest = undefined;
        this.replyError(
          req,
          new TidegateError(
            ErrorCode.InvalidArgument,
            `write of ${req.length} bytes exceeds the maximum block size ${this.config.maxBlockSize}`,
          ),
        );
        continue;
      }
      if (this.pendingWrite !== undefined) {
        const req = this.pendingWrite;
        if (reader.length < req.length) return;
        this.pendingWrite = undefined;
        this.dispatch(
          new NbdRequest(req.type, req.flags, req.handleHi, req.handleLo, req.offset, req.length, req.cost, reader.take(req.length, this.config.writeBuffers.lend)),
        );
        continue;
      }
      if (this.overLimit()) {
        this.pause();
        return;
      }
      if (reader.length < NBD_REQUEST_SIZE) return;
      this.parseHeader();
    }
  }

  /** Stop reading requests; resolves once every request in flight has been answered. */
  stop(): Promise<void> {
    this.stopped = true;
    this.socket.pause();
    return this.whenIdle();
  }

  /** The socket closed: drop replies still to come. */
  onClose(): void {
    this.closed = true;
    this.stopped = true;
    this.socket.off('drain', this.onDrain);
  }

  /** Resolves when no request is in flight. */
  whenIdle(): Promise<void> {
    if (this.inFlightCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private parseHeader(): void {
    const reader = this.reader;
    let buf = reader.contiguous(NBD_REQUEST_SIZE);
    let at: number;
    if (buf !== undefined) {
      at = reader.position;
      reader.advance(NBD_REQUEST_SIZE);
    } else {
      buf = reader.take(NBD_REQUEST_SIZE);
      at = 0;
    }
    if (buf.readUInt32BE(at) !== NBD_REQUEST_MAGIC) {
      this.fatal('bad request magic', { magic: buf.readUInt32BE(at) });
      return;
    }
    const flags = buf.readUInt16BE(at + 4);
    const type = buf.readUInt16BE(at + 6);
    const handleHi = buf.readUInt32BE(at + 8);
    const handleLo = buf.readUInt32BE(at + 12);
    const offset = buf.readUInt32BE(at + 16) * 4294967296 + buf.readUInt32BE(at + 20);
    const length = buf.readUInt32BE(at + 24);

    switch (type) {
      case NBD_CMD_WRITE: {
        if (length > this.config.maxBlockSize) {
          if (length > this.config.maxDiscardBytes) {
            this.fatal('write payload too large to drain', { length });
            return;
          }
          this.discardRequest = new NbdRequest(type, flags, handleHi, handleLo, offset, length, 0, undefined);
          this.discardLeft = length;
          return;
        }
        if (reader.length >= length) {
          this.dispatch(new NbdRequest(type, flags, handleHi, handleLo, offset, length, length, reader.take(length, this.config.writeBuffers.lend)));
        } else {
          this.pendingWrite = new NbdRequest(type, flags, handleHi, handleLo, offset, length, length, undefined);
        }
        return;
      }
      case NBD_CMD_DISC:
        this.logger.debug('nbd: client disconnect', { export: this.session.exportName });
        this.stopped = true;
        this.socket.pause();
        void this.whenIdle().then(() => {
          if (!this.closed) this.socket.end();
        });
        return;
      case NBD_CMD_READ: {
        const cost = length <= this.config.maxBlockSize ? length : 0;
        this.dispatch(new NbdRequest(type, flags, handleHi, handleLo, offset, length, cost, undefined));
        return;
      }
      default:
        this.dispatch(new NbdRequest(type, flags, handleHi, handleLo, offset, length, 0, undefined));
    }
  }

  private dispatch(req: NbdRequest): void {
    this.inFlightCount++;
    this.inFlightBytes += req.cost;
    void this.execute(req);
  }

  /** Execute one request and send its reply; never rejects. */
  private async execute(req: NbdRequest): Promise<void> {
    try {
      if ((req.flags & ~allowedFlags(req.type, this.structured)) !== 0) {
        throw new TidegateError(
          ErrorCode.InvalidArgument,
          `flags 0x${req.flags.toString(16)} are not valid for command ${req.type}`,
        );
      }
      const fua = (req.flags & NBD_CMD_FLAG_FUA) !== 0;
      switch (req.type) {
        case NBD_CMD_READ:
          await this.read(req);
          break;
        case NBD_CMD_WRITE:
          await this.device.write(req.offset, req.payload!, fua ? FUA : undefined);
          this.replyOk(req);
          break;
        case NBD_CMD_FLUSH:
          await this.device.flush();
          this.replyOk(req);
          break;
        case NBD_CMD_TRIM:
          await this.device.trim(req.offset, req.length, fua ? FUA : undefined);
          this.replyOk(req);
          break;
        case NBD_CMD_WRITE_ZEROES: {
          const noHole = (req.flags & NBD_CMD_FLAG_NO_HOLE) !== 0;
          await this.device.writeZeroes(req.offset, req.length, ZERO_OPTIONS[(fua ? 1 : 0) | (noHole ? 2 : 0)]);
          this.replyOk(req);
          break;
        }
        case NBD_CMD_BLOCK_STATUS:
          await this.blockStatus(req);
          break;
        default:
          throw new TidegateError(ErrorCode.InvalidArgument, `unknown command ${req.type}`);
      }
    } catch (err) {
      this.logger.debug('nbd: request failed', {
        export: this.session.exportName,
        command: req.type,
        offset: req.offset,
        length: req.length,
        error: err instanceof Error ? err.message : String(err),
      });
      this.replyError(req, err);
    } finally {
      // The device write has settled: a pooled payload can be lent again (views are ignored).
      if (req.payload !== undefined) this.config.writeBuffers.giveBack(req.payload);
      this.complete(req);
    }
  }

  private async read(req: NbdRequest): Promise<void> {
    if (
      !this.structured ||
      (req.flags & NBD_CMD_FLAG_DF) !== 0 ||
      this.config.sparseReadMinBytes === 0 ||
      req.length < this.config.sparseReadMinBytes ||
      req.length > this.config.maxBlockSize
    ) {
      const data = await this.device.read(req.offset, req.length);
      if (!this.structured) this.sendSimple(req, 0, data);
      else if (data.length === 0) this.sendStructured(req, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, EMPTY);
      else this.sendChunk(req, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, req.offset, data);
      return;
    }
    // Structured and large: answer zero extents with OFFSET_HOLE chunks instead of data.
    const extents = await this.device.blockStatus(req.offset, req.length);
    const end = req.offset + req.length;
    let anyZero = false;
    for (let i = 0, pos = req.offset; i < extents.length && pos < end; pos += extents[i]!.length, i++) {
      if (extents[i]!.zero) {
        anyZero = true;
        break;
      }
    }
    if (!anyZero) {
      const data = await this.device.read(req.offset, req.length);
      this.sendChunk(req, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, req.offset, data);
      return;
    }
    // One piece per extent (holes carry no read); whatever the extents leave uncovered is read.
    const starts: number[] = [];
    const lengths: number[] = [];
    const reads: (Promise<Buffer> | undefined)[] = [];
    let pos = req.offset;
    for (const extent of extents) {
      if (pos >= end) break;
      const n = Math.min(extent.length, end - pos);
      starts.push(pos);
      lengths.push(n);
      reads.push(extent.zero ? undefined : this.device.read(pos, n));
      pos += n;
    }
    if (pos < end) {
      starts.push(pos);
      lengths.push(end - pos);
      reads.push(this.device.read(pos, end - pos));
    }
    const data = await Promise.all(reads);
    const last = data.length - 1;
    for (let i = 0; i <= last; i++) {
      const flags = i === last ? NBD_REPLY_FLAG_DONE : 0;
      const piece = data[i];
      if (piece === undefined) this.sendHole(req, flags, starts[i]!, lengths[i]!);
      else this.sendChunk(req, flags, NBD_REPLY_TYPE_OFFSET_DATA, starts[i]!, piece);
    }
  }

  private async blockStatus(req: NbdRequest): Promise<void> {
    if (!this.session.baseAllocation) {
      throw new TidegateError(ErrorCode.InvalidArgument, 'block status needs the base:allocation metadata context');
    }
    if (req.length === 0) throw new TidegateError(ErrorCode.InvalidArgument, 'block status of zero length');
    const extents = await this.device.blockStatus(req.offset, req.length);
    const one = (req.flags & NBD_CMD_FLAG_REQ_ONE) !== 0;
    // Merge runs with the same flags, clamp to the request, stop after one with REQ_ONE.
    const lengths: number[] = [];
    const states: number[] = [];
    let covered = 0;
    for (const extent of extents) {
      if (covered >= req.length) break;
      const n = Math.min(extent.length, req.length - covered);
      if (!(n > 0)) break;
      const state = (extent.hole ? NBD_STATE_HOLE : 0) | (extent.zero ? NBD_STATE_ZERO : 0);
      const k = states.length - 1;
      if (k >= 0 && states[k] === state) lengths[k]! += n;
      else {
        if (one && k >= 0) break;
        lengths.push(n);
        states.push(state);
      }
      covered += n;
    }
    const payload = Buffer.allocUnsafe(4 + 8 * lengths.length);
    payload.writeUInt32BE(BASE_ALLOCATION_ID, 0);
    for (let i = 0; i < lengths.length; i++) {
      payload.writeUInt32BE(lengths[i]!, 4 + 8 * i);
      payload.writeUInt32BE(states[i]!, 8 + 8 * i);
    }
    this.sendStructured(req, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_BLOCK_STATUS, payload);
  }

  private complete(req: NbdRequest): void {
    this.inFlightCount--;
    this.inFlightBytes -= req.cost;
    if (this.inFlightCount === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
    this.maybeResume();
  }

  private overLimit(): boolean {
    return (
      this.inFlightCount > 0 && this.inFlightBytes + this.socket.writableLength >= this.config.maxInFlightBytes
    );
  }

  private pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.stopped || this.overLimit()) return;
    this.paused = false;
    this.socket.resume();
    this.process();
  }

  private fatal(reason: string, fields: Record<string, unknown>): void {
    this.logger.warn(`nbd: ${reason}; closing the connection`, { export: this.session.exportName, ...fields });
    this.stopped = true;
    this.socket.destroy();
  }

  // ---- replies ----

  private replyOk(req: NbdRequest): void {
    this.sendSimple(req, 0, undefined);
  }

  private replyError(req: NbdRequest, err: unknown): void {
    const errno = nbdErrno(err, req.type);
    if (this.structured && (req.type === NBD_CMD_READ || req.type === NBD_CMD_BLOCK_STATUS)) {
      const text = Buffer.from(err instanceof Error ? err.message : 'error', 'utf8').subarray(0, NBD_MAX_STRING);
      const payload = Buffer.allocUnsafe(6 + text.length);
      payload.writeUInt32BE(errno, 0);
      payload.writeUInt16BE(text.length, 4);
      text.copy(payload, 6);
      this.sendStructured(req, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR, payload);
    } else {
      this.sendSimple(req, errno, undefined);
    }
  }

  private sendSimple(req: NbdRequest, errno: number, data: Buffer | undefined): void {
    if (this.closed) return;
    const header = Buffer.allocUnsafe(NBD_SIMPLE_REPLY_SIZE);
    header.writeUInt32BE(NBD_SIMPLE_REPLY_MAGIC, 0);
    header.writeUInt32BE(errno, 4);
    header.writeUInt32BE(req.handleHi, 8);
    header.writeUInt32BE(req.handleLo, 12);
    this.cork();
    this.socket.write(header);
    if (data !== undefined && data.length > 0) this.socket.write(data);
  }

  /** An OFFSET_DATA chunk: header and offset in one small buffer, the data written as is. */
  private sendChunk(req: NbdRequest, flags: number, type: number, offset: number, data: Buffer): void {
    if (this.closed) return;
    const header = this.structuredHeader(req, flags, type, 8 + data.length, 8);
    writeUInt64(header, NBD_STRUCTURED_REPLY_SIZE, offset);
    this.cork();
    this.socket.write(header);
    if (data.length > 0) this.socket.write(data);
  }

  private sendHole(req: NbdRequest, flags: number, offset: number, length: number): void {
    if (this.closed) return;
    const header = this.structuredHeader(req, flags, NBD_REPLY_TYPE_OFFSET_HOLE, 12, 12);
    writeUInt64(header, NBD_STRUCTURED_REPLY_SIZE, offset);
    header.writeUInt32BE(length, NBD_STRUCTURED_REPLY_SIZE + 8);
    this.cork();
    this.socket.write(header);
  }

  private sendStructured(req: NbdRequest, flags: number, type: number, payload: Buffer): void {
    if (this.closed) return;
    const header = this.structuredHeader(req, flags, type, payload.length, 0);
    this.cork();
    this.socket.write(header);
    if (payload.length > 0) this.socket.write(payload);
  }

  /** A structured chunk header with `extra` bytes of room after it. */
  private structuredHeader(req: NbdRequest, flags: number, type: number, length: number, extra: number): Buffer {
    const header = Buffer.allocUnsafe(NBD_STRUCTURED_REPLY_SIZE + extra);
    header.writeUInt32BE(NBD_STRUCTURED_REPLY_MAGIC, 0);
    header.writeUInt16BE(flags, 4);
    header.writeUInt16BE(type, 6);
    header.writeUInt32BE(req.handleHi, 8);
    header.writeUInt32BE(req.handleLo, 12);
    header.writeUInt32BE(length, 16);
    return header;
  }

  /** Batch every reply written in this tick into one writev. */
  private cork(): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
  }
}

function writeUInt64(buf: Buffer, at: number, value: number): void {
  buf.writeUInt32BE(Math.floor(value / 4294967296), at);
  buf.writeUInt32BE(value >>> 0, at + 4);
}
