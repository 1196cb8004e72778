import { describe, expect, it, vi } from 'vitest';
import { ErrorCode, TidegateError } from '../../../errors/index.js';
import type { LuProfile } from './lu-profile.js';
import { BS, cdb10, cdb16, clearUa, harness, nexus, pattern, senseOf, type Harness } from './test/lu-harness.js';

// ---- parameter list builders -----------------------------------------------------------


interface SegmentSpec {
  blocks: number;
  src: number;
  dst: number;
  srcIndex?: number;
  dstIndex?: number;
  type?: number;
}

/** An identification CSCD (E4h) designating `naa` (default: the LU's own). */
function cscd(profile: LuProfile, options: { type?: number; naa?: Buffer; deviceType?: number; blockLength?: number } = {}): Buffer {
  const d = Buffer.alloc(32);
  d[0] = options.type ?? 0xe4;
  d[1] = options.deviceType ?? 0;
  const naa = options.naa ?? profile.naa;
  d[4] = 0x01; // binary
  d[5] = 0x03; // LU association, NAA
  d[7] = naa.length;
  naa.copy(d, 8);
  d.writeUIntBE(options.blockLength ?? profile.blockLength, 29, 3);
  return d;
}

/** A block→block segment descriptor (02h). */
function segment(s: SegmentSpec): Buffer {
  const d = Buffer.alloc(0x1c);
  d[0] = s.type ?? 0x02;
  d.writeUInt16BE(0x18, 2);
  d.writeUInt16BE(s.srcIndex ?? 0, 4);
  d.writeUInt16BE(s.dstIndex ?? 0, 6);
  d.writeUInt16BE(s.blocks, 10);
  d.writeBigUInt64BE(BigInt(s.src), 12);
  d.writeBigUInt64BE(BigInt(s.dst), 20);
  return d;
}

/** A whole parameter list: header, CSCDs, segments. */
function xcopyList(cscds: Buffer[], segments: Buffer[], header: { listId?: number; usage?: number; inline?: number } = {}): Buffer {
  const targets = Buffer.concat(cscds);
  const segs = Buffer.concat(segments);
  const h = Buffer.alloc(16);
  h[0] = header.listId ?? 0;
  h[1] = ((header.usage ?? 3) & 3) << 3;
  h.writeUInt16BE(targets.length, 2);
  h.writeUInt32BE(segs.length, 8);
  h.writeUInt32BE(header.inline ?? 0, 12);
  return Buffer.concat([h, targets, segs]);
}

/** The EXTENDED COPY (LID1) CDB for a parameter list of `length` bytes. */
function xcopyCdb(length: number): number[] {
  const c = Buffer.alloc(16);
  c[0] = 0x83;
  c.writeUInt32BE(length, 10);
  return [...c];
}


async function xcopy(h: Harness, list: Buffer, from = h.a) {
  return h.run(xcopyCdb(list.length), list, from);
}

async function read(h: Harness, lba: number, blocks: number): Promise<Buffer> {
  return (await h.run(cdb16(0x88, lba, blocks))).dataIn!;
}

async function ready(options: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = harness(options);
  await clearUa(h);
  return h;
}

