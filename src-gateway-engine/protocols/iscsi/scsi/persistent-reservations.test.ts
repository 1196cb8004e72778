import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PersistentReservations, PrInAction, PrOutAction } from './persistent-reservations.js';
import { PrType, type PrTypeCode } from './reservation-types.js';
import type { ItNexus } from './scsi-contract.js';
import { ScsiCheckCondition } from './sense.js';
import { decodeTransportId, encodeTransportId } from './transport-id.js';

const GOOD = 0x00;
const CONFLICT = 0x18;

function nexus(initiatorName: string, isid: string, rtpi = 1): ItNexus {
  return { id: `${initiatorName},i,0x${isid}|${rtpi}`, initiatorName, isid, relativeTargetPortId: rtpi, targetPortalGroupTag: rtpi };
}

const i1 = nexus('iqn.1994-05.com.example:node1', '400001370000');
const i2 = nexus('iqn.1994-05.com.example:node2', '400001370001');
const i3 = nexus('iqn.1994-05.com.example:node3', '400001370002');

function proutCdb(action: number, type = 0, length = 24): Buffer {
  const c = Buffer.alloc(10);
  c[0] = 0x5f;
  c[1] = action;
  c[2] = type;
  c.writeUInt32BE(length, 5);
  return c;
}

function params(key: bigint, sark: bigint, flags = 0): Buffer {
  const d = Buffer.alloc(24);
  d.writeBigUInt64BE(key, 0);
  d.writeBigUInt64BE(sark, 8);
  d[20] = flags;
  return d;
}

async function prout(pr: PersistentReservations, n: ItNexus, action: number, key: bigint, sark: bigint, type = 0, flags = 0) {
  const data = params(key, sark, flags);
  return pr.out(proutCdb(action, type, data.length), data, n);
}

async function status(pr: PersistentReservations, n: ItNexus, action: number, key: bigint, sark: bigint, type = 0, flags = 0) {
  return (await prout(pr, n, action, key, sark, type, flags)).response.status;
}

function prin(pr: PersistentReservations, n: ItNexus, action: number, alloc = 16384): Buffer {
  const c = Buffer.alloc(10);
  c[0] = 0x5e;
  c[1] = action;
  c.writeUInt16BE(alloc, 7);
  return pr.in(c, n).dataIn!;
}

function keys(pr: PersistentReservations, n = i1): bigint[] {
  const d = prin(pr, n, PrInAction.ReadKeys);
  const out: bigint[] = [];
  for (let at = 8; at < 8 + d.readUInt32BE(4); at += 8) out.push(d.readBigUInt64BE(at));
  return out;
}

function reservation(pr: PersistentReservations): { key: bigint; type: number } | null {
  const d = prin(pr, i1, PrInAction.ReadReservation);
  return d.readUInt32BE(4) === 0 ? null : { key: d.readBigUInt64BE(8), type: d[21]! & 0x0f };
}

const READ10 = Buffer.from([0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0]);
const WRITE10 = Buffer.from([0x2a, 0, 0, 0, 0, 1, 0, 0, 1, 0]);
const TUR = Buffer.alloc(6);
const MODE_SENSE6 = Buffer.from([0x1a, 0, 0x3f, 0, 255, 0]);

async function expectCheck(p: Promise<unknown> | (() => unknown), asc: number, ascq = 0): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(ScsiCheckCondition);
    const s = (err as ScsiCheckCondition).sense;
    expect([s.asc, s.ascq]).toEqual([asc, ascq]);
    return;
  }
  throw new Error('expected CHECK CONDITION');
}

