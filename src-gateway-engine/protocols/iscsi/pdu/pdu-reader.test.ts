import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ReceiveBuffer } from '../../common/receive-buffer.js';
import { crc32c } from './crc32c.js';
import { PduFramingError, PduReader } from './pdu-reader.js';
import { PduWriter } from './pdu-writer.js';

/** One PDU as an initiator puts it on the wire. */
function frame(o: { opcode?: number; ahs?: Buffer; data?: Buffer; headerDigest?: boolean; dataDigest?: boolean; badHeaderDigest?: boolean; badDataDigest?: boolean; tag?: number }): Buffer {
  const ahs = o.ahs ?? Buffer.alloc(0);
  const data = o.data ?? Buffer.alloc(0);
  const bhs = Buffer.alloc(48);
  bhs[0] = o.opcode ?? 0x00;
  bhs[1] = 0x80;
  bhs[4] = ahs.length / 4;
  bhs.writeUIntBE(data.length, 5, 3);
  bhs.writeUInt32BE(o.tag ?? 7, 16);
  const parts = [bhs, ahs];
  const le = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0, 0);
    return b;
  };
  if (o.headerDigest) parts.push(le(crc32c(ahs, crc32c(bhs)) ^ (o.badHeaderDigest ? 1 : 0)));
  if (data.length > 0) {
    const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
    parts.push(padded);
    if (o.dataDigest) parts.push(le(crc32c(padded) ^ (o.badDataDigest ? 0x80000000 : 0)));
  }
  return Buffer.concat(parts);
}

function reader(o: { headerDigest?: boolean; dataDigest?: boolean; max?: number } = {}): { input: ReceiveBuffer; r: PduReader } {
  const input = new ReceiveBuffer();
  const r = new PduReader(input);
  r.headerDigest = o.headerDigest ?? false;
  r.dataDigest = o.dataDigest ?? false;
  if (o.max !== undefined) r.maxDataSegmentLength = o.max;
  return { input, r };
}

async function framingError(p: Promise<unknown>): Promise<PduFramingError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PduFramingError);
  return err as PduFramingError;
}

