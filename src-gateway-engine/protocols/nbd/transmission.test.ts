import { afterEach, describe, expect, it } from 'vitest';
import type { BlockDevice } from '../../device/block-device.js';
import { FaultFilter } from '../../device/fault-filter.js';
import { MemoryDevice } from '../../device/memory-device.js';
import type { NbdServer, NbdServerOptions } from './nbd-server.js';
import {
  NBD_CMD_BLOCK_STATUS,
  NBD_CMD_DISC,
  NBD_CMD_FLAG_DF,
  NBD_CMD_FLAG_FAST_ZERO,
  NBD_CMD_FLAG_FUA,
  NBD_CMD_FLAG_NO_HOLE,
  NBD_CMD_FLAG_REQ_ONE,
  NBD_CMD_FLUSH,
  NBD_CMD_READ,
  NBD_CMD_TRIM,
  NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES,
  NBD_EINVAL,
  NBD_EIO,
  NBD_ENOSPC,
  NBD_REPLY_FLAG_DONE,
  NBD_REPLY_TYPE_BLOCK_STATUS,
  NBD_REPLY_TYPE_ERROR,
  NBD_REPLY_TYPE_OFFSET_DATA,
  NBD_REPLY_TYPE_OFFSET_HOLE,
  NBD_SIMPLE_REPLY_MAGIC,
  NBD_STATE_HOLE,
  NBD_STATE_ZERO,
  NBD_STRUCTURED_REPLY_MAGIC,
} from './protocol-constants.js';
import { waitUntil } from '../../test/support/core-temp-dirs.js';
import { RawNbdClient } from './test/raw-nbd-client.js';
import { recordingLogger, startServer } from './test/test-server.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZE = 4 * MiB;

let server: NbdServer | undefined;
const clients: RawNbdClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.close();
  server = undefined;
});

async function setup(
  device: BlockDevice = new MemoryDevice({ size: SIZE }),
  options: NbdServerOptions = {},
): Promise<{ port: number; device: BlockDevice }> {
  const started = await startServer({ vol: device }, options);
  server = started.server;
  return { port: started.port, device };
}

async function attach(port: number, options: { structured?: boolean; meta?: boolean } = {}): Promise<RawNbdClient> {
  const { client } = await RawNbdClient.attach(port, 'vol', options);
  clients.push(client);
  return client;
}