describe('registration', () => {
  it('registers, refuses a re-register with the wrong key, unregisters; generation counts each change', async () => {
    const pr = new PersistentReservations();
    expect(await status(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 0xabcn)).toBe(GOOD);
    expect(keys(pr)).toEqual([0xabcn]);
    expect(await status(pr, i1, PrOutAction.Register, 0n, 0xabdn)).toBe(CONFLICT);
    expect(await status(pr, i1, PrOutAction.Register, 0xabcn, 0xabdn)).toBe(GOOD);
    expect(await status(pr, i1, PrOutAction.Register, 0xabdn, 0n)).toBe(GOOD);
    expect(keys(pr)).toEqual([]);
    expect(pr.generation).toBe(3);
    // Unregistering an unregistered nexus is a no-op; registering with a key from an unregistered one conflicts.
    expect(await status(pr, i1, PrOutAction.Register, 0n, 0n)).toBe(GOOD);
    expect(await status(pr, i1, PrOutAction.Register, 5n, 6n)).toBe(CONFLICT);
    expect(pr.generation).toBe(3);
  });

  it('READ KEYS keeps ADDITIONAL LENGTH when truncated', async () => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 7n);
    const d = prin(pr, i1, PrInAction.ReadKeys, 8);
    expect(d.length).toBe(8);
    expect(d.readUInt32BE(4)).toBe(8);
  });

  it('accepts PRIN service actions 0-3 only', () => {
    const pr = new PersistentReservations();
    for (let sa = 0; sa < 4; sa++) expect(() => prin(pr, i1, sa)).not.toThrow();
    for (let sa = 4; sa < 0x20; sa++) expect(() => prin(pr, i1, sa)).toThrow(ScsiCheckCondition);
  });

  it('REPORT CAPABILITIES: length 8, all six types, PTPL_C only with a state file', () => {
    const d = prin(new PersistentReservations(), i1, PrInAction.ReportCapabilities);
    expect(d.readUInt16BE(0)).toBe(8);
    expect(d[2]! & 0x01).toBe(0);
    expect((d[3]! >> 4) & 7).toBeLessThanOrEqual(5);
    expect(d.readUInt16BE(4)).toBe(0xea01);
  });

  it('checks the parameter list length', async () => {
    const pr = new PersistentReservations();
    const data = params(0n, 1n);
    await expectCheck(pr.out(proutCdb(PrOutAction.Register, 0, 20), data, i1), 0x1a);
    await expectCheck(pr.out(proutCdb(PrOutAction.Register, 0, 24), data.subarray(0, 20), i1), 0x1a);
    await expectCheck(prout(pr, i1, PrOutAction.Register, 0n, 1n, 0, 0x01), 0x26); // APTPL without a state file
  });
});

const ALL_TYPES: PrTypeCode[] = [
  PrType.WriteExclusive,
  PrType.ExclusiveAccess,
  PrType.WriteExclusiveRegistrantsOnly,
  PrType.ExclusiveAccessRegistrantsOnly,
  PrType.WriteExclusiveAllRegistrants,
  PrType.ExclusiveAccessAllRegistrants,
];
const allRegistrants = (t: number): boolean => t === PrType.WriteExclusiveAllRegistrants || t === PrType.ExclusiveAccessAllRegistrants;

