import type { BlockDevice } from '../../device/block-device.js';
import type { ExportResolver } from './export-resolver.js';
import type { Logger } from './logger.js';
import {
  BASE_ALLOCATION,
  NBD_FLAG_CAN_MULTI_CONN,
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_FLAG_FIXED_NEWSTYLE,
  NBD_FLAG_HAS_FLAGS,
  NBD_FLAG_NO_ZEROES,
  NBD_FLAG_SEND_DF,
  NBD_FLAG_SEND_FLUSH,
  NBD_FLAG_SEND_FUA,
  NBD_FLAG_SEND_TRIM,
  NBD_FLAG_SEND_WRITE_ZEROES,
  NBD_IHAVEOPT,
  NBD_INFO_BLOCK_SIZE,
  NBD_INFO_DESCRIPTION,
  NBD_INFO_EXPORT,
  NBD_INFO_NAME,
  NBD_MAGIC,
  NBD_MAX_STRING,
  NBD_OPT_ABORT,
  NBD_OPT_EXPORT_NAME,
  NBD_OPT_GO,
  NBD_OPT_INFO,
  NBD_OPT_LIST,
  NBD_OPT_LIST_META_CONTEXT,
  NBD_OPT_SET_META_CONTEXT,
  NBD_OPT_STARTTLS,
  NBD_OPT_STRUCTURED_REPLY,
  NBD_REP_ACK,
  NBD_REP_ERR_INVALID,
  NBD_REP_ERR_POLICY,
  NBD_REP_ERR_TOO_BIG,
  NBD_REP_ERR_UNKNOWN,
  NBD_REP_ERR_UNSUP,
  NBD_REP_INFO,
  NBD_REP_MAGIC,
  NBD_REP_META_CONTEXT,
  NBD_REP_SERVER,
} from './protocol-constants.js';
import type { ReceiveBuffer } from '../common/receive-buffer.js';

/**
 * The fixed newstyle handshake, server side. State machine:
 *
 *   greeting ──client flags──▶ haggling ──EXPORT_NAME / GO (export found)──▶ transmission
 *                                 │  └─ INFO, LIST, STRUCTURED_REPLY, {LIST,SET}_META_CONTEXT,
 *                                 │     STARTTLS (refused: no TLS yet), unknown (ERR_UNSUP) ─┐
 *                                 │◀──────────────────────────────────────────────────────┘
 *                                 └─ ABORT, EXPORT_NAME of an unknown export ──▶ closed
 *
 * Protocol violations (bad magic, unknown client flags, absurd option lengths) throw
 * {@link HandshakeError}; the caller closes that one connection.
 */

/** Id of `base:allocation` once selected with NBD_OPT_SET_META_CONTEXT. */
export const BASE_ALLOCATION_ID = 1;

/** A violation that ends the connection. */
export class HandshakeError extends Error {
  override name = 'HandshakeError';
}

/** Handshake settings. */
export interface HandshakeConfig {
  exports: ExportResolver;
  /** Export served for the empty name. */
  defaultExport?: string;
  /** Advertised minimum block size (1 or 512). */
  minBlockSize: number;
  /** Advertised maximum block size (largest READ/WRITE payload). */
  maxBlockSize: number;
  /** Options with more data than this are refused with ERR_TOO_BIG (and beyond 16× this, disconnected). */
  maxOptionBytes: number;
}

/** What the client and server agreed on. */
export interface NegotiatedSession {
  exportName: string;
  device: BlockDevice;
  structuredReplies: boolean;
  /** `base:allocation` selected (BLOCK_STATUS allowed). */
  baseAllocation: boolean;
  transmissionFlags: number;
}

/** The socket side of the handshake. */
export interface HandshakeIo {
  reader: ReceiveBuffer;
  write(data: Buffer): void;
}