describe('NBD transmission, simple replies', () => {
  it('writes, reads back, flushes and echoes 64-bit handles', async () => {
    const { port } = await setup();
    const c = await attach(port);
    const data = Buffer.alloc(8192, 0xab);
    c.request(NBD_CMD_WRITE, 0xdeadbeef_00000001n, 4096n, data.length, { payload: data, flags: NBD_CMD_FLAG_FUA });
    let r = await c.readSimpleReply();
    expect([r.magic, r.error, r.handle]).toEqual([NBD_SIMPLE_REPLY_MAGIC, 0, 0xdeadbeef_00000001n]);
    c.request(NBD_CMD_FLUSH, 2n, 0n, 0);
    expect((await c.readSimpleReply()).error).toBe(0);
    c.request(NBD_CMD_READ, 3n, 4096n, 8192);
    r = await c.readSimpleReply(8192);
    expect(r.handle).toBe(3n);
    expect(r.data.equals(data)).toBe(true);
  });

  it('answers an out-of-range read with EINVAL and keeps serving', async () => {
    const { port } = await setup();
    const c = await attach(port);
    c.request(NBD_CMD_READ, 1n, BigInt(SIZE - 10), 20);
    expect((await c.readSimpleReply()).error).toBe(NBD_EINVAL);
    c.request(NBD_CMD_READ, 2n, 2n ** 63n, 1);
    expect((await c.readSimpleReply()).error).toBe(NBD_EINVAL);
    c.request(NBD_CMD_READ, 3n, 0n, 16);
    const r = await c.readSimpleReply(16);
    expect([r.handle, r.error]).toEqual([3n, 0]);
  });

  it('answers a write past the end with ENOSPC after consuming its payload', async () => {
    const { port, device } = await setup();
    const c = await attach(port);
    const payload = Buffer.alloc(4096, 1);
    c.request(NBD_CMD_WRITE, 1n, BigInt(SIZE - 100), payload.length, { payload });
    expect((await c.readSimpleReply()).error).toBe(NBD_ENOSPC);
    c.request(NBD_CMD_WRITE_ZEROES, 2n, BigInt(SIZE), 1);
    expect((await c.readSimpleReply()).error).toBe(NBD_ENOSPC);
    c.request(NBD_CMD_TRIM, 3n, BigInt(SIZE), 1);
    expect((await c.readSimpleReply()).error).toBe(NBD_EINVAL);
    c.request(NBD_CMD_WRITE, 4n, 0n, 3, { payload: Buffer.from('abc') });
    expect((await c.readSimpleReply()).error).toBe(0);
    expect((await device.read(0, 3)).toString()).toBe('abc');
  });

  it('answers unknown commands and invalid flags with EINVAL', async () => {
    const { port } = await setup();
    const c = await attach(port);
    c.request(42, 1n, 0n, 0);
    expect((await c.readSimpleReply()).error).toBe(NBD_EINVAL);
    c.request(NBD_CMD_WRITE_ZEROES, 2n, 0n, 512, { flags: NBD_CMD_FLAG_FAST_ZERO });
    expect((await c.readSimpleReply()).error).toBe(NBD_EINVAL);
    c.request(NBD_CMD_READ, 3n, 0n, 512, { flags: NBD_CMD_FLAG_DF }); // DF needs structured replies
    expect((await c.readSimpleReply()).error).toBe(NBD_EINVAL);
    c.request(NBD_CMD_BLOCK_STATUS, 4n, 0n, 512); // no metadata context
    expect((await c.readSimpleReply()).error).toBe(NBD_EINVAL);
    c.request(NBD_CMD_FLUSH, 5n, 0n, 0);
    expect((await c.readSimpleReply()).error).toBe(0);
  });

  it('drains an oversized write and answers EINVAL; closes on an absurd one', async () => {
    const { port } = await setup(new MemoryDevice({ size: SIZE }), { maxBlockSize: 64 * KiB });
    const c = await attach(port);
    const payload = Buffer.alloc(100 * KiB, 3);
    c.request(NBD_CMD_WRITE, 1n, 0n, payload.length, { payload });
    expect((await c.readSimpleReply()).error).toBe(NBD_EINVAL);
    c.request(NBD_CMD_READ, 2n, 0n, 4);
    expect((await c.readSimpleReply(4)).data.equals(Buffer.alloc(4))).toBe(true);
    c.request(NBD_CMD_READ, 3n, 0n, 100 * KiB);
    expect((await c.readSimpleReply()).error).toBe(NBD_EINVAL);
    c.request(NBD_CMD_WRITE, 4n, 0n, 0xffffffff);
    await c.closed;
  });

  it('closes only the connection that sends a bad magic', async () => {
    const logger = recordingLogger();
    const { port } = await setup(new MemoryDevice({ size: SIZE }), { logger });
    const bad = await attach(port);
    const good = await attach(port);
    bad.write(Buffer.alloc(28, 0x55));
    await bad.closed;
    expect(logger.lines.some((l) => l.level === 'warn' && /bad request magic/.test(l.msg))).toBe(true);
    good.request(NBD_CMD_READ, 1n, 0n, 8);
    expect((await good.readSimpleReply(8)).error).toBe(0);
  });

  it('cleans up after a truncated header and a client vanishing mid-write', async () => {
    const { port } = await setup();
    const a = await attach(port);
    a.write(Buffer.alloc(10));
    a.destroy();
    const b = await attach(port);
    b.request(NBD_CMD_WRITE, 1n, 0n, 64 * KiB, { payload: Buffer.alloc(1000) }); // 63 KiB never sent
    b.destroy();
    await Promise.all([a.closed, b.closed]);
    const c = await attach(port);
    c.request(NBD_CMD_READ, 9n, 0n, 4);
    expect((await c.readSimpleReply(4)).handle).toBe(9n);
    await expect.poll(() => server!.connectionCount).toBe(1);
  });

  it('pipelines requests and replies out of order', async () => {
    // Reads of odd blocks wait at a gate, so every even reply must come first.
    const inner = new MemoryDevice({ size: SIZE });
    const gate = gated();
    const slow: BlockDevice = Object.assign(Object.create(inner) as BlockDevice, {
      read: async (offset: number, length: number) => {
        if ((offset / 4096) % 2 === 1) await gate.wait();
        return inner.read(offset, length);
      },
    });
    const { port } = await setup(slow);
    const c = await attach(port);
    for (let i = 0; i < 16; i++) c.request(NBD_CMD_READ, BigInt(i), BigInt(i * 4096), 4096);
    const order: bigint[] = [];
    for (let i = 0; i < 8; i++) order.push((await c.readSimpleReply(4096)).handle);
    expect(order.every((h) => h % 2n === 0n)).toBe(true);
    gate.open();
    for (let i = 0; i < 8; i++) order.push((await c.readSimpleReply(4096)).handle);
    expect([...order].sort((x, y) => Number(x - y))).toEqual([...Array(16).keys()].map(BigInt));
  });

  it('applies back-pressure without losing requests', async () => {
    const { port, device } = await setup(new MemoryDevice({ size: SIZE }), { maxInFlightBytes: 64 * KiB });
    await device.write(0, Buffer.alloc(SIZE, 0x5a));
    const c = await attach(port);
    const n = 64;
    for (let i = 0; i < n; i++) {
      const payload = Buffer.alloc(32 * KiB, i);
      c.request(NBD_CMD_WRITE, BigInt(1000 + i), BigInt(i * 32 * KiB), payload.length, { payload });
      c.request(NBD_CMD_READ, BigInt(i), BigInt(i * 32 * KiB), 32 * KiB);
    }
    let reads = 0;
    let writes = 0;
    for (let i = 0; i < 2 * n; i++) {
      const header = await c.reader.readExact(16);
      expect(header.readUInt32BE(4)).toBe(0);
      const handle = header.readBigUInt64BE(8);
      if (handle >= 1000n) writes++;
      else {
        reads++;
        await c.reader.readExact(32 * KiB);
      }
    }
    expect([reads, writes]).toEqual([n, n]);
  });

  it('copies a write spanning socket reads into a pooled buffer, lent again only once the device write settled', async () => {
    const inner = new MemoryDevice({ size: SIZE });
    const seen: ArrayBufferLike[] = [];
    let release: (() => void) | undefined;
    let held = new Promise<void>((r) => (release = r));
    const device: BlockDevice = Object.assign(Object.create(inner) as BlockDevice, {
      async write(offset: number, data: Buffer): Promise<void> {
        seen.push(data.buffer);
        await held; // the first writes wait here, so they are in flight together
        await inner.write(offset, data);
      },
    });
    const { port } = await setup(device);
    const c = await attach(port);
    const payload = (i: number) => Buffer.alloc(MiB, 0x10 + i);
    // Two 1 MiB writes in flight at once: each has its own buffer (1 MiB spans many socket reads).
    for (const i of [0, 1]) c.request(NBD_CMD_WRITE, BigInt(i), BigInt(i * MiB), MiB, { payload: payload(i) });
    await waitUntil(() => seen.length === 2, 5000, 'both writes at the device');
    expect(seen[0]).not.toBe(seen[1]);
    release!();
    for (const _ of [0, 1]) expect((await c.readSimpleReply()).error).toBe(0);
    // Once they settled, the next write reuses one of their buffers instead of allocating.
    held = Promise.resolve();
    c.request(NBD_CMD_WRITE, 2n, BigInt(2 * MiB), MiB, { payload: payload(2) });
    expect((await c.readSimpleReply()).error).toBe(0);
    expect([seen[0], seen[1]]).toContain(seen[2]);
    for (const i of [0, 1, 2]) {
      c.request(NBD_CMD_READ, BigInt(10 + i), BigInt(i * MiB), MiB);
      expect((await c.readSimpleReply(MiB)).data.equals(payload(i))).toBe(true);
    }
  });

  it('answers everything in flight, then closes on DISC', async () => {
    const { port } = await setup(new FaultFilter(new MemoryDevice({ size: SIZE }), { delayMs: 10 }));
    const c = await attach(port);
    c.request(NBD_CMD_READ, 1n, 0n, 512);
    c.request(NBD_CMD_DISC, 2n, 0n, 0);
    expect((await c.readSimpleReply(512)).handle).toBe(1n);
    await c.closed;
  });

  it('answers requests in flight before server.close() finishes', async () => {
    const inner = new MemoryDevice({ size: SIZE });
    const gate = gated();
    let entered!: () => void;
    const readStarted = new Promise<void>((resolve) => (entered = resolve));
    const slow: BlockDevice = Object.assign(Object.create(inner) as BlockDevice, {
      read: async (offset: number, length: number) => {
        entered();
        await gate.wait();
        return inner.read(offset, length);
      },
    });
    const { port } = await setup(slow);
    const c = await attach(port);
    c.request(NBD_CMD_READ, 1n, 0n, 512);
    const reply = c.readSimpleReply(512);
    await readStarted;
    const closing = server!.close();
    server = undefined;
    gate.open();
    expect((await reply).handle).toBe(1n);
    await closing;
    await c.closed;
  });

  it('maps device failures to EIO', async () => {
    const { port } = await setup(new FaultFilter(new MemoryDevice({ size: SIZE }), { errorRate: { flush: 1 } }));
    const c = await attach(port);
    c.request(NBD_CMD_FLUSH, 1n, 0n, 0);
    expect((await c.readSimpleReply()).error).toBe(NBD_EIO);
  });
});

