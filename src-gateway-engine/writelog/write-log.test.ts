import { appendFile, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { CoreTempDirs, settle, taggedBlock, waitUntil } from '../test/support/core-temp-dirs.js';
import { WriteLog, type LogRecord, type WriteLogOptions } from './write-log.js';
import { RECORD_HEADER_BYTES, RecordKind, SEGMENT_HEADER_BYTES, freeFileName, segmentFileName } from './write-log-format.js';
import { REC, keptFiles, patchHeader, recordStarts, segFiles } from './test/log-files.js';

const tmp = new CoreTempDirs('wal');
const opened: WriteLog[] = [];
afterEach(async () => {
  for (const l of opened.splice(0)) await l.close().catch(() => undefined);
  await tmp.cleanup();
});

async function openLog(dir: string, o: Partial<WriteLogOptions> = {}) {
  const r = await WriteLog.open({ dir, capacityBytes: 64 * REC, segmentBytes: 16 * REC, syncPolicy: 'flush', afterSeq: 0, ...o });
  opened.push(r.log);
  return r;
}

/** Counts every fdatasync the log asks the faults hook about (batch syncs and seals). */
function syncCounter(): { faults: WriteLogOptions['faults']; syncs: () => number; writes: () => number } {
  let syncs = 0;
  let writes = 0;
  return {
    faults: { failSync: () => (syncs++, false), failWrite: () => (writes++, false) },
    syncs: () => syncs,
    writes: () => writes,
  };
}

function write(log: WriteLog, block: number, tag: string, durable = false): Promise<LogRecord> {
  return log.append(RecordKind.Write, block * 4096, 4096, taggedBlock(tag), durable);
}

/** Wait until the spare segment `segmentNo` exists with its whole header. */
function waitForSpare(dir: string, segmentNo: number): Promise<void> {
  const headerWritten = async () => (await stat(join(dir, segmentFileName(segmentNo))).then((st) => st.size, () => -1)) === SEGMENT_HEADER_BYTES;
  return waitUntil(headerWritten, 5000, `spare segment ${segmentNo}`);
}

/** Segment files holding records (leaves out the spare the log prepares ahead of need). */
async function recordSegFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of await segFiles(dir)) if ((await stat(join(dir, f))).size > SEGMENT_HEADER_BYTES) out.push(f);
  return out;
}

describe('WriteLog group commit', () => {
  it('numbers concurrent appends in call order and syncs a durable batch once', async () => {
    const dir = await tmp.make();
    const c = syncCounter();
    const { log } = await openLog(dir, { faults: c.faults, segmentBytes: 64 * REC, capacityBytes: 256 * REC });
    const recs = await Promise.all(Array.from({ length: 50 }, (_, i) => write(log, i, `b${i}`, true)));
    expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(recs.map((r) => r.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i * 4096));
    // All 50 were queued while the first segment was being created: one writev, one fdatasync.
    expect(c.writes()).toBe(1);
    expect(c.syncs()).toBe(1);
    // Data positions are strictly increasing and point at each record's bytes.
    for (let i = 1; i < recs.length; i++) expect(recs[i]!.dataPosition).toBe(recs[i - 1]!.dataPosition + REC);
    for (const r of [recs[0]!, recs[17]!, recs[49]!]) {
      expect(await log.readData(r.segmentNo, r.dataPosition, 4096)).toEqual(taggedBlock(`b${r.seq - 1}`));
    }
  });

  it('does not fdatasync non-durable appends under the flush policy, and sync() does once', async () => {
    const dir = await tmp.make();
    const c = syncCounter();
    const { log } = await openLog(dir, { faults: c.faults });
    await Promise.all(Array.from({ length: 10 }, (_, i) => write(log, i, `n${i}`)));
    expect(c.syncs()).toBe(0);
    await log.sync();
    expect(c.syncs()).toBe(1);
    // A batch mixing durable and non-durable records is synced once.
    await Promise.all([write(log, 1, 'x'), write(log, 2, 'y', true), write(log, 3, 'z')]);
    expect(c.syncs()).toBe(2);
  });

  it("syncs every batch under the 'always' policy", async () => {
    const dir = await tmp.make();
    const c = syncCounter();
    const { log } = await openLog(dir, { faults: c.faults, syncPolicy: 'always' });
    await write(log, 0, 'a');
    await write(log, 1, 'b');
    expect(c.syncs()).toBe(2);
  });

  it('rejects a record larger than a segment with INVALID_ARGUMENT, without using a sequence number', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir, { segmentBytes: 2 * REC });
    await expect(log.append(RecordKind.Write, 0, 3 * 4096, Buffer.alloc(3 * 4096), false)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    expect((await write(log, 0, 'ok')).seq).toBe(1);
  });
});