/** Transmission flags advertised for an export. */
export function transmissionFlagsFor(structuredReplies: boolean): number {
  // CAN_MULTI_CONN is honest because BlockDevice.flush() makes durable every write
  // resolved before it, whichever connection issued it (see block-device.ts).
  let flags =
    NBD_FLAG_HAS_FLAGS |
    NBD_FLAG_SEND_FLUSH |
    NBD_FLAG_SEND_FUA |
    NBD_FLAG_SEND_TRIM |
    NBD_FLAG_SEND_WRITE_ZEROES |
    NBD_FLAG_CAN_MULTI_CONN;
  // DF only means something with structured replies, and must be clear without them.
  if (structuredReplies) flags |= NBD_FLAG_SEND_DF;
  return flags;
}

/** Run the handshake; resolves with the session, or undefined when the client left (ABORT, unknown export). */
export async function negotiate(
  io: HandshakeIo,
  config: HandshakeConfig,
  logger: Logger,
): Promise<NegotiatedSession | undefined> {
  return new Handshake(io, config, logger).run();
}

class Handshake {
  private noZeroes = false;
  private structuredReplies = false;
  /** Export the metadata context was selected for, when one is. */
  private metaExport: string | undefined;

  constructor(
    private readonly io: HandshakeIo,
    private readonly config: HandshakeConfig,
    private readonly logger: Logger,
  ) {}

  async run(): Promise<NegotiatedSession | undefined> {
    const greeting = Buffer.allocUnsafe(18);
    greeting.writeBigUInt64BE(NBD_MAGIC, 0);
    greeting.writeBigUInt64BE(NBD_IHAVEOPT, 8);
    greeting.writeUInt16BE(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES, 16);
    this.io.write(greeting);

    const clientFlags = (await this.io.reader.readExact(4)).readUInt32BE(0);
    if ((clientFlags & ~(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES)) !== 0) {
      throw new HandshakeError(`unknown client flags 0x${clientFlags.toString(16)}`);
    }
    this.noZeroes = (clientFlags & NBD_FLAG_C_NO_ZEROES) !== 0;

    for (;;) {
      const header = await this.io.reader.readExact(16);
      if (header.readBigUInt64BE(0) !== NBD_IHAVEOPT) throw new HandshakeError('bad option magic');
      const option = header.readUInt32BE(8);
      const length = header.readUInt32BE(12);
      if (length > this.config.maxOptionBytes) {
        if (length > this.config.maxOptionBytes * 16) {
          throw new HandshakeError(`option ${option} carries ${length} bytes`);
        }
        await this.io.reader.skipExact(length);
        this.reply(option, NBD_REP_ERR_TOO_BIG, message(`option data of ${length} bytes is too large`));
        continue;
      }
      const data = await this.io.reader.readExact(length);
      const done = this.handleOption(option, data);
      if (done !== 'continue') return done;
    }
  }

  /** Handle one option; returns the session to enter transmission, undefined to close, or 'continue'. */
  private handleOption(option: number, data: Buffer): NegotiatedSession | undefined | 'continue' {
    switch (option) {
      case NBD_OPT_EXPORT_NAME:
        return this.exportName(data);
      case NBD_OPT_ABORT:
        this.reply(option, NBD_REP_ACK);
        return undefined;
      case NBD_OPT_LIST:
        this.list(option, data);
        return 'continue';
      case NBD_OPT_STARTTLS:
        this.reply(option, NBD_REP_ERR_POLICY, message('TLS is not enabled on this server'));
        return 'continue';
      case NBD_OPT_INFO:
      case NBD_OPT_GO:
        return this.infoOrGo(option, data);
      case NBD_OPT_STRUCTURED_REPLY:
        if (data.length !== 0) {
          this.reply(option, NBD_REP_ERR_INVALID, message('structured reply option takes no data'));
        } else {
          this.structuredReplies = true;
          this.reply(option, NBD_REP_ACK);
        }
        return 'continue';
      case NBD_OPT_LIST_META_CONTEXT:
      case NBD_OPT_SET_META_CONTEXT:
        this.metaContext(option, data);
        return 'continue';
      default:
        this.logger.debug('nbd: unsupported option', { option });
        this.reply(option, NBD_REP_ERR_UNSUP, message(`option ${option} is not supported`));
        return 'continue';
    }
  }