describe('NBD transmission, structured replies', () => {
  it('answers reads with one OFFSET_DATA chunk carrying DONE', async () => {
    const { port, device } = await setup();
    await device.write(0, Buffer.from('structured'));
    const c = await attach(port, { structured: true });
    c.request(NBD_CMD_READ, 7n, 0n, 10);
    const chunk = await c.readStructuredChunk();
    expect(chunk.magic).toBe(NBD_STRUCTURED_REPLY_MAGIC);
    expect([chunk.flags, chunk.type, chunk.handle]).toEqual([NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, 7n]);
    expect(chunk.payload.readBigUInt64BE(0)).toBe(0n);
    expect(chunk.payload.subarray(8).toString()).toBe('structured');
  });

  it('reports zero extents of large reads as OFFSET_HOLE, but not with DF', async () => {
    const { port, device } = await setup();
    await device.write(128 * KiB, Buffer.alloc(64 * KiB, 1));
    const c = await attach(port, { structured: true });
    c.request(NBD_CMD_READ, 1n, 65536n, 256 * KiB);
    const chunks = [];
    for (;;) {
      const chunk = await c.readStructuredChunk();
      chunks.push(chunk);
      if (chunk.flags & NBD_REPLY_FLAG_DONE) break;
    }
    expect(chunks.map((ch) => ch.type)).toEqual([
      NBD_REPLY_TYPE_OFFSET_HOLE,
      NBD_REPLY_TYPE_OFFSET_DATA,
      NBD_REPLY_TYPE_OFFSET_HOLE,
    ]);
    expect(chunks[0]!.payload.readBigUInt64BE(0)).toBe(64n * 1024n);
    expect(chunks[0]!.payload.readUInt32BE(8)).toBe(64 * KiB);
    expect(chunks[1]!.payload.length).toBe(8 + 64 * KiB);
    expect(chunks[2]!.payload.readUInt32BE(8)).toBe(128 * KiB);

    c.request(NBD_CMD_READ, 2n, 65536n, 256 * KiB, { flags: NBD_CMD_FLAG_DF });
    const single = await c.readStructuredChunk();
    expect([single.type, single.flags]).toEqual([NBD_REPLY_TYPE_OFFSET_DATA, NBD_REPLY_FLAG_DONE]);
    expect(single.payload.length).toBe(8 + 256 * KiB);
  });

  it('answers a zero-length read with a NONE chunk', async () => {
    const { port } = await setup();
    const c = await attach(port, { structured: true });
    c.request(NBD_CMD_READ, 5n, 0n, 0);
    const chunk = await c.readStructuredChunk();
    expect([chunk.type, chunk.flags, chunk.handle, chunk.payload.length]).toEqual([0, NBD_REPLY_FLAG_DONE, 5n, 0]);
  });

  it('answers a failed read with an ERROR chunk carrying a message', async () => {
    const { port } = await setup();
    const c = await attach(port, { structured: true });
    c.request(NBD_CMD_READ, 1n, BigInt(SIZE), 512);
    const chunk = await c.readStructuredChunk();
    expect([chunk.type, chunk.flags]).toEqual([NBD_REPLY_TYPE_ERROR, NBD_REPLY_FLAG_DONE]);
    expect(chunk.payload.readUInt32BE(0)).toBe(NBD_EINVAL);
    const len = chunk.payload.readUInt16BE(4);
    expect(chunk.payload.toString('utf8', 6, 6 + len)).toMatch(/past the device size/);
  });

  it('answers block status for base:allocation, merging and clamping extents', async () => {
    const { port, device } = await setup();
    await device.write(0, Buffer.alloc(128 * KiB, 1));
    await device.writeZeroes(128 * KiB, 64 * KiB, { noUnmap: true });
    const c = await attach(port, { structured: true, meta: true });
    c.request(NBD_CMD_BLOCK_STATUS, 1n, 0n, 1 * MiB);
    const chunk = await c.readStructuredChunk();
    expect([chunk.type, chunk.flags]).toEqual([NBD_REPLY_TYPE_BLOCK_STATUS, NBD_REPLY_FLAG_DONE]);
    expect(chunk.payload.readUInt32BE(0)).toBe(1);
    const descriptors: [number, number][] = [];
    for (let at = 4; at < chunk.payload.length; at += 8) {
      descriptors.push([chunk.payload.readUInt32BE(at), chunk.payload.readUInt32BE(at + 4)]);
    }
    expect(descriptors).toEqual([
      [128 * KiB, 0],
      [64 * KiB, NBD_STATE_ZERO],
      [MiB - 192 * KiB, NBD_STATE_HOLE | NBD_STATE_ZERO],
    ]);
    c.request(NBD_CMD_BLOCK_STATUS, 2n, 0n, 1 * MiB, { flags: NBD_CMD_FLAG_REQ_ONE });
    const one = await c.readStructuredChunk();
    expect(one.payload.length).toBe(12);
    c.request(NBD_CMD_BLOCK_STATUS, 3n, BigInt(SIZE), 1);
    const err = await c.readStructuredChunk();
    expect([err.type, err.payload.readUInt32BE(0)]).toEqual([NBD_REPLY_TYPE_ERROR, NBD_EINVAL]);
  });

  it('honours WRITE_ZEROES with NO_HOLE and TRIM', async () => {
    const { port, device } = await setup();
    await device.write(0, Buffer.alloc(256 * KiB, 1));
    const c = await attach(port, { structured: true });
    c.request(NBD_CMD_WRITE_ZEROES, 1n, 0n, 64 * KiB, { flags: NBD_CMD_FLAG_NO_HOLE });
    c.request(NBD_CMD_WRITE_ZEROES, 2n, 64n * 1024n, 64 * KiB, { flags: NBD_CMD_FLAG_FUA });
    c.request(NBD_CMD_TRIM, 3n, 128n * 1024n, 64 * KiB);
    for (let i = 0; i < 3; i++) expect((await c.readSimpleReply()).error).toBe(0);
    expect(await device.blockStatus(0, 256 * KiB)).toEqual([
      { length: 64 * KiB, hole: false, zero: true },
      { length: 128 * KiB, hole: true, zero: true },
      { length: 64 * KiB, hole: false, zero: false },
    ]);
  });
});

/** A gate that holds callers of wait() until open() is called. */
function gated(): { wait(): Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => opened, open: () => open() };
}