describe('WriteLog replay', () => {
  it('replays every record with its data after a reopen, and numbers on after them', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir);
    await write(log, 3, 'w1');
    await log.append(RecordKind.Trim, 8192, 3 * 4096, undefined, false);
    await log.append(RecordKind.Zero, 0, 4096, undefined, true);
    await write(log, 7, 'w4', true);
    await log.close();
    const r = await openLog(dir);
    expect(r.discardedBytes).toBe(0);
    expect(r.replayed.map((x) => [x.seq, x.kind, x.offset, x.length])).toEqual([
      [1, RecordKind.Write, 3 * 4096, 4096],
      [2, RecordKind.Trim, 8192, 3 * 4096],
      [3, RecordKind.Zero, 0, 4096],
      [4, RecordKind.Write, 7 * 4096, 4096],
    ]);
    const w4 = r.replayed[3]!;
    expect(await r.log.readData(w4.segmentNo, w4.dataPosition, 4096)).toEqual(taggedBlock('w4'));
    expect(r.log.sealedSegments.map((s) => [s.firstSeq, s.lastSeq])).toEqual([[1, 4]]);
    expect(r.log.nextSequence).toBe(5);
    const next = await write(r.log, 1, 'w5');
    expect(next.seq).toBe(5);
    expect(next.segmentNo).toBeGreaterThan(w4.segmentNo);
    const seg = await r.log.readSegment(w4.segmentNo);
    expect(Array.from(seg.seq.subarray(0, seg.count))).toEqual([1, 2, 3, 4]);
    expect(seg.data(0)).toEqual(taggedBlock('w1'));
    expect(() => seg.data(1)).toThrow(/not a write/);
  });

  it('replays without close() (kill -9): records written before the crash are there', async () => {
    const dir = await tmp.make();
    const { log } = await WriteLog.open({ dir, capacityBytes: 64 * REC, segmentBytes: 16 * REC, syncPolicy: 'flush', afterSeq: 0 });
    for (let i = 0; i < 5; i++) await write(log, i, `k${i}`);
    // No close: a second open of the folder sees what the OS has.
    const r = await openLog(dir);
    expect(r.replayed.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
    await log.close();
  });

  it('afterSeq numbers new records after the remote when it is ahead, after the log otherwise', async () => {
    const d1 = await tmp.make();
    const a = await openLog(d1, { afterSeq: 100 });
    expect(a.log.lastSequence).toBe(100);
    expect((await write(a.log, 0, 'a')).seq).toBe(101);

    const d2 = await tmp.make();
    const b = await openLog(d2);
    for (let i = 0; i < 5; i++) await write(b.log, i, `b${i}`);
    await b.log.close();
    const behind = await openLog(d2, { afterSeq: 3 });
    expect(behind.log.nextSequence).toBe(6);
    await behind.log.close();
    const ahead = await openLog(d2, { afterSeq: 10 });
    expect(ahead.log.nextSequence).toBe(11);
  });
});

