import { describe, expect, it } from 'vitest';
import { RESERVED_TAG } from '../pdu/opcodes.js';
import { DataOutError, ScsiTask, type DataOutLimits } from './scsi-task.js';

const LUN = Buffer.alloc(8);
const CDB = Buffer.alloc(16);

function task(edtl: number, immediate: Buffer, final: boolean, limits: Partial<DataOutLimits> = {}): ScsiTask {
  let ttt = 100;
  const l: DataOutLimits = { immediateData: true, initialR2T: true, firstBurstLength: 65536, maxBurstLength: 262144, maxOutstandingR2T: 1, ...limits };
  return new ScsiTask(1, 1, 0, LUN, CDB, edtl, true, 1, immediate, final, l, () => ttt++);
}

describe('ScsiTask data-out assembly', () => {
  it('uses immediate data as is when it is the whole write', () => {
    const data = Buffer.alloc(4096, 7);
    const t = task(4096, data, true);
    expect(t.complete).toBe(true);
    expect(t.dataOut).toBe(data);
    expect(t.nextR2Ts()).toEqual([]);
  });

  it('solicits the rest in MaxBurstLength bursts, MaxOutstandingR2T at a time, and reassembles in order', () => {
    const whole = Buffer.from(Array.from({ length: 10000 }, (_, i) => i & 0xff));
    const t = task(10000, whole.subarray(0, 1000), true, { maxBurstLength: 4000, maxOutstandingR2T: 2 });
    const first = t.nextR2Ts();
    expect(first.map((r) => [r.offset, r.length, r.r2tSN])).toEqual([
      [1000, 4000, 0],
      [5000, 4000, 1],
    ]);
    expect(t.nextR2Ts()).toEqual([]);
    const [a, b] = first;
    t.acceptDataOut(b!.ttt, 0, 5000, whole.subarray(5000, 9000), true);
    t.acceptDataOut(a!.ttt, 0, 1000, whole.subarray(1000, 3000), false);
    t.acceptDataOut(a!.ttt, 1, 3000, whole.subarray(3000, 5000), true);
    const last = t.nextR2Ts();
    expect(last.map((r) => [r.offset, r.length, r.r2tSN])).toEqual([[9000, 1000, 2]]);
    t.acceptDataOut(last[0]!.ttt, 0, 9000, whole.subarray(9000), true);
    expect(t.complete).toBe(true);
    expect(t.dataOut.equals(whole)).toBe(true);
  });

  it('copies data that came in pieces straight into one buffer from its allocator, and reports that buffer', () => {
    const whole = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7) & 0xff));
    const lent: Buffer[] = [];
    const allocate = (n: number): Buffer => {
      const b = Buffer.alloc(n, 0xee);
      lent.push(b);
      return b;
    };
    const l: DataOutLimits = { immediateData: true, initialR2T: true, firstBurstLength: 65536, maxBurstLength: 262144, maxOutstandingR2T: 1 };
    const t = new ScsiTask(1, 1, 0, LUN, CDB, 8192, true, 1, [whole.subarray(0, 100), whole.subarray(100, 1000)], true, l, () => 5, allocate);
    const [r2t] = t.nextR2Ts();
    t.acceptDataOut(r2t!.ttt, 0, 1000, [whole.subarray(1000, 5000), whole.subarray(5000, 8192)], true);
    expect(t.complete).toBe(true);
    expect(t.dataOut.equals(whole)).toBe(true);
    expect(lent).toHaveLength(1);
    expect(t.allocatedBuffer).toBe(lent[0]);
    // A whole write in one PDU's single chunk keeps that buffer: nothing was allocated.
    const single = new ScsiTask(2, 2, 0, LUN, CDB, 4096, true, 1, whole.subarray(0, 4096), true, l, () => 6, allocate);
    expect(single.dataOut.buffer).toBe(whole.buffer);
    expect(single.allocatedBuffer).toBeUndefined();
    expect(lent).toHaveLength(1);
  });

  it('takes unsolicited Data-Out up to FirstBurstLength when InitialR2T=No', () => {
    const whole = Buffer.alloc(8192, 3);
    const t = task(8192, whole.subarray(0, 1024), false, { initialR2T: false, firstBurstLength: 4096 });
    expect(t.nextR2Ts()).toEqual([]); // unsolicited data still due
    t.acceptDataOut(RESERVED_TAG, 0, 1024, whole.subarray(1024, 4096), true);
    const r = t.nextR2Ts();
    expect(r.map((x) => [x.offset, x.length])).toEqual([[4096, 4096]]);
  });

  it('rejects a wrong DataSN, a wrong offset, an unknown TTT and a burst that ends early', () => {
    const mk = (): { t: ScsiTask; ttt: number } => {
      const t = task(4096, Buffer.alloc(0), true);
      return { t, ttt: t.nextR2Ts()[0]!.ttt };
    };
    let { t, ttt } = mk();
    expect(() => t.acceptDataOut(ttt, 1, 0, Buffer.alloc(512), false)).toThrow(DataOutError);
    ({ t, ttt } = mk());
    expect(() => t.acceptDataOut(ttt, 0, 512, Buffer.alloc(512), false)).toThrow(/offset/);
    ({ t, ttt } = mk());
    expect(() => t.acceptDataOut(ttt + 1, 0, 0, Buffer.alloc(512), false)).toThrow(/unknown target transfer tag/);
    ({ t, ttt } = mk());
    expect(() => t.acceptDataOut(ttt, 0, 0, Buffer.alloc(512), true)).toThrow(/ended after 512/);
    ({ t, ttt } = mk());
    expect(() => t.acceptDataOut(ttt, 0, 0, Buffer.alloc(8192), true)).toThrow(/outside its R2T/);
  });

  it('refuses immediate data beyond the EDTL or when ImmediateData=No', () => {
    expect(() => task(512, Buffer.alloc(1024), true)).toThrow(/exceeds the expected data transfer length/);
    expect(() => task(1024, Buffer.alloc(512), true, { immediateData: false })).toThrow(/ImmediateData=No/);
  });
});
