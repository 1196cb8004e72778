import { describe, expect, it } from 'vitest';
import { makeLuProfile } from './lu-profile.js';
import { ModePages } from './mode-pages.js';
import { ScsiCheckCondition, SenseKey } from './sense.js';

const profile = makeLuProfile({
  volumeId: 'f0e1d2c3-0000-4000-8000-000000000001',
  targetName: 'iqn.2024-01.io.tidegate:vol2',
  sizeBytes: 64 * 1024 * 1024,
  maxRequestBytes: 1024 * 1024,
  productRevision: '0.1',
});

function sense6(page: number, opts: { pc?: number; dbd?: boolean; subpage?: number; alloc?: number } = {}): Buffer {
  const c = Buffer.alloc(6);
  c[0] = 0x1a;
  c[1] = opts.dbd === true ? 0x08 : 0;
  c[2] = ((opts.pc ?? 0) << 6) | page;
  c[3] = opts.subpage ?? 0;
  c[4] = opts.alloc ?? 255;
  return c;
}

function sense10(page: number, opts: { llbaa?: boolean; alloc?: number } = {}): Buffer {
  const c = Buffer.alloc(10);
  c[0] = 0x5a;
  c[1] = opts.llbaa === true ? 0x10 : 0;
  c[2] = page;
  c.writeUInt16BE(opts.alloc ?? 4096, 7);
  return c;
}

function select6(length: number, flags = 0x10): Buffer {
  const c = Buffer.alloc(6);
  c[0] = 0x15;
  c[1] = flags;
  c[4] = length;
  return c;
}

/** Pages after the header and block descriptor of MODE SENSE(6) data, by page code. */
function pages6(d: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let at = 4 + d[3]!; at < d.length; at += 2 + d[at + 1]!) out.set(d[at]! & 0x3f, d.subarray(at, at + 2 + d[at + 1]!));
  return out;
}

function expectCheck(fn: () => unknown, asc: number, ascq = 0): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScsiCheckCondition);
    const s = (err as ScsiCheckCondition).sense;
    expect([s.key, s.asc, s.ascq]).toEqual([SenseKey.IllegalRequest, asc, ascq]);
    return;
  }
  throw new Error('expected CHECK CONDITION');
}

/** The way libiscsi's set_swp/clear_swp does it: read CONTROL with DBD, flip SWP, MODE SELECT(6) it back. */
function setSwp(mp: ModePages, on: boolean): void {
  const current = mp.sense(sense6(0x0a, { dbd: true })).dataIn!;
  const page = Buffer.from(pages6(current).get(0x0a)!);
  page[4] = on ? page[4]! | 0x08 : page[4]! & ~0x08;
  const list = Buffer.concat([Buffer.alloc(4), page]);
  mp.select(select6(list.length), list);
}

describe('MODE SENSE', () => {
  it('returns all pages in order with a short block descriptor, WP from the profile, DPOFUA', () => {
    const d = new ModePages(profile).sense(sense6(0x3f)).dataIn!;
    expect(d[0]).toBe(d.length - 1);
    expect(d[2]).toBe(0x10);
    expect(d[3]).toBe(8);
    expect(d.readUInt32BE(4)).toBe(profile.blockCount);
    expect(d.readUIntBE(9, 3)).toBe(512);
    expect([...pages6(d).keys()]).toEqual([0x01, 0x08, 0x0a, 0x1c]);
    const ro = new ModePages({ ...profile, readOnly: true }).sense(sense6(0x3f)).dataIn!;
    expect(ro[2]).toBe(0x90);
  });

  it('reports the control page the same directly and through all pages, with sane values', () => {
    const mp = new ModePages(profile);
    const direct = pages6(mp.sense(sense6(0x0a)).dataIn!).get(0x0a)!;
    expect(direct).toEqual(pages6(mp.sense(sense6(0x3f)).dataIn!).get(0x0a));
    expect(direct[1]).toBe(0x0a);
    expect(direct[2]! >> 5).toBe(0); // TST
    expect(direct[3]! >> 4).toBe(1); // QAM
    expect((direct[3]! >> 1) & 3).toBe(0); // QERR
    expect(direct.readUInt16BE(8)).not.toBe(0); // busy timeout
    expect(mp.descriptorSense).toBe(false);
    expect(mp.writeCacheEnabled).toBe(true);
  });

  it('truncates to the allocation length (no overflow residual)', () => {
    const mp = new ModePages(profile);
    expect(mp.sense(sense6(0x3f, { alloc: 4 })).dataIn!.length).toBe(4);
    expect(mp.sense(sense6(0x3f, { alloc: 4 })).dataIn![0]).toBe(mp.sense(sense6(0x3f)).dataIn!.length - 1);
  });

  it('reports changeable bits: WCE, D_SENSE, SWP', () => {
    const p = pages6(new ModePages(profile).sense(sense6(0x3f, { pc: 1 })).dataIn!);
    expect(p.get(0x08)![2]).toBe(0x04);
    expect(p.get(0x0a)![2]).toBe(0x04);
    expect(p.get(0x0a)![4]).toBe(0x08);
    expect([...p.get(0x01)!.subarray(2)].every((b) => b === 0)).toBe(true);
  });

  it('refuses saved values, unknown pages and subpages', () => {
    const mp = new ModePages(profile);
    expectCheck(() => mp.sense(sense6(0x3f, { pc: 3 })), 0x39);
    expectCheck(() => mp.sense(sense6(0x02)), 0x24);
    expectCheck(() => mp.sense(sense6(0x0a, { subpage: 1 })), 0x24);
    expect(mp.sense(sense6(0x3f, { subpage: 0xff })).dataIn!.length).toBe(mp.sense(sense6(0x3f)).dataIn!.length);
  });

  it('MODE SENSE(10) with LLBAA gives a long block descriptor', () => {
    const d = new ModePages(profile).sense(sense10(0x08, { llbaa: true })).dataIn!;
    expect(d.readUInt16BE(0)).toBe(d.length - 2);
    expect(d[4]! & 1).toBe(1);
    expect(d.readUInt16BE(6)).toBe(16);
    expect(Number(d.readBigUInt64BE(8))).toBe(profile.blockCount);
    expect(d.readUInt32BE(20)).toBe(512);
    expect(d[24]).toBe(0x08);
  });
});