describe('PduReader', () => {
  it('reassembles PDUs delivered one byte at a time, and several PDUs in one chunk', async () => {
    const data = Buffer.from('hello, iSCSI');
    const bytes = Buffer.concat([frame({ data, tag: 1 }), frame({ tag: 2 }), frame({ data: Buffer.alloc(8192, 0xab), tag: 3 })]);
    const { input, r } = reader();
    const first = r.next();
    for (const b of bytes.subarray(0, 60)) input.push(Buffer.from([b]));
    const p1 = await first;
    expect(p1.itt).toBe(1);
    expect(p1.data.equals(data)).toBe(true);
    input.push(bytes.subarray(60));
    const p2 = await r.next();
    expect(p2.itt).toBe(2);
    expect(p2.data.length).toBe(0);
    const p3 = await r.next();
    expect(p3.itt).toBe(3);
    expect(p3.data.equals(Buffer.alloc(8192, 0xab))).toBe(true);
    expect(input.length).toBe(0);
  });

  it('splits at every possible chunk boundary', async () => {
    const bytes = Buffer.concat([frame({ data: Buffer.from('abcde'), ahs: Buffer.alloc(8, 1), headerDigest: true, dataDigest: true, tag: 10 }), frame({ tag: 11, headerDigest: true, dataDigest: true })]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { input, r } = reader({ headerDigest: true, dataDigest: true });
      input.push(bytes.subarray(0, cut));
      input.push(bytes.subarray(cut));
      const a = await r.next();
      const b = await r.next();
      expect([a.itt, a.data.toString(), a.ahs.length, b.itt]).toEqual([10, 'abcde', 8, 11]);
    }
  });

  it('hands over a data segment that spans chunks as views of them, never copied, from tryNext and next', async () => {
    const data = Buffer.from(Array.from({ length: 6000 }, (_, i) => i & 0xff));
    const bytes = frame({ data, dataDigest: true, tag: 5 });
    for (const sync of [true, false]) {
      const { input, r } = reader({ dataDigest: true });
      const chunks = [bytes.subarray(0, 2000), Buffer.from(bytes.subarray(2000, 4000)), Buffer.from(bytes.subarray(4000))];
      const pending = sync ? undefined : r.next();
      for (const c of chunks) input.push(c);
      const pdu = sync ? r.tryNext()! : await pending!;
      expect(Array.isArray(pdu.segment)).toBe(true);
      const views = pdu.segment as Buffer[];
      expect(views.map((v) => v.buffer)).toEqual(chunks.map((c) => c.buffer));
      expect(Buffer.concat(views).equals(data)).toBe(true);
      expect(pdu.data.equals(data)).toBe(true);
    }
  });

  it('reads the AHS and strips the data padding', async () => {
    const ahs = Buffer.from([0, 5, 1, 0, 1, 2, 3, 4, 5, 0, 0, 0]);
    const { input, r } = reader();
    input.push(Buffer.concat([frame({ opcode: 0x01, ahs, data: Buffer.from([9, 8, 7]) }), frame({ tag: 99 })]));
    const p = await r.next();
    expect(p.opcode).toBe(0x01);
    expect(p.ahs.equals(ahs)).toBe(true);
    expect([...p.data]).toEqual([9, 8, 7]);
    expect((await r.next()).itt).toBe(99); // the padding byte was consumed, the next PDU is aligned
  });

  it('checks the header digest over BHS and AHS', async () => {
    const ok = reader({ headerDigest: true });
    ok.input.push(frame({ ahs: Buffer.alloc(4, 3), headerDigest: true }));
    expect((await ok.r.next()).ahs.length).toBe(4);

    const bad = reader({ headerDigest: true });
    bad.input.push(frame({ ahs: Buffer.alloc(4, 3), headerDigest: true, badHeaderDigest: true }));
    expect((await framingError(bad.r.next())).kind).toBe('header-digest');
  });

  it('checks the data digest over data and padding, and hands back the header with the error', async () => {
    const ok = reader({ dataDigest: true });
    ok.input.push(frame({ data: Buffer.from('xyz'), dataDigest: true }));
    expect((await ok.r.next()).data.toString()).toBe('xyz');

    const bad = reader({ dataDigest: true });
    bad.input.push(frame({ data: Buffer.from('xyz'), dataDigest: true, badDataDigest: true, tag: 42 }));
    const err = await framingError(bad.r.next());
    expect(err.kind).toBe('data-digest');
    expect(err.bhs?.readUInt32BE(16)).toBe(42);
  });

  it('reads no data digest when there is no data segment', async () => {
    const { input, r } = reader({ headerDigest: true, dataDigest: true });
    input.push(Buffer.concat([frame({ headerDigest: true, dataDigest: true, tag: 1 }), frame({ headerDigest: true, dataDigest: true, tag: 2, data: Buffer.alloc(1) })]));
    expect((await r.next()).itt).toBe(1);
    expect((await r.next()).itt).toBe(2);
  });

  it('refuses a data segment above the limit from the header alone', async () => {
    const { input, r } = reader({ max: 8192 });
    const header = frame({ data: Buffer.alloc(8193) }).subarray(0, 48);
    input.push(header); // the data never comes: the reader must not wait for it
    const err = await framingError(r.next());
    expect(err.kind).toBe('too-long');
    expect(err.bhs?.length).toBe(48);

    const huge = reader({ max: 262144 });
    const h = Buffer.from(header);
    h.writeUIntBE(0xffffff, 5, 3);
    huge.input.push(h);
    expect((await framingError(huge.r.next())).kind).toBe('too-long');
  });

  it('accepts a data segment of exactly the limit', async () => {
    const { input, r } = reader({ max: 512 });
    input.push(frame({ data: Buffer.alloc(512, 1) }));
    expect((await r.next()).data.length).toBe(512);
  });

  it('fails a read pending on a connection that closes mid-PDU', async () => {
    const { input, r } = reader();
    input.push(frame({ data: Buffer.alloc(100) }).subarray(0, 60));
    const pending = r.next();
    input.fail(new Error('connection closed'));
    await expect(pending).rejects.toThrow('connection closed');
  });
});