describe('reservations', () => {
  it('reserves and releases every type; READ RESERVATION shows key 0 for all-registrants', async () => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 0x11n);
    for (const type of ALL_TYPES) {
      expect(await status(pr, i1, PrOutAction.Reserve, 0x11n, 0n, type)).toBe(GOOD);
      expect(reservation(pr)).toEqual({ key: allRegistrants(type) ? 0n : 0x11n, type });
      expect(await status(pr, i1, PrOutAction.Release, 0x11n, 0n, type)).toBe(GOOD);
      expect(reservation(pr)).toBeNull();
    }
    expect(pr.generation).toBe(1); // RESERVE and RELEASE do not count
  });

  // The libiscsi ProutReserve access table: [reg read, reg write, unreg read, unreg write] for initiator 2.
  const access: Array<[PrTypeCode, boolean, boolean, boolean, boolean]> = [
    [PrType.ExclusiveAccess, false, false, false, false],
    [PrType.WriteExclusive, true, false, true, false],
    [PrType.ExclusiveAccessRegistrantsOnly, true, true, false, false],
    [PrType.WriteExclusiveRegistrantsOnly, true, true, true, false],
    [PrType.ExclusiveAccessAllRegistrants, true, true, false, false],
    [PrType.WriteExclusiveAllRegistrants, true, true, true, false],
  ];
  it.each(access)('type %i: access of a registered and an unregistered non-holder', async (type, regRead, regWrite, unregRead, unregWrite) => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n);
    await prout(pr, i2, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 2n);
    expect(await status(pr, i1, PrOutAction.Reserve, 1n, 0n, type)).toBe(GOOD);
    expect(pr.conflicts(READ10, i1) || pr.conflicts(WRITE10, i1)).toBe(false);
    expect(pr.conflicts(READ10, i2)).toBe(!regRead);
    expect(pr.conflicts(WRITE10, i2)).toBe(!regWrite);
    expect(await status(pr, i2, PrOutAction.Register, 2n, 0n)).toBe(GOOD);
    expect(pr.conflicts(READ10, i2)).toBe(!unregRead);
    expect(pr.conflicts(WRITE10, i2)).toBe(!unregWrite);
    expect(pr.conflicts(TUR, i2)).toBe(false);
    expect(pr.conflicts(Buffer.from([0x12, 0, 0, 0, 36, 0]), i2)).toBe(false);
    expect(await status(pr, i1, PrOutAction.Release, 1n, 0n, type)).toBe(GOOD);
    expect(pr.conflicts(WRITE10, i2)).toBe(false);
  });

  it.each(ALL_TYPES)('type %i: the holder unregistering ends the reservation unless all registrants hold it', async (type) => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n);
    await prout(pr, i2, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 2n);
    await prout(pr, i1, PrOutAction.Reserve, 1n, 0n, type);
    const r = await prout(pr, i1, PrOutAction.Register, 1n, 0n);
    if (allRegistrants(type)) {
      expect(reservation(pr)).toEqual({ key: 0n, type });
      expect(await status(pr, i2, PrOutAction.Release, 2n, 0n, type)).toBe(GOOD);
      expect(reservation(pr)).toBeNull();
    } else {
      expect(reservation(pr)).toBeNull();
      expect(r.released ?? []).toEqual(type === PrType.WriteExclusiveRegistrantsOnly || type === PrType.ExclusiveAccessRegistrantsOnly ? [i2] : []);
    }
  });

  it('conflicts on RESERVE by a non-holder or with another type; RELEASE of the wrong type is an error', async () => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n);
    await prout(pr, i2, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 2n);
    await prout(pr, i1, PrOutAction.Reserve, 1n, 0n, PrType.WriteExclusive);
    expect(await status(pr, i1, PrOutAction.Reserve, 1n, 0n, PrType.WriteExclusive)).toBe(GOOD);
    expect(await status(pr, i1, PrOutAction.Reserve, 1n, 0n, PrType.ExclusiveAccess)).toBe(CONFLICT);
    expect(await status(pr, i2, PrOutAction.Reserve, 2n, 0n, PrType.WriteExclusive)).toBe(CONFLICT);
    expect(await status(pr, i3, PrOutAction.Reserve, 0n, 0n, PrType.WriteExclusive)).toBe(CONFLICT);
    expect(await status(pr, i2, PrOutAction.Release, 2n, 0n, PrType.WriteExclusive)).toBe(GOOD); // not the holder: no effect
    expect(reservation(pr)).not.toBeNull();
    await expectCheck(prout(pr, i1, PrOutAction.Release, 1n, 0n, PrType.ExclusiveAccess), 0x26, 0x04);
    await expectCheck(prout(pr, i1, PrOutAction.Reserve, 1n, 0n, 0x2), 0x24);
    await expectCheck(prout(pr, i1, PrOutAction.Reserve, 1n, 0n, 0x10 | PrType.WriteExclusive), 0x24);
  });

  it('RELEASE of a registrants-only reservation tells the other registrants', async () => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n);
    await prout(pr, i2, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 2n);
    await prout(pr, i1, PrOutAction.Reserve, 1n, 0n, PrType.WriteExclusiveRegistrantsOnly);
    expect((await prout(pr, i1, PrOutAction.Release, 1n, 0n, PrType.WriteExclusiveRegistrantsOnly)).released).toEqual([i2]);
  });
});