describe('MODE SELECT', () => {
  it('sets and clears SWP the libiscsi way, and says so once per change', () => {
    let changes = 0;
    const mp = new ModePages(profile, { onChanged: () => changes++ });
    setSwp(mp, true);
    expect(mp.softwareWriteProtect).toBe(true);
    expect(mp.sense(sense6(0x3f)).dataIn![2]! & 0x80).toBe(0x80);
    setSwp(mp, true);
    setSwp(mp, false);
    expect(mp.softwareWriteProtect).toBe(false);
    expect(changes).toBe(2);
  });

  it('turns WCE and D_SENSE off and on', () => {
    const mp = new ModePages(profile);
    const d = mp.sense(sense6(0x3f)).dataIn!;
    const caching = Buffer.from(pages6(d).get(0x08)!);
    const control = Buffer.from(pages6(d).get(0x0a)!);
    caching[2] = 0;
    control[2] = control[2]! | 0x04;
    const list = Buffer.concat([Buffer.alloc(4), caching, control]);
    const r = mp.select(select6(list.length), list);
    expect(r.dataOutLength).toBe(list.length);
    expect(mp.writeCacheEnabled).toBe(false);
    expect(mp.descriptorSense).toBe(true);
    mp.reset();
    expect(mp.writeCacheEnabled).toBe(true);
  });

  it('rejects changes to fixed values and leaves everything as it was', () => {
    const mp = new ModePages(profile);
    const d = mp.sense(sense6(0x3f)).dataIn!;
    const caching = Buffer.from(pages6(d).get(0x08)!);
    const control = Buffer.from(pages6(d).get(0x0a)!);
    caching[2] = 0;
    control[3] = 0x00; // QAM is not changeable
    const list = Buffer.concat([Buffer.alloc(4), caching, control]);
    expectCheck(() => mp.select(select6(list.length), list), 0x26);
    expect(mp.writeCacheEnabled).toBe(true);
  });

  it('checks SP, PF, lengths and the block descriptor', () => {
    const mp = new ModePages(profile);
    const control = pages6(mp.sense(sense6(0x0a)).dataIn!).get(0x0a)!;
    const list = Buffer.concat([Buffer.alloc(4), control]);
    expectCheck(() => mp.select(select6(list.length, 0x11), list), 0x24);
    expectCheck(() => mp.select(select6(list.length, 0x00), list), 0x24);
    expectCheck(() => mp.select(select6(list.length), list.subarray(0, 6)), 0x1a);
    expectCheck(() => mp.select(select6(list.length - 1), list), 0x1a);
    expect(mp.select(select6(0), Buffer.alloc(0)).status).toBe(0);
    const bd = Buffer.alloc(8);
    bd.writeUIntBE(4096, 5, 3);
    const withBd = Buffer.concat([Buffer.from([0, 0, 0, 8]), bd, control]);
    expectCheck(() => mp.select(select6(withBd.length), withBd), 0x26);
    bd.writeUIntBE(512, 5, 3);
    const goodBd = Buffer.concat([Buffer.from([0, 0, 0, 8]), bd, control]);
    expect(mp.select(select6(goodBd.length), goodBd).status).toBe(0);
  });
});