/** A socket stand-in that collects what the writer writes. */
function fakeSocket(): { socket: Socket; written: () => Buffer } {
  const chunks: Buffer[] = [];
  const socket = {
    destroyed: false,
    writableLength: 0,
    cork: () => undefined,
    uncork: () => undefined,
    write: (b: Buffer) => {
      chunks.push(Buffer.from(b));
      return true;
    },
  } as unknown as Socket;
  return { socket, written: () => Buffer.concat(chunks) };
}

describe('PduReader.tryNext', () => {
  it('returns whole buffered PDUs synchronously and nothing for a partial one, in every digest setting', async () => {
    for (const headerDigest of [false, true]) {
      for (const dataDigest of [false, true]) {
        const { input, r } = reader({ headerDigest, dataDigest });
        const pdus = [
          frame({ tag: 1, headerDigest, dataDigest }),
          frame({ tag: 2, data: Buffer.from('odd length!'), headerDigest, dataDigest }),
          frame({ tag: 3, ahs: Buffer.alloc(8, 1), data: Buffer.alloc(4096, 9), headerDigest, dataDigest }),
        ];
        const wire = Buffer.concat(pdus);
        // Everything but the last byte: the first two come out at once, the third waits.
        input.push(wire.subarray(0, wire.length - 1));
        expect(r.tryNext()?.itt).toBe(1);
        const second = r.tryNext();
        expect(second?.itt).toBe(2);
        expect(second?.data.toString()).toBe('odd length!');
        expect(r.tryNext()).toBeUndefined();
        input.push(wire.subarray(wire.length - 1));
        const third = r.tryNext() ?? (await r.next());
        expect(third.itt).toBe(3);
        expect(third.ahs.length).toBe(8);
        expect(third.data.equals(Buffer.alloc(4096, 9))).toBe(true);
        expect(r.tryNext()).toBeUndefined();
      }
    }
  });

  it('leaves digest failures and over-long segments to the same errors as next()', async () => {
    const bad = reader({ headerDigest: true });
    bad.input.push(frame({ headerDigest: true, badHeaderDigest: true }));
    expect(() => bad.r.tryNext()).toThrow(PduFramingError);
    const long = reader({ max: 512 });
    long.input.push(frame({ data: Buffer.alloc(1024) }));
    expect(long.r.tryNext()).toBeUndefined();
    expect((await framingError(long.r.next())).kind).toBe('too-long');
  });
});

describe('PduWriter → PduReader', () => {
  for (const [headerDigest, dataDigest] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`round-trips PDUs with header digest ${headerDigest ? 'on' : 'off'}, data digest ${dataDigest ? 'on' : 'off'}`, async () => {
      const { socket, written } = fakeSocket();
      const w = new PduWriter(socket);
      w.headerDigest = headerDigest;
      w.dataDigest = dataDigest;
      const sizes = [0, 1, 2, 3, 4, 5, 511, 4096];
      for (const [i, n] of sizes.entries()) {
        const bhs = Buffer.alloc(48);
        bhs[0] = 0x20;
        bhs.writeUInt32BE(i, 16);
        const data = Buffer.alloc(n, i + 1);
        // Several buffers forming one data segment, as Data-In sends them.
        w.send(bhs, n === 0 ? undefined : [data.subarray(0, n >> 1), data.subarray(n >> 1)]);
      }
      const bytes = written();
      expect(bytes.length % 4).toBe(0);
      const { input, r } = reader({ headerDigest, dataDigest });
      input.push(bytes);
      for (const [i, n] of sizes.entries()) {
        const p = await r.next();
        expect(p.itt).toBe(i);
        expect(p.data.equals(Buffer.alloc(n, i + 1))).toBe(true);
      }
      expect(input.length).toBe(0);
    });
  }

  it('writes nothing once the socket is destroyed', () => {
    const { socket, written } = fakeSocket();
    (socket as { destroyed: boolean }).destroyed = true;
    new PduWriter(socket).send(Buffer.alloc(48), Buffer.alloc(10));
    expect(written().length).toBe(0);
  });
});