describe('WriteLog torn and corrupt tails', () => {
  /** Three segments of 4 records each (seqs 1..12), closed. */
  async function threeSegments(dir: string): Promise<string[]> {
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 4 * REC });
    for (let i = 0; i < 12; i++) await write(log, i, `t${i + 1}`);
    await log.close();
    const files = await segFiles(dir);
    expect(files).toHaveLength(3);
    return files;
  }

  /** Damage a segment file's signature, so its header is not a segment header any more. */
  async function breakSignature(path: string): Promise<void> {
    const buf = await readFile(path);
    buf[3]! ^= 0x20;
    await writeFile(path, buf);
  }

  type Damage = (path: string, buf: Buffer, starts: number[]) => Promise<void>;
  const cases: Array<[string, Damage, number]> = [
    ['truncated mid-data of record 3', async (p, _b, s) => truncate(p, s[2]! + RECORD_HEADER_BYTES + 100), 2],
    ['truncated mid-header of record 3', async (p, _b, s) => truncate(p, s[2]! + 17), 2],
    ['a flipped data byte in record 2', async (p, b, s) => {
      b[s[1]! + RECORD_HEADER_BYTES + 2000]! ^= 0x01;
      await writeFile(p, b);
    }, 1],
    ['a flipped header byte (offset field) in record 2', async (p, b, s) => {
      b[s[1]! + 17]! ^= 0x40;
      await writeFile(p, b);
    }, 1],
    ['a flipped header CRC byte in record 4', async (p, b, s) => {
      b[s[3]! + 37]! ^= 0x80;
      await writeFile(p, b);
    }, 3],
    ['a flipped magic byte in record 1', async (p, b, s) => {
      b[s[0]!]! ^= 0xff;
      await writeFile(p, b);
    }, 0],
    ['data length field grown (CRC fixed) in record 2', async (p, b, s) => {
      patchHeader(b, s[1]!, (h) => h.writeUInt32LE(8192, 24));
      await writeFile(p, b);
    }, 1],
  ];

  it.each(cases)('middle segment with %s: replay returns the prefix, later segments are discarded', async (_name, damage, goodInSeg) => {
    const dir = await tmp.make();
    const files = await threeSegments(dir);
    const p = join(dir, files[1]!);
    const buf = await readFile(p);
    await damage(p, buf, recordStarts(buf));
    const warnings: string[] = [];
    const r = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 4 * REC, onWarning: (m) => warnings.push(m) });
    const expected = 4 + goodInSeg;
    expect(r.replayed.map((x) => x.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    expect(r.discardedBytes).toBeGreaterThan(0);
    expect(warnings.length).toBeGreaterThan(0);
    // The third segment is gone from disk; the second is cut back (or removed when empty).
    const left = await segFiles(dir);
    expect(left).not.toContain(files[2]);
    if (goodInSeg === 0) expect(left).toEqual([files[0]]);
    else expect((await stat(p)).size).toBe(SEGMENT_HEADER_BYTES + goodInSeg * REC);
    // New records continue the sequence, and a second reopen sees one contiguous history.
    expect((await write(r.log, 0, 'after')).seq).toBe(expected + 1);
    await r.log.close();
    const again = await openLog(dir);
    expect(again.discardedBytes).toBe(0);
    expect(again.replayed.map((x) => x.seq)).toEqual(Array.from({ length: expected + 1 }, (_, i) => i + 1));
    const last = again.replayed[expected]!;
    expect(await again.log.readData(last.segmentNo, last.dataPosition, 4096)).toEqual(taggedBlock('after'));
  });

  it('garbage appended after the last record is discarded; every record survives', async () => {
    const dir = await tmp.make();
    const files = await threeSegments(dir);
    const p = join(dir, files[2]!);
    await appendFile(p, Buffer.from('this is not a record, not at all, no magic here......'));
    const r = await openLog(dir);
    expect(r.replayed.map((x) => x.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(r.discardedBytes).toBe(53);
    expect((await stat(p)).size).toBe(SEGMENT_HEADER_BYTES + 4 * REC);
  });

  it('a segment with a bad file header ends replay there', async () => {
    const dir = await tmp.make();
    const files = await threeSegments(dir);
    await breakSignature(join(dir, files[1]!));
    const r = await openLog(dir);
    expect(r.replayed.map((x) => x.seq)).toEqual([1, 2, 3, 4]);
    expect(await segFiles(dir)).toEqual([files[0]]);
  });

  it('a first segment with a bad file header ends replay before anything: no later segment can prove nothing was lost', async () => {
    const dir = await tmp.make();
    const files = await threeSegments(dir);
    await breakSignature(join(dir, files[0]!));
    const r = await openLog(dir);
    expect(r.replayed).toEqual([]);
    expect(await segFiles(dir)).toEqual([]);
  });

  it('a sequence gap inside a segment (valid CRCs) ends replay at the gap', async () => {
    const dir = await tmp.make();
    const files = await threeSegments(dir);
    const p = join(dir, files[0]!);
    const buf = await readFile(p);
    const s = recordStarts(buf);
    patchHeader(buf, s[2]!, (h) => h.writeUInt32LE(4, 8)); // seq 3 → 4: 1, 2, 4, 4
    await writeFile(p, buf);
    const r = await openLog(dir);
    expect(r.replayed.map((x) => x.seq)).toEqual([1, 2]);
    expect(await segFiles(dir)).toEqual([files[0]]);
    expect(r.log.nextSequence).toBe(3);
  });

  it('a missing middle segment is a sequence gap: the segments after it are discarded', async () => {
    const dir = await tmp.make();
    const files = await threeSegments(dir);
    await truncate(join(dir, files[1]!), 0);
    const r = await openLog(dir);
    expect(r.replayed.map((x) => x.seq)).toEqual([1, 2, 3, 4]);
    expect(await segFiles(dir)).toEqual([files[0]]);
  });

  it('property: cutting the log anywhere replays exactly the records wholly before the cut', async () => {
    const dir = await tmp.make();
    const sizes = [1, 3, 1, 2, 1, 1, 4, 2]; // blocks per record
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 6 * REC });
    for (let i = 0; i < sizes.length; i++) await log.append(RecordKind.Write, i * 4096, sizes[i]! * 4096, Buffer.alloc(sizes[i]! * 4096, i + 1), false);
    await log.close();
    const names = await segFiles(dir);
    const originals = await Promise.all(names.map((n) => readFile(join(dir, n))));
    const total = originals.reduce((a, b) => a + b.length, 0);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: total }), async (cut) => {
        // Restore, then cut the concatenated segment stream at `cut`.
        let left = cut;
        let expected = 0;
        let seqBefore = 0;
        for (let i = 0; i < names.length; i++) {
          const b = originals[i]!;
          const keep = Math.max(0, Math.min(b.length, left));
          left -= keep;
          await writeFile(join(dir, names[i]!), b.subarray(0, keep));
          for (const pos of recordStarts(b)) {
            seqBefore++;
            const end = pos + RECORD_HEADER_BYTES + b.readUInt32LE(pos + 24);
            if (end <= keep && expected === seqBefore - 1) expected = seqBefore;
          }
        }
        const r = await WriteLog.open({ dir, capacityBytes: 1 << 30, segmentBytes: SEGMENT_HEADER_BYTES + 6 * REC, syncPolicy: 'flush', afterSeq: 0 });
        try {
          expect(r.replayed.map((x) => x.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
          for (const x of r.replayed) {
            const data = await r.log.readData(x.segmentNo, x.dataPosition, x.length);
            expect(data.every((v) => v === x.seq)).toBe(true);
          }
        } finally {
          await r.log.close();
          for (const n of await segFiles(dir)) if (!names.includes(n)) await rm(join(dir, n));
        }
      }),
      { numRuns: 40, seed: 424242 },
    );
  });
});

