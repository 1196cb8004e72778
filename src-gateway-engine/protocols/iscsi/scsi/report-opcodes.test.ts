import { describe, expect, it } from 'vitest';
import { blockCommandTable } from './block-logical-unit.js';
import { clearUa, harness, senseOf } from './test/lu-harness.js';

const rsoc = (options: number, opcode = 0, sa = 0, alloc = 65535, rctd = false): number[] => [
  0xa3, 0x0c, (rctd ? 0x80 : 0) | options, opcode, sa >> 8, sa & 0xff, (alloc >>> 24) & 0xff, (alloc >>> 16) & 0xff, (alloc >>> 8) & 0xff, alloc & 0xff, 0, 0,
];

interface Descriptor {
  opcode: number;
  sa: number;
  servactv: boolean;
  ctdp: boolean;
  cdbLength: number;
}

function parseAll(data: Buffer, rctd: boolean): Descriptor[] {
  const out: Descriptor[] = [];
  const end = 4 + data.readUInt32BE(0);
  for (let at = 4; at < end; at += rctd ? 20 : 8) {
    out.push({ opcode: data[at]!, sa: data.readUInt16BE(at + 2), servactv: (data[at + 5]! & 1) !== 0, ctdp: (data[at + 5]! & 2) !== 0, cdbLength: data.readUInt16BE(at + 6) });
    if (rctd) expect(data.readUInt16BE(at + 8)).toBe(0x0a);
  }
  return out;
}

describe('REPORT SUPPORTED OPERATION CODES', () => {
  it('lists exactly the dispatch table', async () => {
    const h = harness();
    await clearUa(h);
    const all = parseAll((await h.run(rsoc(0))).dataIn!, false);
    const table = blockCommandTable(h.profile, { nexus: undefined });
    expect(all.length).toBe(table.length);
    for (const spec of table) {
      expect(all).toContainEqual({ opcode: spec.opcode, sa: spec.serviceAction ?? 0, servactv: spec.serviceAction !== undefined, ctdp: false, cdbLength: spec.usage.length });
    }
    expect(parseAll((await h.run(rsoc(0, 0, 0, 65535, true))).dataIn!, true).every((d) => d.ctdp)).toBe(true);
  });

  it('answers one command with its CDB usage data, and refuses the wrong reporting option', async () => {
    const h = harness();
    await clearUa(h);
    const all = parseAll((await h.run(rsoc(0))).dataIn!, false);
    for (const d of all) {
      const right = await h.run(rsoc(d.servactv ? 2 : 1, d.opcode, d.sa));
      expect(right.status).toBe(0);
      expect(right.dataIn![1]! & 0x07).toBe(3);
      expect(right.dataIn!.readUInt16BE(2)).toBe(d.cdbLength);
      expect(right.dataIn![4]).toBe(d.opcode);
      const wrong = await h.run(rsoc(d.servactv ? 1 : 2, d.opcode, d.sa));
      // Never field pointer 1: libiscsi would take it for "command not implemented".
      expect(senseOf(wrong)).toMatchObject({ key: 5, asc: 0x24, fieldPointer: { byte: 2 } });
    }
  });

  it('sets DPO and FUA in the usage data of READ(10) and COMPARE AND WRITE', async () => {
    const h = harness();
    await clearUa(h);
    expect((await h.run(rsoc(1, 0x28))).dataIn![5]! & 0x18).toBe(0x18);
    expect((await h.run(rsoc(1, 0x89))).dataIn![5]! & 0x18).toBe(0x18);
    expect((await h.run(rsoc(1, 0x2f))).dataIn![5]! & 0x10).toBe(0x10);
  });

  it('reports an unknown opcode as not supported, and truncates to the allocation length', async () => {
    const h = harness();
    await clearUa(h);
    const r = await h.run(rsoc(1, 0xc0));
    expect(r.status).toBe(0);
    expect(r.dataIn![1]! & 7).toBe(1);
    expect((await h.run(rsoc(0, 0, 0, 10))).dataIn!.length).toBe(10);
    expect(senseOf(await h.run(rsoc(5)))).toMatchObject({ key: 5, asc: 0x24 });
  });
});