describe('CLEAR and PREEMPT', () => {
  it('CLEAR removes everything, counts once, and tells the others', async () => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n);
    await prout(pr, i2, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 2n);
    const before = pr.generation;
    await prout(pr, i1, PrOutAction.Reserve, 1n, 0n, PrType.ExclusiveAccess);
    expect(await status(pr, i3, PrOutAction.Clear, 0n, 0n)).toBe(CONFLICT);
    const r = await prout(pr, i1, PrOutAction.Clear, 1n, 0n);
    expect(r.response.status).toBe(GOOD);
    expect(r.cleared).toEqual([i2]);
    expect(reservation(pr)).toBeNull();
    expect(keys(pr)).toEqual([]);
    expect(pr.generation).toBe(before + 1);
  });

  it('PREEMPT without a reservation removes the registrations with the key (libiscsi ProutPreempt)', async () => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n);
    await prout(pr, i2, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 2n);
    const before = pr.generation;
    const r = await prout(pr, i2, PrOutAction.Preempt, 2n, 1n, PrType.ExclusiveAccess);
    expect(r.response.status).toBe(GOOD);
    expect(r.preempted).toEqual([i1]);
    expect(keys(pr)).toEqual([2n]);
    expect(pr.generation).toBe(before + 1);
    expect(reservation(pr)).toBeNull();
    expect(await status(pr, i2, PrOutAction.Preempt, 2n, 9n, PrType.ExclusiveAccess)).toBe(CONFLICT); // nobody has key 9
    await expectCheck(prout(pr, i2, PrOutAction.Preempt, 2n, 0n, PrType.ExclusiveAccess), 0x26);
  });

  it('PREEMPT AND ABORT of the holder takes the reservation with the new type', async () => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n);
    await prout(pr, i2, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 2n);
    await prout(pr, i3, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 3n);
    await prout(pr, i1, PrOutAction.Reserve, 1n, 0n, PrType.WriteExclusive);
    const r = await prout(pr, i2, PrOutAction.PreemptAndAbort, 2n, 1n, PrType.ExclusiveAccessRegistrantsOnly);
    expect(r.preempted).toEqual([i1]);
    expect(r.abortTasksOf).toEqual([i1]);
    expect(r.released).toEqual([i3]); // type changed
    expect(reservation(pr)).toEqual({ key: 2n, type: PrType.ExclusiveAccessRegistrantsOnly });
    expect(pr.conflicts(READ10, i1)).toBe(true);
    expect(pr.conflicts(READ10, i3)).toBe(false);
  });

  it('PREEMPT with key 0 under an all-registrants reservation removes every other registrant', async () => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n);
    await prout(pr, i2, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 2n);
    await prout(pr, i1, PrOutAction.Reserve, 1n, 0n, PrType.WriteExclusiveAllRegistrants);
    const r = await prout(pr, i2, PrOutAction.Preempt, 2n, 0n, PrType.WriteExclusive);
    expect(r.preempted).toEqual([i1]);
    expect(reservation(pr)).toEqual({ key: 2n, type: PrType.WriteExclusive });
  });
});