describe('WriteLog segments', () => {
  it('rolls over to a new segment at segmentBytes, sealing the full one', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 3 * REC });
    const recs: LogRecord[] = [];
    for (let i = 0; i < 7; i++) recs.push(await write(log, i, `r${i}`));
    expect(recs.map((r) => r.segmentNo)).toEqual([1, 1, 1, 2, 2, 2, 3]);
    expect(log.sealedSegments.map((s) => [s.segmentNo, s.firstSeq, s.lastSeq, s.bytes])).toEqual([
      [1, 1, 3, SEGMENT_HEADER_BYTES + 3 * REC],
      [2, 4, 6, SEGMENT_HEADER_BYTES + 3 * REC],
    ]);
    expect(log.hasUnsealedRecords).toBe(true);
    expect(await recordSegFiles(dir)).toEqual([segmentFileName(1), segmentFileName(2), segmentFileName(3)]);
    for (const f of await segFiles(dir)) expect((await stat(join(dir, f))).size).toBeLessThanOrEqual(SEGMENT_HEADER_BYTES + 3 * REC);
  });

  it('prepares the next segment ahead of need: a rollover uses it, close keeps its file for reuse, a crash leaves one that open drops', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 2 * REC });
    await write(log, 0, 'a0');
    await waitForSpare(dir, 2);
    expect((await stat(join(dir, segmentFileName(2)))).size).toBe(SEGMENT_HEADER_BYTES);
    await write(log, 1, 'a1');
    const third = await write(log, 2, 'a2'); // segment 1 is full: the spare becomes segment 2
    expect(third.segmentNo).toBe(2);
    await waitForSpare(dir, 3);
    const spareIno = (await stat(join(dir, segmentFileName(3)))).ino;
    await log.close();
    expect(await segFiles(dir)).toEqual([segmentFileName(1), segmentFileName(2)]);
    expect(await keptFiles(dir)).toEqual([freeFileName(3)]);
    // The next segment is the kept file, under a number no file ever had.
    const again = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 2 * REC });
    expect(again.replayed.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect((await write(again.log, 3, 'a3')).segmentNo).toBe(4);
    expect((await stat(join(dir, segmentFileName(4)))).ino).toBe(spareIno);
    await waitForSpare(dir, 5);
    // A process killed with a spare on disk: open drops it, and the log goes on.
    const crashedDir = await tmp.make();
    for (const f of await segFiles(dir)) await writeFile(join(crashedDir, f), await readFile(join(dir, f)));
    await again.log.close();
    const reopened = await openLog(crashedDir, { segmentBytes: SEGMENT_HEADER_BYTES + 2 * REC });
    expect(reopened.replayed.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(await segFiles(crashedDir)).toEqual([1, 2, 4].map(segmentFileName));
    const next = await write(reopened.log, 4, 'a4');
    expect(next.seq).toBe(5);
    expect((await reopened.log.readData(next.segmentNo, next.dataPosition, 4096)).equals(taggedBlock('a4'))).toBe(true);
    await reopened.log.close();
  });

  it('a concurrent burst over several segments keeps seq order across segment boundaries', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 3 * REC });
    const recs = await Promise.all(Array.from({ length: 20 }, (_, i) => write(log, i, `c${i}`)));
    expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (let i = 1; i < recs.length; i++) expect(recs[i]!.segmentNo).toBeGreaterThanOrEqual(recs[i - 1]!.segmentNo);
    const sealed = log.sealedSegments;
    for (let i = 1; i < sealed.length; i++) expect(sealed[i]!.firstSeq).toBe(sealed[i - 1]!.lastSeq + 1);
  });

  it('seal() seals the open segment and is a no-op with nothing unsealed', async () => {
    const dir = await tmp.make();
    const c = syncCounter();
    const { log } = await openLog(dir, { faults: c.faults });
    await log.seal();
    expect(log.sealedSegments).toHaveLength(0);
    await write(log, 0, 'a');
    await write(log, 1, 'b');
    expect(log.hasUnsealedRecords).toBe(true);
    await log.seal();
    expect(log.hasUnsealedRecords).toBe(false);
    expect(log.sealedSegments.map((s) => [s.firstSeq, s.lastSeq])).toEqual([[1, 2]]);
    await log.seal(); // nothing new
    expect(log.sealedSegments).toHaveLength(1);
    const rec = await write(log, 2, 'c');
    expect(rec.segmentNo).toBe(log.sealedSegments[0]!.segmentNo + 1);
  });

  it('releaseThrough deletes only segments wholly at or below seq, and frees their bytes', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 2 * REC });
    for (let i = 0; i < 6; i++) await write(log, i, `x${i}`);
    await log.seal();
    expect(log.sealedSegments.map((s) => s.lastSeq)).toEqual([2, 4, 6]);
    const before = log.usedBytes;
    expect(await log.releaseThrough(3)).toBe(SEGMENT_HEADER_BYTES + 2 * REC); // segment 2 holds seq 4
    expect(log.sealedSegments.map((s) => s.firstSeq)).toEqual([3, 5]);
    expect(log.usedBytes).toBe(before - (SEGMENT_HEADER_BYTES + 2 * REC));
    expect(await recordSegFiles(dir)).toEqual([segmentFileName(2), segmentFileName(3)]);
    expect(await log.releaseThrough(3)).toBe(0);
    expect(await log.releaseThrough(100)).toBe(2 * (SEGMENT_HEADER_BYTES + 2 * REC));
    expect(await recordSegFiles(dir)).toEqual([]);
  });

  it('readData of a released segment answers NOT_FOUND, with or without an open read handle', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 2 * REC });
    const recs: LogRecord[] = [];
    for (let i = 0; i < 4; i++) recs.push(await write(log, i, `y${i}`));
    await log.seal();
    expect(await log.readData(recs[0]!.segmentNo, recs[0]!.dataPosition, 4096)).toEqual(taggedBlock('y0')); // opens a handle
    await log.releaseThrough(4);
    await expect(log.readData(recs[0]!.segmentNo, recs[0]!.dataPosition, 4096)).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(log.readData(recs[2]!.segmentNo, recs[2]!.dataPosition, 4096)).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });
});

