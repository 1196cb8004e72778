import { connect, type Socket } from 'node:net';
import {
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_C_NO_ZEROES,
  NBD_IHAVEOPT,
  NBD_OPT_GO,
  NBD_OPT_SET_META_CONTEXT,
  NBD_OPT_STRUCTURED_REPLY,
  NBD_REP_ACK,
  NBD_REP_INFO,
  NBD_REQUEST_MAGIC,
} from '../protocol-constants.js';
import { ReceiveBuffer } from '../../common/receive-buffer.js';

/** A deliberately low-level NBD client for tests: it sends whatever bytes it is told to. */
export class RawNbdClient {
  readonly reader = new ReceiveBuffer();
  readonly closed: Promise<void>;
  greeting!: Buffer;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.reader.fail(new Error('closed'));
        resolve();
      }),
    );
  }

  /** Connect and read the 18-byte greeting. */
  static async connect(port: number): Promise<RawNbdClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawNbdClient(socket);
    client.greeting = await client.reader.readExact(18);
    return client;
  }

  /** Connect, negotiate with NBD_OPT_GO, and enter transmission. */
  static async attach(
    port: number,
    exportName: string,
    options: { structured?: boolean; meta?: boolean } = {},
  ): Promise<{ client: RawNbdClient; size: bigint; flags: number }> {
    const client = await RawNbdClient.connect(port);
    client.write(u32(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES));
    if (options.structured) {
      client.option(NBD_OPT_STRUCTURED_REPLY);
      expectType(await client.readOptionReply(), NBD_REP_ACK);
    }
    if (options.meta) {
      client.option(NBD_OPT_SET_META_CONTEXT, metaContextData(exportName, ['base:allocation']));
      for (;;) if ((await client.readOptionReply()).type === NBD_REP_ACK) break;
    }
    client.option(NBD_OPT_GO, infoData(exportName, []));
    let size = -1n;
    let flags = -1;
    for (;;) {
      const reply = await client.readOptionReply();
      if (reply.type === NBD_REP_ACK) break;
      expectType(reply, NBD_REP_INFO);
      if (reply.data.readUInt16BE(0) === 0) {
        size = reply.data.readBigUInt64BE(2);
        flags = reply.data.readUInt16BE(10);
      }
    }
    return { client, size, flags };
  }

  write(data: Buffer): void {
    this.socket.write(data);
  }

  option(option: number, data: Buffer = Buffer.alloc(0)): void {
    const header = Buffer.alloc(16);
    header.writeBigUInt64BE(NBD_IHAVEOPT, 0);
    header.writeUInt32BE(option, 8);
    header.writeUInt32BE(data.length, 12);
    this.write(Buffer.concat([header, data]));
  }

  async readOptionReply(): Promise<{ option: number; type: number; data: Buffer }> {
    const header = await this.reader.readExact(20);
    const length = header.readUInt32BE(16);
    return { option: header.readUInt32BE(8), type: header.readUInt32BE(12), data: await this.reader.readExact(length) };
  }

  request(type: number, handle: bigint, offset: bigint, length: number, options: { flags?: number; payload?: Buffer } = {}): void {
    const header = Buffer.alloc(28);
    header.writeUInt32BE(NBD_REQUEST_MAGIC, 0);
    header.writeUInt16BE(options.flags ?? 0, 4);
    header.writeUInt16BE(type, 6);
    header.writeBigUInt64BE(handle, 8);
    header.writeBigUInt64BE(offset, 16);
    header.writeUInt32BE(length, 24);
    this.write(options.payload ? Buffer.concat([header, options.payload]) : header);
  }

  /** Read a simple reply; `dataLength` bytes of payload follow a successful READ. */
  async readSimpleReply(dataLength = 0): Promise<{ magic: number; error: number; handle: bigint; data: Buffer }> {
    const header = await this.reader.readExact(16);
    const error = header.readUInt32BE(4);
    const data = error === 0 && dataLength > 0 ? await this.reader.readExact(dataLength) : Buffer.alloc(0);
    return { magic: header.readUInt32BE(0), error, handle: header.readBigUInt64BE(8), data };
  }

  async readStructuredChunk(): Promise<{ magic: number; flags: number; type: number; handle: bigint; payload: Buffer }> {
    const header = await this.reader.readExact(20);
    return {
      magic: header.readUInt32BE(0),
      flags: header.readUInt16BE(4),
      type: header.readUInt16BE(6),
      handle: header.readBigUInt64BE(8),
      payload: await this.reader.readExact(header.readUInt32BE(16)),
    };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}

/** NBD_OPT_INFO / NBD_OPT_GO data. */
export function infoData(name: string, infos: number[]): Buffer {
  const n = Buffer.from(name);
  const b = Buffer.alloc(4 + n.length + 2 + 2 * infos.length);
  b.writeUInt32BE(n.length, 0);
  n.copy(b, 4);
  b.writeUInt16BE(infos.length, 4 + n.length);
  infos.forEach((info, i) => b.writeUInt16BE(info, 6 + n.length + 2 * i));
  return b;
}

/** NBD_OPT_{LIST,SET}_META_CONTEXT data. */
export function metaContextData(name: string, queries: string[]): Buffer {
  const parts = [u32(Buffer.byteLength(name)), Buffer.from(name), u32(queries.length)];
  for (const q of queries) parts.push(u32(Buffer.byteLength(q)), Buffer.from(q));
  return Buffer.concat(parts);
}

function expectType(reply: { type: number; data: Buffer }, type: number): void {
  if (reply.type !== type) throw new Error(`expected option reply ${type}, got ${reply.type} ${reply.data.toString()}`);
}