describe('READ FULL STATUS, SPEC_I_PT, ALL_TG_PT, REGISTER AND MOVE', () => {
  it('describes each registration with its TransportID and holder flag', async () => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n);
    await prout(pr, i2, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 2n);
    await prout(pr, i1, PrOutAction.Reserve, 1n, 0n, PrType.ExclusiveAccess);
    const d = prin(pr, i1, PrInAction.ReadFullStatus);
    expect(d.readUInt32BE(4)).toBe(d.length - 8);
    const found: Array<{ key: bigint; holder: boolean; type: number; rtpi: number; name: string; isid: string | null }> = [];
    for (let at = 8; at < d.length; ) {
      const tidLength = d.readUInt32BE(at + 20);
      const { id } = decodeTransportId(d, at + 24);
      found.push({ key: d.readBigUInt64BE(at), holder: (d[at + 12]! & 1) === 1, type: d[at + 13]! & 0x0f, rtpi: d.readUInt16BE(at + 18), name: id.initiatorName, isid: id.isid });
      at += 24 + tidLength;
    }
    expect(found).toEqual([
      { key: 1n, holder: true, type: PrType.ExclusiveAccess, rtpi: 1, name: i1.initiatorName, isid: i1.isid },
      { key: 2n, holder: false, type: 0, rtpi: 1, name: i2.initiatorName, isid: i2.isid },
    ]);
  });

  it('SPEC_I_PT registers the listed initiator ports too', async () => {
    const pr = new PersistentReservations();
    const tid = encodeTransportId({ initiatorName: i2.initiatorName, isid: i2.isid });
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(tid.length, 0);
    const data = Buffer.concat([params(0n, 5n, 0x08), tail, tid]);
    const r = await pr.out(proutCdb(PrOutAction.Register, 0, data.length), data, i1);
    expect(r.response.status).toBe(GOOD);
    expect(keys(pr)).toEqual([5n, 5n]);
    expect(await status(pr, i2, PrOutAction.Register, 5n, 6n)).toBe(GOOD);
    // Naming an already registered port fails the whole command.
    const again = Buffer.concat([params(0n, 7n, 0x08), tail, tid]);
    await expectCheck(pr.out(proutCdb(PrOutAction.Register, 0, again.length), again, i3), 0x26);
    expect(keys(pr)).toHaveLength(2);
  });

  it('ALL_TG_PT makes one registration cover every target port', async () => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n, 0, 0x04);
    const otherPort = nexus(i1.initiatorName, i1.isid, 2);
    expect(await status(pr, otherPort, PrOutAction.Reserve, 1n, 0n, PrType.ExclusiveAccess)).toBe(GOOD);
    expect(pr.conflicts(WRITE10, i1)).toBe(false);
    expect(pr.conflicts(WRITE10, nexus(i1.initiatorName, 'aaaaaaaaaaaa'))).toBe(true);
  });

  it('REGISTER AND MOVE hands the reservation over', async () => {
    const pr = new PersistentReservations();
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n);
    await prout(pr, i1, PrOutAction.Reserve, 1n, 0n, PrType.WriteExclusive);
    const tid = encodeTransportId({ initiatorName: i2.initiatorName, isid: i2.isid });
    const head = Buffer.alloc(24);
    head.writeBigUInt64BE(1n, 0);
    head.writeBigUInt64BE(9n, 8);
    head[17] = 0x02; // UNREG
    head.writeUInt16BE(1, 18);
    head.writeUInt32BE(tid.length, 20);
    const data = Buffer.concat([head, tid]);
    const r = await pr.out(proutCdb(PrOutAction.RegisterAndMove, 0, data.length), data, i1);
    expect(r.response.status).toBe(GOOD);
    expect(reservation(pr)).toEqual({ key: 9n, type: PrType.WriteExclusive });
    expect(keys(pr)).toEqual([9n]);
    expect(pr.conflicts(WRITE10, i2)).toBe(false);
    expect(pr.conflicts(WRITE10, i1)).toBe(true);
  });
});