describe('WriteLog capacity back-pressure', () => {
  it('an append that does not fit waits (never fails), is counted in queuedWrites, and resumes in order after releaseThrough', async () => {
    const dir = await tmp.make();
    const segmentBytes = SEGMENT_HEADER_BYTES + 2 * REC;
    const { log } = await openLog(dir, { segmentBytes, capacityBytes: 2 * segmentBytes });
    for (let i = 0; i < 4; i++) await write(log, i, `f${i}`); // two full segments: the log is full
    expect(log.usedBytes).toBeGreaterThan(log.capacityBytes - REC);
    const order: number[] = [];
    let rejected = 0;
    const blocked = [0, 1, 2].map((i) =>
      write(log, 10 + i, `w${i}`).then(
        (r) => order.push(r.seq),
        () => rejected++,
      ),
    );
    await settle();
    expect(order).toEqual([]);
    expect(log.queuedWrites).toBe(3);
    // While writers wait, a new append queues behind them (FIFO), even a small one.
    const late = log.append(RecordKind.Trim, 0, 4096, undefined, false).then((r) => order.push(r.seq));
    await settle();
    expect(log.queuedWrites).toBe(4);
    // The open segment was sealed so the uploader can drain it; release everything sealed.
    await log.seal();
    await log.releaseThrough(log.lastSequence);
    await Promise.all([...blocked, late]);
    expect(rejected).toBe(0);
    expect(order).toEqual([5, 6, 7, 8]);
    expect(log.queuedWrites).toBe(0);
  });

  it('waiters blocked on capacity get SHUTTING_DOWN on close, not left hanging', async () => {
    const dir = await tmp.make();
    const segmentBytes = SEGMENT_HEADER_BYTES + 2 * REC;
    const { log } = await openLog(dir, { segmentBytes, capacityBytes: 2 * segmentBytes });
    for (let i = 0; i < 4; i++) await write(log, i, `f${i}`);
    const blocked = write(log, 9, 'late');
    await settle();
    expect(log.queuedWrites).toBe(1);
    await log.close();
    await expect(blocked).rejects.toMatchObject({ code: ErrorCode.ShuttingDown });
  });
});

