import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryDevice } from '../../device/memory-device.js';
import type { NbdServer } from './nbd-server.js';
import {
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
import { infoData, metaContextData, RawNbdClient, u32 } from './test/raw-nbd-client.js';
import { startServer } from './test/test-server.js';

const SIZE = 1 << 20;
let server: NbdServer;
let port: number;
const clients: RawNbdClient[] = [];

async function open(flags = NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES): Promise<RawNbdClient> {
  const c = await RawNbdClient.connect(port);
  clients.push(c);
  c.write(u32(flags));
  return c;
}

beforeEach(async () => {
  ({ server, port } = await startServer(
    { vol1: new MemoryDevice({ size: SIZE }), vol2: new MemoryDevice({ size: 2 * SIZE }) },
    { defaultExport: 'vol2' },
  ));
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
});

describe('NBD handshake', () => {
  it('greets with NBDMAGIC, IHAVEOPT and fixed newstyle + no zeroes', async () => {
    const c = await RawNbdClient.connect(port);
    clients.push(c);
    expect(c.greeting.readBigUInt64BE(0)).toBe(NBD_MAGIC);
    expect(c.greeting.readBigUInt64BE(8)).toBe(NBD_IHAVEOPT);
    expect(c.greeting.readUInt16BE(16)).toBe(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
  });

  it('closes on unknown client flags', async () => {
    const c = await open(0x80);
    await c.closed;
  });

  it('closes on a bad option magic', async () => {
    const c = await open();
    c.write(Buffer.alloc(16, 0x41));
    await c.closed;
  });

  it('answers unknown options with ERR_UNSUP and goes on', async () => {
    const c = await open();
    c.option(0x1234, Buffer.from('whatever'));
    const reply = await c.readOptionReply();
    expect(reply.option).toBe(0x1234);
    expect(reply.type).toBe(NBD_REP_ERR_UNSUP);
    c.option(NBD_OPT_STRUCTURED_REPLY);
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ACK);
  });

  it('refuses STARTTLS by policy', async () => {
    const c = await open();
    c.option(NBD_OPT_STARTTLS);
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ERR_POLICY);
  });

  it('refuses oversized option data with ERR_TOO_BIG after draining it', async () => {
    const c = await open();
    c.option(NBD_OPT_LIST, Buffer.alloc(100 * 1024));
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ERR_TOO_BIG);
    c.option(NBD_OPT_LIST);
    expect((await c.readOptionReply()).type).toBe(NBD_REP_SERVER);
  });

  it('lists exports with descriptions', async () => {
    const c = await open();
    c.option(NBD_OPT_LIST);
    const names: string[] = [];
    for (;;) {
      const r = await c.readOptionReply();
      if (r.type === NBD_REP_ACK) break;
      expect(r.type).toBe(NBD_REP_SERVER);
      const len = r.data.readUInt32BE(0);
      names.push(`${r.data.toString('utf8', 4, 4 + len)}|${r.data.toString('utf8', 4 + len)}`);
    }
    expect(names).toEqual(['vol1|volume vol1', 'vol2|volume vol2']);
    c.option(NBD_OPT_LIST, Buffer.from('x'));
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ERR_INVALID);
  });

  it('answers INFO with export, block size, name and description, and stays in haggling', async () => {
    const c = await open();
    c.option(NBD_OPT_INFO, infoData('', [NBD_INFO_NAME, NBD_INFO_DESCRIPTION, NBD_INFO_BLOCK_SIZE]));
    const infos = new Map<number, Buffer>();
    for (;;) {
      const r = await c.readOptionReply();
      expect(r.option).toBe(NBD_OPT_INFO);
      if (r.type === NBD_REP_ACK) break;
      expect(r.type).toBe(NBD_REP_INFO);
      infos.set(r.data.readUInt16BE(0), r.data.subarray(2));
    }
    expect(infos.get(NBD_INFO_EXPORT)!.readBigUInt64BE(0)).toBe(BigInt(2 * SIZE)); // default export
    const flags = infos.get(NBD_INFO_EXPORT)!.readUInt16BE(8);
    expect(flags).toBe(
      NBD_FLAG_HAS_FLAGS |
        NBD_FLAG_SEND_FLUSH |
        NBD_FLAG_SEND_FUA |
        NBD_FLAG_SEND_TRIM |
        NBD_FLAG_SEND_WRITE_ZEROES |
        NBD_FLAG_CAN_MULTI_CONN,
    );
    const bs = infos.get(NBD_INFO_BLOCK_SIZE)!;
    expect([bs.readUInt32BE(0), bs.readUInt32BE(4), bs.readUInt32BE(8)]).toEqual([1, 4096, 32 * 1024 * 1024]);
    expect(infos.get(NBD_INFO_NAME)!.toString()).toBe('vol2');
    expect(infos.get(NBD_INFO_DESCRIPTION)!.toString()).toBe('volume vol2');
    c.option(NBD_OPT_INFO, infoData('nope', []));
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ERR_UNKNOWN);
    c.option(NBD_OPT_GO, Buffer.from([0, 0]));
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ERR_INVALID);
  });

  it('advertises DF only once structured replies are negotiated', async () => {
    const c = await open();
    c.option(NBD_OPT_STRUCTURED_REPLY);
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ACK);
    c.option(NBD_OPT_GO, infoData('vol1', []));
    const r = await c.readOptionReply();
    expect(r.data.readUInt16BE(10) & NBD_FLAG_SEND_DF).toBe(NBD_FLAG_SEND_DF);
  });

  it('lists and sets base:allocation, only after structured replies', async () => {
    const c = await open();
    c.option(NBD_OPT_SET_META_CONTEXT, metaContextData('vol1', ['base:allocation']));
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ERR_INVALID);
    c.option(NBD_OPT_STRUCTURED_REPLY);
    await c.readOptionReply();
    c.option(NBD_OPT_LIST_META_CONTEXT, metaContextData('vol1', []));
    let r = await c.readOptionReply();
    expect(r.type).toBe(NBD_REP_META_CONTEXT);
    expect(r.data.toString('utf8', 4)).toBe('base:allocation');
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ACK);
    c.option(NBD_OPT_SET_META_CONTEXT, metaContextData('vol1', ['x-foo:bar', 'base:allocation']));
    r = await c.readOptionReply();
    expect(r.type).toBe(NBD_REP_META_CONTEXT);
    expect(r.data.readUInt32BE(0)).toBe(1);
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ACK);
    c.option(NBD_OPT_SET_META_CONTEXT, metaContextData('nope', ['base:allocation']));
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ERR_UNKNOWN);
    c.option(NBD_OPT_SET_META_CONTEXT, Buffer.from([0, 0, 0, 9]));
    expect((await c.readOptionReply()).type).toBe(NBD_REP_ERR_INVALID);
  });

  it('enters transmission with EXPORT_NAME, without the 124 zero bytes when asked', async () => {
    const c = await open();
    c.option(NBD_OPT_EXPORT_NAME, Buffer.from('vol1'));
    const reply = await c.reader.readExact(10);
    expect(reply.readBigUInt64BE(0)).toBe(BigInt(SIZE));
    expect(reply.readUInt16BE(8) & NBD_FLAG_HAS_FLAGS).toBe(1);
  });

  it('sends the 124 zero bytes to clients without NO_ZEROES', async () => {
    const c = await open(NBD_FLAG_C_FIXED_NEWSTYLE);
    c.option(NBD_OPT_EXPORT_NAME, Buffer.from('vol1'));
    const reply = await c.reader.readExact(134);
    expect(reply.subarray(10).equals(Buffer.alloc(124))).toBe(true);
  });

  it('hangs up on EXPORT_NAME of an unknown export', async () => {
    const c = await open();
    c.option(NBD_OPT_EXPORT_NAME, Buffer.from('missing'));
    await c.closed;
  });

  it('acknowledges ABORT and closes', async () => {
    const c = await open();
    c.option(NBD_OPT_ABORT);
    const r = await c.readOptionReply();
    expect(r.type).toBe(NBD_REP_ACK);
    await c.closed;
  });

  it('survives a client vanishing mid-handshake', async () => {
    const c = await open();
    c.write(Buffer.alloc(7));
    c.destroy();
    await c.closed;
    const { client } = await RawNbdClient.attach(port, 'vol1');
    clients.push(client);
    expect(server.connectionCount).toBeGreaterThanOrEqual(1);
  });

  it('drops a client that stalls in the handshake', async () => {
    const { server: s2, port: p2 } = await startServer({ v: new MemoryDevice({ size: SIZE }) }, { handshakeTimeoutMs: 50 });
    try {
      const c = await RawNbdClient.connect(p2);
      await c.closed;
    } finally {
      await s2.close();
    }
  });

  it('reads option replies with the reply magic', async () => {
    const c = await open();
    c.option(NBD_OPT_STRUCTURED_REPLY);
    const header = await c.reader.readExact(20);
    expect(header.readBigUInt64BE(0)).toBe(NBD_REP_MAGIC);
  });
});