  private exportName(data: Buffer): NegotiatedSession | undefined {
    const requested = data.toString('utf8');
    const found = this.resolve(requested);
    if (found === undefined) {
      // EXPORT_NAME cannot return an error: the protocol says to hang up.
      this.logger.info('nbd: client asked for an unknown export', { export: requested });
      return undefined;
    }
    const flags = transmissionFlagsFor(this.structuredReplies);
    const out = Buffer.alloc(this.noZeroes ? 10 : 134);
    out.writeBigUInt64BE(BigInt(found.device.size), 0);
    out.writeUInt16BE(flags, 8);
    this.io.write(out);
    return this.session(found.name, found.device, flags);
  }

  private list(option: number, data: Buffer): void {
    if (data.length !== 0) {
      this.reply(option, NBD_REP_ERR_INVALID, message('list option takes no data'));
      return;
    }
    for (const entry of this.config.exports.list()) {
      const name = Buffer.from(entry.name, 'utf8');
      const description = Buffer.from(entry.description ?? '', 'utf8');
      const body = Buffer.allocUnsafe(4 + name.length + description.length);
      body.writeUInt32BE(name.length, 0);
      name.copy(body, 4);
      description.copy(body, 4 + name.length);
      this.reply(option, NBD_REP_SERVER, body);
    }
    this.reply(option, NBD_REP_ACK);
  }

  private infoOrGo(option: number, data: Buffer): NegotiatedSession | undefined | 'continue' {
    // Data: u32 name length, name, u16 number of info requests, u16 each.
    if (data.length < 6) return this.invalid(option, 'truncated info request');
    const nameLength = data.readUInt32BE(0);
    if (nameLength > NBD_MAX_STRING || 4 + nameLength + 2 > data.length) {
      return this.invalid(option, 'bad export name length');
    }
    const requested = data.toString('utf8', 4, 4 + nameLength);
    const count = data.readUInt16BE(4 + nameLength);
    if (data.length !== 6 + nameLength + 2 * count) return this.invalid(option, 'bad info request count');
    const wanted = new Set<number>();
    for (let i = 0; i < count; i++) wanted.add(data.readUInt16BE(6 + nameLength + 2 * i));

    const found = this.resolve(requested);
    if (found === undefined) {
      this.reply(option, NBD_REP_ERR_UNKNOWN, message(`no export named "${requested}"`));
      return 'continue';
    }
    const flags = transmissionFlagsFor(this.structuredReplies);
    const exportInfo = Buffer.allocUnsafe(12);
    exportInfo.writeUInt16BE(NBD_INFO_EXPORT, 0);
    exportInfo.writeBigUInt64BE(BigInt(found.device.size), 2);
    exportInfo.writeUInt16BE(flags, 10);
    this.reply(option, NBD_REP_INFO, exportInfo);

    // Always sent: with a minimum of 1 or 512 no client is constrained by surprise.
    const blockSize = Buffer.allocUnsafe(14);
    blockSize.writeUInt16BE(NBD_INFO_BLOCK_SIZE, 0);
    blockSize.writeUInt32BE(this.config.minBlockSize, 2);
    blockSize.writeUInt32BE(Math.max(this.config.minBlockSize, found.device.blockSize), 6);
    blockSize.writeUInt32BE(this.config.maxBlockSize, 10);
    this.reply(option, NBD_REP_INFO, blockSize);

    if (wanted.has(NBD_INFO_NAME)) this.reply(option, NBD_REP_INFO, infoString(NBD_INFO_NAME, found.name));
    if (wanted.has(NBD_INFO_DESCRIPTION)) {
      const description = this.config.exports.list().find((e) => e.name === found.name)?.description;
      if (description !== undefined && description !== '') {
        this.reply(option, NBD_REP_INFO, infoString(NBD_INFO_DESCRIPTION, description));
      }
    }
    this.reply(option, NBD_REP_ACK);
    return option === NBD_OPT_GO ? this.session(found.name, found.device, flags) : 'continue';
  }