describe('WriteLog runtime capacity', () => {
  it('growing the capacity lets waiting writers go on at once, in order', async () => {
    const dir = await tmp.make();
    const segmentBytes = SEGMENT_HEADER_BYTES + 2 * REC;
    const { log } = await openLog(dir, { segmentBytes, capacityBytes: 2 * segmentBytes });
    for (let i = 0; i < 4; i++) await write(log, i, `f${i}`);
    const order: number[] = [];
    const blocked = [0, 1].map((i) => write(log, 10 + i, `w${i}`).then((r) => order.push(r.seq)));
    await settle();
    expect(log.queuedWrites).toBe(2);
    log.setCapacity(4 * segmentBytes);
    await Promise.all(blocked);
    expect(order).toEqual([5, 6]);
    expect(log.capacityBytes).toBe(4 * segmentBytes);
  });

  it('shrinking below what the log holds drops nothing: appends wait for uploads', async () => {
    const dir = await tmp.make();
    const segmentBytes = SEGMENT_HEADER_BYTES + 2 * REC;
    const { log } = await openLog(dir, { segmentBytes, capacityBytes: 4 * segmentBytes });
    for (let i = 0; i < 6; i++) await write(log, i, `f${i}`);
    log.setCapacity(2 * segmentBytes);
    const next = write(log, 20, 'late');
    await settle();
    expect(log.queuedWrites).toBe(1);
    await log.seal();
    await log.releaseThrough(log.lastSequence);
    expect((await next).seq).toBe(7);
  });

  it('refuses less than two segments', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir);
    expect(() => log.setCapacity(16 * REC)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument }));
    expect(() => log.setCapacity(1.5)).toThrow(/at least two segments/);
    expect(log.capacityBytes).toBe(64 * REC);
  });
});

describe('WriteLog fail-stop', () => {
  it('a failed fdatasync rejects the batch and everything queued behind it with VOLUME_FAILED, and every later call', async () => {
    const dir = await tmp.make();
    let queuedBehind: Promise<LogRecord> | undefined;
    let log!: WriteLog;
    const r = await openLog(dir, {
      faults: {
        failSync: () => {
          // Queue one more append while the failing batch is between its write and its sync.
          queuedBehind ??= write(log, 9, 'behind');
          return true;
        },
      },
    });
    log = r.log;
    const ok = await write(log, 0, 'nondurable'); // no sync asked: succeeds
    expect(ok.seq).toBe(1);
    const results = await Promise.allSettled([write(log, 1, 'd1', true), write(log, 2, 'd2', false)]);
    expect(results.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    for (const x of results) expect((x as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.VolumeFailed });
    await expect(queuedBehind).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
    expect(log.failed?.code).toBe(ErrorCode.VolumeFailed);
    await expect(write(log, 3, 'after')).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
    await expect(log.sync()).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
    await expect(log.seal()).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
  });

  it('a failed write fail-stops too, also for a flush waiting on it', async () => {
    const dir = await tmp.make();
    let fail = false;
    const { log } = await openLog(dir, { faults: { failWrite: () => fail } });
    await write(log, 0, 'good');
    fail = true;
    const w = write(log, 1, 'bad');
    const s = log.sync();
    await expect(w).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
    await expect(s).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
    fail = false; // the disk "recovers": the log stays stopped (fsyncgate)
    await expect(write(log, 2, 'still')).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
    await log.close();
    // A restart replays what was written before the failure.
    const again = await openLog(dir);
    expect(again.replayed.map((x) => x.seq)).toEqual([1]);
  });

  it('a failed fdatasync while sealing a full segment fail-stops the log: a durable append behind it fails', async () => {
    const dir = await tmp.make();
    let fail = false;
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 2 * REC, faults: { failSync: () => fail } });
    await write(log, 0, 'a');
    await write(log, 1, 'b');
    fail = true;
    // The rollover seals segment 1 while 'c' goes to segment 2; its own sync waits for that
    // seal. (A non-durable append may be acknowledged before the failure is seen: seals are
    // pipelined, and only a flush promises anything.)
    await expect(write(log, 2, 'c', true)).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
    expect(log.failed).toBeDefined();
    await expect(write(log, 3, 'd')).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
  });

  it('a full disk when a new segment is needed refuses those writes with NO_SPACE, without stopping the log or leaving a gap', async () => {
    const dir = await tmp.make();
    let full = true;
    const warnings: string[] = [];
    const { log } = await openLog(dir, {
      segmentBytes: SEGMENT_HEADER_BYTES + 2 * REC,
      faults: { failCreate: () => full },
      onWarning: (msg) => warnings.push(msg),
    });
    // The very first segment cannot be made: refused, numbered as if it never happened.
    await expect(write(log, 0, 'refused-1')).rejects.toMatchObject({ code: ErrorCode.NoSpace });
    expect(log.failed).toBeUndefined();
    expect(log.nextSequence).toBe(1);
    expect(await segFiles(dir)).toEqual([]); // no half-made segment left behind
    full = false;
    const acked: Array<{ seq: number; tag: string }> = [];
    for (const tag of ['a', 'b']) acked.push({ seq: (await write(log, acked.length, tag)).seq, tag });
    // The disk fills up: the first rollover to a segment made (or prepared) while it is full
    // refuses the write that needs it, whichever of the next few that is.
    full = true;
    let refused = 0;
    for (let i = 0; i < 6 && refused === 0; i++) {
      const tag = `c${i}`;
      try {
        acked.push({ seq: (await write(log, acked.length, tag)).seq, tag });
      } catch (err) {
        expect(err).toMatchObject({ code: ErrorCode.NoSpace });
        refused++;
      }
    }
    expect(refused).toBe(1);
    expect(log.failed).toBeUndefined();
    full = false; // space freed: writing goes on, numbered right after the last acknowledged
    const next = await write(log, acked.length, 'after');
    expect(next.seq).toBe(acked[acked.length - 1]!.seq + 1);
    acked.push({ seq: next.seq, tag: 'after' });
    await log.sync();
    await log.close();
    expect(warnings.some((w) => w.includes('disk full'))).toBe(true);
    // Replay finds exactly the acknowledged writes, in order, and discards nothing.
    const again = await openLog(dir);
    expect(again.discardedBytes).toBe(0);
    expect(again.replayed.map((r) => r.seq)).toEqual(acked.map((a) => a.seq));
    expect(again.replayed.map((r) => r.seq)).toEqual(acked.map((_, i) => i + 1));
  });

  it('closing a failed log waits for its writer: no segment file appears after close', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + REC, faults: { failSync: () => true } });
    // The second record rolls over to the spare segment while it is still being made, and
    // the seal of the first fails: the writer is still waiting for the spare when we close.
    const writes = [0, 1, 2].map((b) => write(log, b, `w${b}`));
    const settled = Promise.allSettled(writes); // every rejection is handled
    await expect(writes[1]).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
    await log.close();
    const atClose = await segFiles(dir);
    await settled;
    await settle(50); // ~100 ms: time for a segment still being made to appear
    expect(await segFiles(dir)).toEqual(atClose);
  });

  it('a failed seal under back-pressure releases the blocked writer with VOLUME_FAILED', async () => {
    const dir = await tmp.make();
    const segmentBytes = SEGMENT_HEADER_BYTES + 2 * REC;
    let fail = false;
    const { log } = await openLog(dir, { segmentBytes, capacityBytes: 2 * segmentBytes, faults: { failSync: () => fail } });
    for (let i = 0; i < 4; i++) await write(log, i, `f${i}`);
    fail = true; // the seal that back-pressure starts (so the uploader can drain) fails
    const blocked = write(log, 9, 'blocked');
    await expect(blocked).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
    expect(log.queuedWrites).toBe(0);
    await expect(log.sync()).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
  });
});