describe('EXTENDED COPY (LID1)', () => {
  it('copies blocks within the LU, in chunks of the maximum transfer length', async () => {
    // 4 KiB requests: 8 blocks per device call, so 21 blocks take 3 chunks.
    const h = await ready({ maxRequestBytes: 4096 });
    const data = pattern(21, 3);
    await h.run(cdb16(0x8a, 5, 21), data);
    const writes = vi.spyOn(h.device, 'write');
    const list = xcopyList([cscd(h.profile)], [segment({ blocks: 21, src: 5, dst: 1000 })]);
    expect((await xcopy(h, list)).status).toBe(0);
    expect(await read(h, 1000, 21)).toEqual(data);
    expect(writes.mock.calls.map((c) => c[1].length / BS)).toEqual([8, 8, 5]);
    // Two CSCDs naming the same LU (what ESXi sends), source index 1.
    const two = xcopyList([cscd(h.profile), cscd(h.profile)], [segment({ blocks: 21, src: 1000, dst: 3000, srcIndex: 1, dstIndex: 0 })]);
    expect((await xcopy(h, two)).status).toBe(0);
    expect(await read(h, 3000, 21)).toEqual(data);
  });

  it('copies overlapping ranges as if the source were read first', async () => {
    const h = await ready({ maxRequestBytes: 4096 });
    const data = pattern(20, 9);
    for (const [src, dst] of [
      [100, 105],
      [205, 200],
    ] as const) {
      await h.run(cdb16(0x8a, src, 20), data);
      expect((await xcopy(h, xcopyList([cscd(h.profile)], [segment({ blocks: 20, src, dst })]))).status).toBe(0);
      expect(await read(h, dst, 20)).toEqual(data);
    }
  });

  it('accepts an empty parameter list and zero-block segments', async () => {
    const h = await ready();
    expect((await h.run(xcopyCdb(0))).status).toBe(0);
    expect((await xcopy(h, xcopyList([cscd(h.profile)], [segment({ blocks: 0, src: 0, dst: 8 })]))).status).toBe(0);
  });

  it('reports truncated lists and lists over the limits as libiscsi expects', async () => {
    const h = await ready();
    const full = xcopyList([cscd(h.profile)], [segment({ blocks: 8, src: 0, dst: 64 })]);
    for (const size of [8, 16 + 31, full.length - 1]) {
      expect(senseOf(await xcopy(h, full.subarray(0, size)))).toMatchObject({ key: 5, asc: 0x1a, ascq: 0 });
    }
    const seg = segment({ blocks: 8, src: 0, dst: 64 });
    expect(senseOf(await xcopy(h, xcopyList([cscd(h.profile), cscd(h.profile), cscd(h.profile)], [seg])))).toMatchObject({ key: 5, asc: 0x26, ascq: 0x06 });
    expect(senseOf(await xcopy(h, xcopyList([cscd(h.profile)], [seg, seg])))).toMatchObject({ key: 5, asc: 0x26, ascq: 0x08 });
    // Over MAXIMUM DESCRIPTOR LIST LENGTH (1024) beats the descriptor counts.
    const many = Array.from({ length: 40 }, () => seg);
    expect(senseOf(await xcopy(h, xcopyList([cscd(h.profile), cscd(h.profile), cscd(h.profile)], many)))).toMatchObject({ key: 5, asc: 0x1a });
  });

  it('refuses unsupported descriptor types and header fields', async () => {
    const h = await ready();
    const seg = segment({ blocks: 8, src: 0, dst: 64 });
    expect(senseOf(await xcopy(h, xcopyList([cscd(h.profile, { type: 0xe0 })], [seg])))).toMatchObject({ key: 5, asc: 0x26, ascq: 0x07 });
    expect(senseOf(await xcopy(h, xcopyList([cscd(h.profile, { deviceType: 1 })], [seg])))).toMatchObject({ key: 5, asc: 0x26, ascq: 0x07 });
    const stream = Buffer.alloc(0x14);
    stream[0] = 0x03;
    stream.writeUInt16BE(0x10, 2);
    expect(senseOf(await xcopy(h, xcopyList([cscd(h.profile)], [stream])))).toMatchObject({ key: 5, asc: 0x26, ascq: 0x09 });
    expect(senseOf(await xcopy(h, xcopyList([cscd(h.profile, { blockLength: 4096 })], [seg])))).toMatchObject({ key: 5, asc: 0x26, ascq: 0 });
    expect(senseOf(await xcopy(h, xcopyList([cscd(h.profile)], [seg], { usage: 1 })))).toMatchObject({ key: 5, asc: 0x26, ascq: 0 });
    expect(senseOf(await xcopy(h, xcopyList([cscd(h.profile)], [seg], { usage: 3, listId: 7 })))).toMatchObject({ key: 5, asc: 0x26 });
    const inline = xcopyList([cscd(h.profile)], [seg], { inline: 4 });
    expect(senseOf(await xcopy(h, Buffer.concat([inline, Buffer.alloc(4)])))).toMatchObject({ key: 5, asc: 0x26, ascq: 0 });
    // Other service actions (LID4, tokens) are not supported.
    const lid4 = xcopyCdb(0);
    lid4[1] = 0x01;
    expect(senseOf(await h.run(lid4))).toMatchObject({ key: 5, asc: 0x24 });
  });

  it('aborts the copy for targets that are not this LU, bad indexes and blocks past the end', async () => {
    const h = await ready();
    const before = await read(h, 64, 8);
    const other = Buffer.from(h.profile.naa);
    other[15]! ^= 1;
    const cases: [Buffer, number, number][] = [
      [xcopyList([cscd(h.profile, { naa: other })], [segment({ blocks: 8, src: 0, dst: 64 })]), 0x0d, 0x02],
      [xcopyList([cscd(h.profile)], [segment({ blocks: 8, src: 0, dst: 64, dstIndex: 1 })]), 0x08, 0x04],
      [xcopyList([cscd(h.profile)], [segment({ blocks: 8, src: 0, dst: h.profile.blockCount - 1 })]), 0x00, 0x00],
      [xcopyList([cscd(h.profile)], [segment({ blocks: 8, src: h.profile.blockCount - 4, dst: 64 })]), 0x00, 0x00],
    ];
    for (const [list, asc, ascq] of cases) expect(senseOf(await xcopy(h, list))).toMatchObject({ key: 0x0a, asc, ascq });
    expect(await read(h, 64, 8)).toEqual(before);
  });

  it('reports a device error mid-copy as COPY ABORTED with the error ASC', async () => {
    const h = await ready({ maxRequestBytes: 4096 });
    const list = xcopyList([cscd(h.profile)], [segment({ blocks: 16, src: 0, dst: 64 })]);
    const write = h.device.write.bind(h.device);
    let calls = 0;
    h.device.write = (offset, data, options) => (++calls === 2 ? Promise.reject(new TidegateError(ErrorCode.IoError, 'disk')) : write(offset, data, options));
    expect(senseOf(await xcopy(h, list))).toMatchObject({ key: 0x0a, asc: 0x0c, ascq: 0 });
    h.device.write = write;
    h.device.read = () => Promise.reject(new TidegateError(ErrorCode.IoError, 'disk'));
    expect(senseOf(await xcopy(h, list))).toMatchObject({ key: 0x0a, asc: 0x11, ascq: 0 });
    // A handoff in progress is NOT READY, as for any command: the initiator retries.
    h.device.read = () => Promise.reject(new TidegateError(ErrorCode.ShuttingDown, 'handoff'));
    expect(senseOf(await xcopy(h, list))).toMatchObject({ key: 0x02, asc: 0x04, ascq: 0x01 });
  });

  it('is refused on a read-only volume', async () => {
    const h = await ready({ readOnly: true });
    const list = xcopyList([cscd(h.profile)], [segment({ blocks: 8, src: 0, dst: 64 })]);
    expect(senseOf(await xcopy(h, list))).toMatchObject({ key: 0x07, asc: 0x27 });
  });

  it('is atomic against COMPARE AND WRITE on the source', async () => {
    // CAW flips the source block between A and B while copies run: every copy must see
    // one whole pattern, never half of each.
    const h = await ready();
    const b = nexus('iqn.2024-01.test:b');
    h.lu.nexusAdded(b);
    await clearUa(h, b);
    const A = Buffer.alloc(BS, 0xaa);
    const B = Buffer.alloc(BS, 0xbb);
    await h.run(cdb10(0x2a, 10, 1), A);
    const caw = (cmp: Buffer, next: Buffer) => {
      const c = cdb16(0x89, 10, 0);
      c[13] = 1;
      return h.run(c, Buffer.concat([cmp, next]), b);
    };
    const list = (dst: number) => xcopyList([cscd(h.profile)], [segment({ blocks: 1, src: 10, dst })]);
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      ops.push(caw(i % 2 === 0 ? A : B, i % 2 === 0 ? B : A));
      ops.push(xcopy(h, list(100 + i)));
    }
    await Promise.all(ops);
    for (let i = 0; i < 20; i++) {
      const got = await read(h, 100 + i, 1);
      expect(got.equals(A) || got.equals(B)).toBe(true);
    }
  });

  it('is listed by REPORT SUPPORTED OPERATION CODES and advertised by INQUIRY', async () => {
    const h = await ready();
    const one = (opcode: number, sa: number) => {
      const c = Buffer.alloc(12);
      c[0] = 0xa3;
      c[1] = 0x0c;
      c[2] = 0x02;
      c[3] = opcode;
      c.writeUInt16BE(sa, 4);
      c.writeUInt32BE(512, 6);
      return h.run([...c]);
    };
    for (const [op, sa] of [
      [0x83, 0x00],
      [0x84, 0x00],
      [0x84, 0x03],
    ] as const) {
      expect((await one(op, sa)).dataIn![1]! & 0x07).toBe(0x03);
    }
    expect((await one(0x83, 0x01)).dataIn![1]! & 0x07).toBe(0x01);
    const std = await h.run([0x12, 0, 0, 0, 96, 0]);
    expect(std.dataIn![5]! & 0x08).toBe(0x08);
    const pages = await h.run([0x12, 1, 0, 0, 255, 0]);
    expect([...pages.dataIn!.subarray(4)]).toContain(0x8f);
  });
});