  private metaContext(option: number, data: Buffer): void {
    if (!this.structuredReplies) {
      this.reply(option, NBD_REP_ERR_INVALID, message('metadata contexts need structured replies first'));
      return;
    }
    // Data: u32 name length, name, u32 number of queries, then (u32 length, query) each.
    if (data.length < 8) return void this.invalid(option, 'truncated metadata context request');
    const nameLength = data.readUInt32BE(0);
    if (nameLength > NBD_MAX_STRING || 8 + nameLength > data.length) {
      return void this.invalid(option, 'bad export name length');
    }
    const requested = data.toString('utf8', 4, 4 + nameLength);
    const count = data.readUInt32BE(4 + nameLength);
    const queries: string[] = [];
    let pos = 8 + nameLength;
    for (let i = 0; i < count; i++) {
      if (pos + 4 > data.length) return void this.invalid(option, 'truncated metadata context query');
      const len = data.readUInt32BE(pos);
      pos += 4;
      if (len > NBD_MAX_STRING || pos + len > data.length) return void this.invalid(option, 'bad query length');
      queries.push(data.toString('utf8', pos, pos + len));
      pos += len;
    }
    if (pos !== data.length) return void this.invalid(option, 'trailing bytes after metadata context queries');

    const found = this.resolve(requested);
    if (found === undefined) {
      this.reply(option, NBD_REP_ERR_UNKNOWN, message(`no export named "${requested}"`));
      return;
    }
    const listing = option === NBD_OPT_LIST_META_CONTEXT;
    const matches = listing
      ? queries.length === 0 || queries.some((q) => q === 'base:' || q === BASE_ALLOCATION)
      : queries.includes(BASE_ALLOCATION);
    if (!listing) this.metaExport = matches ? found.name : undefined;
    if (matches) {
      const name = Buffer.from(BASE_ALLOCATION, 'utf8');
      const body = Buffer.allocUnsafe(4 + name.length);
      body.writeUInt32BE(listing ? 0 : BASE_ALLOCATION_ID, 0);
      name.copy(body, 4);
      this.reply(option, NBD_REP_META_CONTEXT, body);
    }
    this.reply(option, NBD_REP_ACK);
  }

  private session(exportName: string, device: BlockDevice, flags: number): NegotiatedSession {
    return {
      exportName,
      device,
      structuredReplies: this.structuredReplies,
      baseAllocation: this.structuredReplies && this.metaExport === exportName,
      transmissionFlags: flags,
    };
  }

  private resolve(requested: string): { name: string; device: BlockDevice } | undefined {
    const name = requested === '' ? (this.config.defaultExport ?? '') : requested;
    const device = this.config.exports.lookup(name);
    return device === undefined ? undefined : { name, device };
  }

  private invalid(option: number, text: string): 'continue' {
    this.reply(option, NBD_REP_ERR_INVALID, message(text));
    return 'continue';
  }

  private reply(option: number, type: number, data?: Buffer): void {
    const header = Buffer.allocUnsafe(20);
    header.writeBigUInt64BE(NBD_REP_MAGIC, 0);
    header.writeUInt32BE(option, 8);
    header.writeUInt32BE(type, 12);
    header.writeUInt32BE(data?.length ?? 0, 16);
    this.io.write(data === undefined || data.length === 0 ? header : Buffer.concat([header, data]));
  }
}

function message(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

function infoString(type: number, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(2 + Math.min(body.length, NBD_MAX_STRING));
  out.writeUInt16BE(type, 0);
  body.copy(out, 2, 0, out.length - 2);
  return out;
}