describe('WriteLog readSegment', () => {
  /** A sealed segment of `n` 4 KiB records (more than one scan slice when n > 1024). */
  async function sealedSegment(n: number) {
    const dir = await tmp.make();
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + n * REC, capacityBytes: 4 * n * REC });
    await Promise.all(Array.from({ length: n }, (_, i) => write(log, i, `r${i}`)));
    await log.seal();
    return { dir, log };
  }

  it('reads a segment bigger than one scan slice whole, every record with its data', async () => {
    const { log } = await sealedSegment(1500);
    const recs = await log.readSegment(1);
    expect(Array.from(recs.seq.subarray(0, recs.count))).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
    expect(recs.data(0)).toEqual(taggedBlock('r0'));
    expect(recs.data(1499)).toEqual(taggedBlock('r1499'));
    expect(recs.dataCrc[1499]).toBe(crc32(taggedBlock('r1499')));
    expect(recs.record(1499)).toMatchObject({ seq: 1500, kind: RecordKind.Write, segmentNo: 1 });
    expect(recs.firstAfter(0)).toBe(0);
    expect(recs.firstAfter(1000)).toBe(1000);
    expect(recs.firstAfter(1500)).toBe(1500);
  });

  it('a sealed segment damaged afterwards stops the volume instead of uploading what follows the damage', async () => {
    const { dir, log } = await sealedSegment(1500);
    const path = join(dir, segmentFileName(1));
    const buf = await readFile(path);
    const at = recordStarts(buf)[1400]!; // past the first slice
    buf[at + RECORD_HEADER_BYTES + 100]! ^= 0xff;
    await writeFile(path, buf);
    await expect(log.readSegment(1)).rejects.toMatchObject({
      code: ErrorCode.VolumeFailed,
      message: expect.stringContaining(`damaged at byte ${at} (record data CRC mismatch)`),
    });
  });
});