describe('APTPL', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('persists registrations and the reservation, reloads them, and forgets them when APTPL goes off', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidegate-pr-'));
    const statePath = join(dir, 'pr.json');
    const pr = new PersistentReservations({ statePath });
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 0xfeedn, 0, 0x01);
    await prout(pr, i2, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 0xbeefn, 0, 0x01);
    await prout(pr, i1, PrOutAction.Reserve, 0xfeedn, 0n, PrType.WriteExclusiveRegistrantsOnly);
    expect(existsSync(`${statePath}.tmp`)).toBe(false);

    const reloaded = new PersistentReservations({ statePath });
    expect(keys(reloaded)).toEqual([0xfeedn, 0xbeefn]);
    expect(reservation(reloaded)).toEqual({ key: 0xfeedn, type: PrType.WriteExclusiveRegistrantsOnly });
    const caps = prin(reloaded, i1, PrInAction.ReportCapabilities);
    expect(caps[2]! & 0x01).toBe(1);
    expect(caps[3]! & 0x01).toBe(1);
    expect(reloaded.conflicts(WRITE10, i3)).toBe(true);

    await prout(reloaded, i2, PrOutAction.Register, 0xbeefn, 0xbee0n, 0, 0x00);
    expect(existsSync(statePath)).toBe(false);
    expect(keys(new PersistentReservations({ statePath }))).toEqual([]);
  });

  it('refuses to start from a damaged state file', () => {
    dir = mkdtempSync(join(tmpdir(), 'tidegate-pr-'));
    const statePath = join(dir, 'pr.json');
    writeFileSync(statePath, '{"format":"tidegate-pr","version":1,"registrations":[{"key":"zz"}],"reservation":null}');
    expect(() => new PersistentReservations({ statePath })).toThrow(/malformed/);
    expect(readFileSync(statePath, 'utf8')).toContain('zz');
  });
});

describe('RESERVE(6) / RELEASE(6)', () => {
  it('follows the libiscsi Reserve6 2Initiators sequence', () => {
    const pr = new PersistentReservations();
    expect(pr.reserve6(i1).status).toBe(GOOD);
    expect(pr.reserve6(i1).status).toBe(GOOD);
    expect(pr.reserve6(i2).status).toBe(CONFLICT);
    expect(pr.release6(i2).status).toBe(GOOD);
    expect(pr.conflicts(MODE_SENSE6, i1)).toBe(false);
    expect(pr.conflicts(MODE_SENSE6, i2)).toBe(true);
    expect(pr.conflicts(Buffer.from([0x12, 0, 0, 0, 36, 0]), i2)).toBe(false);
    expect(pr.release6(i1).status).toBe(GOOD);
    expect(pr.reserve6(i2).status).toBe(GOOD);
    expect(pr.release6(i2).status).toBe(GOOD);
  });

  it('ends with the holder nexus and with resets', () => {
    const pr = new PersistentReservations();
    pr.reserve6(i1);
    pr.nexusLost(i2);
    expect(pr.reserve6(i2).status).toBe(CONFLICT);
    pr.nexusLost(i1);
    expect(pr.reserve6(i2).status).toBe(GOOD);
    for (const kind of ['lun-reset', 'target-warm-reset', 'target-cold-reset'] as const) {
      pr.reserve6(i2);
      pr.reset(kind);
      expect(pr.reserve6(i1).status).toBe(GOOD);
      pr.release6(i1);
    }
  });

  it('does not mix with persistent reservations', async () => {
    const pr = new PersistentReservations();
    pr.reserve6(i1);
    expect(pr.conflicts(Buffer.from([0x5e, 0, 0, 0, 0, 0, 0, 0x40, 0, 0]), i1)).toBe(true);
    expect((await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n)).response.status).toBe(CONFLICT);
    pr.release6(i1);
    await prout(pr, i1, PrOutAction.RegisterAndIgnoreExistingKey, 0n, 1n);
    expect(pr.reserve6(i2).status).toBe(CONFLICT);
    await prout(pr, i1, PrOutAction.Reserve, 1n, 0n, PrType.WriteExclusive);
    expect(pr.reserve6(i1).status).toBe(GOOD); // the PR holder: no effect
    expect(pr.conflicts(WRITE10, i1)).toBe(false);
    await expectCheck(() => pr.reserve6(i3, Buffer.from([0x16, 0x10, 0, 0, 0, 0])), 0x24);
  });
});