describe('WriteLog flush durability around seals', () => {
  /** Spy on FileHandle.datasync; `gateNext()` makes the next call wait until released. */
  async function datasyncSpy(dir: string) {
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const original = proto.datasync;
    let calls = 0;
    let gate: Promise<void> | undefined;
    let release: (() => void) | undefined;
    let gatedStarted = false;
    let gateFile: string | undefined;
    let gateError: Error | undefined;
    const spy = vi.spyOn(proto, 'datasync').mockImplementation(async function (this: { fd: number }) {
      calls++;
      if (gate && (gateFile === undefined || readlinkSync(`/proc/self/fd/${this.fd}`).endsWith(gateFile))) {
        const g = gate;
        gate = undefined;
        gatedStarted = true;
        await g;
        if (gateError) throw gateError;
      }
      return original.call(this);
    });
    return {
      calls: () => calls,
      gatedStarted: () => gatedStarted,
      /** Gate the next datasync (of the file named `file`, when given: the log also syncs the spare segment it prepares). */
      gateNext: (file?: string) => {
        gateFile = file;
        gate = new Promise<void>((r) => (release = r));
      },
      /** Let the gated datasync go on, or fail with `err`. */
      release: (err?: Error) => {
        gateError = err;
        release?.();
      },
      restore: () => spy.mockRestore(),
    };
  }

  it('a flush that arrives while a back-pressure seal is syncing waits for that seal', async () => {
    const dir = await tmp.make();
    const spy = await datasyncSpy(dir);
    try {
      const segmentBytes = SEGMENT_HEADER_BYTES + 2 * REC;
      const { log } = await openLog(dir, { segmentBytes, capacityBytes: 2 * segmentBytes });
      for (let i = 0; i < 4; i++) await write(log, i, `f${i}`); // non-durable: only in the page cache
      spy.gateNext(segmentFileName(2));
      const blocked = write(log, 9, 'blocked'); // seals segment 2 (fdatasync gated)
      await waitUntil(spy.gatedStarted, 20_000, 'the gated fdatasync to start');
      let flushed = false;
      const flush = log.sync().then(() => (flushed = true));
      await settle();
      expect(flushed).toBe(false); // records 3 and 4 are not on disk yet
      spy.release();
      await flush;
      expect(flushed).toBe(true);
      await log.releaseThrough(4);
      await blocked;
    } finally {
      spy.restore();
    }
  });

  it('a seal that fails while the next segment is already sealing fails that one too: no later segment reaches the uploader', async () => {
    const dir = await tmp.make();
    const spy = await datasyncSpy(dir);
    try {
      const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 2 * REC });
      await write(log, 0, 's0'); // segment 1 exists (its creation syncs it too)
      spy.gateNext(segmentFileName(1));
      const writes = [1, 2, 3].map((i) => write(log, i, `s${i}`)); // segment 1 sealing (gated), segment 2 filled
      await waitUntil(spy.gatedStarted, 20_000, 'the gated fdatasync to start');
      await Promise.all(writes); // not durable: acknowledged from the page cache
      const fifth = write(log, 4, 's4'); // rolls over: segment 2's seal waits behind segment 1's
      await settle();
      spy.release(Object.assign(new Error('EIO: injected'), { code: 'EIO' }));
      await expect(fifth).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
      await expect(log.sync()).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
      await settle();
      expect(log.sealedSegments).toEqual([]);
    } finally {
      spy.restore();
    }
  });

  it('seal() lets appends go on in the next segment while the sealed one is fdatasynced, and resolves once it is', async () => {
    const dir = await tmp.make();
    const spy = await datasyncSpy(dir);
    try {
      const { log } = await openLog(dir);
      await write(log, 0, 'a0');
      await write(log, 1, 'a1');
      spy.gateNext(segmentFileName(1));
      let sealed = false;
      const sealing = log.seal().then(() => (sealed = true));
      await waitUntil(spy.gatedStarted, 20_000, 'the gated fdatasync to start');
      // The writer is not held behind the seal's sync: a write lands in segment 2 meanwhile.
      const during = await write(log, 2, 'during');
      expect(during.segmentNo).toBeGreaterThan(1);
      let flushed = false;
      const flush = log.sync().then(() => (flushed = true));
      await settle();
      expect([sealed, flushed]).toEqual([false, false]); // segment 1 is not on disk yet
      expect(log.sealedSegments).toEqual([]);
      spy.release();
      await sealing;
      await flush;
      expect(log.sealedSegments.map((x) => [x.segmentNo, x.firstSeq, x.lastSeq])).toEqual([[1, 1, 2]]);
    } finally {
      spy.restore();
    }
  });

  it('a seal() whose fdatasync fails rejects it and fail-stops the log', async () => {
    const dir = await tmp.make();
    const spy = await datasyncSpy(dir);
    try {
      const { log } = await openLog(dir);
      await write(log, 0, 'b0');
      spy.gateNext(segmentFileName(1));
      const sealing = log.seal();
      await waitUntil(spy.gatedStarted, 20_000, 'the gated fdatasync to start');
      spy.release(Object.assign(new Error('EIO: injected'), { code: 'EIO' }));
      await expect(sealing).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
      await expect(write(log, 1, 'after')).rejects.toMatchObject({ code: ErrorCode.VolumeFailed });
      expect(log.sealedSegments).toEqual([]);
    } finally {
      spy.restore();
    }
  });

  it('opening a log fdatasyncs the segments it keeps (a crashed process may have left them in the page cache)', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir, { segmentBytes: SEGMENT_HEADER_BYTES + 2 * REC });
    for (let i = 0; i < 5; i++) await write(log, i, `p${i}`);
    await log.close();
    const spy = await datasyncSpy(dir);
    try {
      const r = await openLog(dir);
      expect(r.replayed).toHaveLength(5);
      expect(spy.calls()).toBeGreaterThanOrEqual(3);
    } finally {
      spy.restore();
    }
  });
});
