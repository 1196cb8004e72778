/**
 * Recycled segment files (recycled-segment-files.ts): uploaded segments' files hold later
 * segments, so a file may carry old records behind the new ones. Replay must never take an
 * old record for a new one, must not call old bytes damage, and keeps what a later segment
 * proves whole.
 */
import { appendFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreTempDirs, taggedBlock, waitUntil } from '../test/support/core-temp-dirs.js';
import { WriteLog, type LogRecord, type WriteLogOptions } from './write-log.js';
import { RECORD_HEADER_BYTES, RecordKind, SEGMENT_FLAG_RECYCLED, SEGMENT_HEADER_BYTES, freeFileName, segmentFileName } from './write-log-format.js';
import { REC, keptFiles, patchHeader, recordStarts, segFiles } from './test/log-files.js';

const tmp = new CoreTempDirs('wal-recycle');
const opened: WriteLog[] = [];
afterEach(async () => {
  for (const l of opened.splice(0)) await l.close().catch(() => undefined);
  await tmp.cleanup();
});

/** Segments of four 4 KiB records. */
const SEG = SEGMENT_HEADER_BYTES + 4 * REC;

async function openLog(dir: string, o: Partial<WriteLogOptions> = {}) {
  const warnings: string[] = [];
  const r = await WriteLog.open({ dir, capacityBytes: 16 * SEG, segmentBytes: SEG, syncPolicy: 'flush', afterSeq: 0, onWarning: (m) => warnings.push(m), ...o });
  opened.push(r.log);
  return { ...r, warnings };
}

function write(log: WriteLog, block: number, tag: string): Promise<LogRecord> {
  return log.append(RecordKind.Write, block * 4096, 4096, taggedBlock(tag), false);
}

async function writeMany(log: WriteLog, from: number, count: number, prefix: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (let i = from; i < from + count; i++) out.push(await write(log, i, `${prefix}${i}`));
  return out;
}

/** Segments 1-3 full of 'old' records (seqs 1-12), sealed, uploaded and released: their files are kept. */
async function keepThreeUploadedSegments(log: WriteLog): Promise<void> {
  await writeMany(log, 0, 12, 'old');
  await log.seal();
  await log.releaseThrough(12);
}

/** Copy every file of `dir` as it is now: what a killed process leaves behind. */
async function crashImage(dir: string, names: string[]): Promise<string> {
  const copy = await tmp.make();
  for (const n of names) await writeFile(join(copy, n), await readFile(join(dir, n)));
  return copy;
}

/** Wait until segment `segmentNo` (the spare) exists with its own header. */
function waitForSegment(dir: string, segmentNo: number): Promise<void> {
  const ready = async () => {
    const buf = await readFile(join(dir, segmentFileName(segmentNo))).catch(() => undefined);
    return buf !== undefined && buf.length >= SEGMENT_HEADER_BYTES && buf.readUInt32LE(16) === segmentNo;
  };
  return waitUntil(ready, 5000, `segment ${segmentNo}`);
}

const seqs = (records: readonly LogRecord[]): number[] => records.map((r) => r.seq);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('WriteLog recycled segment files', () => {
  it('keeps released segments’ files and holds later segments in them, overwriting in place', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir);
    await writeMany(log, 0, 8, 'old'); // segments 1 and 2
    await log.seal();
    const inodes = await Promise.all([1, 2].map(async (n) => (await stat(join(dir, segmentFileName(n)))).ino));
    await log.releaseThrough(8);
    expect(await keptFiles(dir)).toEqual([freeFileName(1), freeFileName(2)]);
    expect(log.keptFiles).toEqual({ count: 2, bytes: 2 * SEG });
    // Segment 3 was prepared before the release (a new file); the ones after it are the kept files, newest first.
    const recs = await writeMany(log, 100, 9, 'new');
    expect(recs.map((r) => r.segmentNo)).toEqual([3, 3, 3, 3, 4, 4, 4, 4, 5]);
    expect((await stat(join(dir, segmentFileName(4)))).ino).toBe(inodes[1]);
    expect((await stat(join(dir, segmentFileName(5)))).ino).toBe(inodes[0]);
    expect(log.keptFiles.count).toBe(0);
    for (const r of recs) expect(await log.readData(r.segmentNo, r.dataPosition, 4096)).toEqual(taggedBlock(`new${r.offset / 4096}`));
  });

  it('after kill -9, the old records behind the new ones are not replayed and not reported as damage', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir);
    await keepThreeUploadedSegments(log);
    await writeMany(log, 100, 5, 'new'); // seqs 13-17: segment 4 (new file) and one in segment 5 (segment 3's file)
    await waitForSegment(dir, 6); // the spare: segment 2's file, old records behind a new header
    const crashed = await crashImage(dir, [...(await segFiles(dir)), ...(await keptFiles(dir))]);
    const r = await openLog(crashed);
    expect(seqs(r.replayed)).toEqual(range(13, 17));
    expect(r.discardedBytes).toBe(0);
    expect(r.warnings).toEqual([]);
    // Segment 5 is cut back to its one record; the spare held no record and is gone.
    expect((await stat(join(crashed, segmentFileName(5)))).size).toBe(SEGMENT_HEADER_BYTES + REC);
    expect(await segFiles(crashed)).toEqual([4, 5].map(segmentFileName));
    const last = r.replayed[4]!;
    expect(await r.log.readData(last.segmentNo, last.dataPosition, 4096)).toEqual(taggedBlock('new104'));
    // New segments never reuse a number a file on disk held: tags stay unique per file.
    const next = await write(r.log, 200, 'after');
    expect(next.seq).toBe(18);
    expect(next.segmentNo).toBeGreaterThan(6);
  });

  it('a sealed recycled segment holds only its records: seal cuts the old bytes, readSegment reads it whole', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir);
    await keepThreeUploadedSegments(log);
    const recs = await writeMany(log, 100, 6, 'new'); // segment 4 full, two records in segment 5 (recycled)
    await log.seal();
    expect((await stat(join(dir, segmentFileName(5)))).size).toBe(SEGMENT_HEADER_BYTES + 2 * REC);
    const read = await log.readSegment(5);
    expect(Array.from(read.seq.subarray(0, read.count))).toEqual([recs[4]!.seq, recs[5]!.seq]);
    expect(read.data(1)).toEqual(taggedBlock('new105'));
  });

  it('a batch ending inside a recycled file’s old bytes writes its last page whole (zeros to the page end), the rest stays old and is not replayed', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir);
    await keepThreeUploadedSegments(log);
    const oldBytes = await readFile(join(dir, freeFileName(3)));
    await writeMany(log, 100, 5, 'new'); // segment 4 (new file), then one record in segment 5: segment 3's file
    const end = SEGMENT_HEADER_BYTES + REC;
    const pageEnd = Math.ceil(end / 4096) * 4096;
    expect(end % 4096).not.toBe(0);
    const file = await readFile(join(dir, segmentFileName(5)));
    expect(file.length).toBe(oldBytes.length);
    // Without the zeros the kernel reads the old page back from the disk inside the write when it left the page cache.
    expect(file.subarray(end, pageEnd)).toEqual(Buffer.alloc(pageEnd - end));
    expect(file.subarray(pageEnd)).toEqual(oldBytes.subarray(pageEnd));
    // The next record overwrites the zeros; a crash image replays exactly the records.
    await write(log, 105, 'new105');
    const crashed = await crashImage(dir, await segFiles(dir));
    const r = await openLog(crashed);
    expect(seqs(r.replayed)).toEqual(range(13, 18));
    expect(r.warnings).toEqual([]);
    const last = r.replayed[5]!;
    expect(await r.log.readData(last.segmentNo, last.dataPosition, 4096)).toEqual(taggedBlock('new105'));
  });

  it('a crash before the seal’s cut reached the disk loses nothing: the next segment goes on with the next number', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir);
    await writeMany(log, 0, 12, 'x');
    await log.close();
    const files = await segFiles(dir);
    // Segment 2 as a recycled file whose truncation was lost: old records (of segment 1) follow its own.
    const seg2 = join(dir, files[1]!);
    const header = await readFile(seg2);
    header.writeUInt32LE(header.readUInt32LE(12) | SEGMENT_FLAG_RECYCLED, 12);
    await writeFile(seg2, Buffer.concat([header, (await readFile(join(dir, files[0]!))).subarray(SEGMENT_HEADER_BYTES)]));
    const r = await openLog(dir);
    expect(seqs(r.replayed)).toEqual(range(1, 12));
    expect(r.discardedBytes).toBe(0);
    expect(r.warnings).toEqual([]);
    expect((await stat(seg2)).size).toBe(SEG);
  });

  it('bytes after the last record of a middle segment of a new file are cut with a warning when the next segment goes on; with a gap they end the log', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir);
    await writeMany(log, 0, 12, 'y');
    await log.close();
    const files = await segFiles(dir);
    await appendFile(join(dir, files[0]!), Buffer.from('not a record: stray bytes after the last one'));
    const r = await openLog(dir);
    expect(seqs(r.replayed)).toEqual(range(1, 12));
    expect(r.discardedBytes).toBe(0);
    expect(r.warnings).toEqual(['write log: bytes after the last record cut (the next segment goes on from it: nothing was lost)']);
    await r.log.close();
    opened.splice(0);
    // The same, but the last record of segment 1 torn away: segment 2 no longer goes on from it.
    const seg1 = join(dir, files[0]!);
    const buf = await readFile(seg1);
    await writeFile(seg1, buf.subarray(0, recordStarts(buf)[3]! + 100));
    const torn = await openLog(dir);
    expect(seqs(torn.replayed)).toEqual([1, 2, 3]);
    expect(torn.discardedBytes).toBeGreaterThan(0);
    expect(await segFiles(dir)).toEqual([files[0]]);
  });

  it('a record another segment wrote, whole and valid, is not replayed as the first record of a log', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir);
    await writeMany(log, 0, 4, 'z');
    await log.close();
    const [seg1] = await segFiles(dir);
    const buf = await readFile(join(dir, seg1!));
    await rm(join(dir, seg1!));
    // Segment 9's file, its header rewritten, segment 1's records behind it (no record written before the crash).
    const recycled = Buffer.from(buf);
    recycled.writeUInt32LE(SEGMENT_FLAG_RECYCLED, 12);
    recycled.writeUInt32LE(9, 16);
    await writeFile(join(dir, segmentFileName(9)), recycled);
    // Segment 10's file, renamed for it but its header not rewritten yet: it names segment 1.
    await writeFile(join(dir, segmentFileName(10)), buf);
    const r = await openLog(dir);
    expect(r.replayed).toEqual([]);
    expect(r.discardedBytes).toBe(0);
    expect(r.warnings).toEqual([]);
    expect(await segFiles(dir)).toEqual([]);
    expect((await write(r.log, 0, 'first')).segmentNo).toBe(11);
  });

  it('version 1 segments (records untagged) still replay, and the log goes on after them', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir);
    await writeMany(log, 0, 6, 'v');
    await log.close();
    for (const f of await segFiles(dir)) {
      const buf = await readFile(join(dir, f));
      buf.writeUInt32LE(1, 8);
      buf.writeUInt32LE(0, 12);
      for (const pos of recordStarts(buf)) patchHeader(buf, pos, (h) => h.writeUInt32LE(0, 32));
      await writeFile(join(dir, f), buf);
    }
    const r = await openLog(dir);
    expect(seqs(r.replayed)).toEqual(range(1, 6));
    expect(r.warnings).toEqual([]);
    await write(r.log, 6, 'v6');
    await r.log.close();
    opened.splice(0);
    const again = await openLog(dir);
    expect(seqs(again.replayed)).toEqual(range(1, 7));
  });

  it('kept files stay within the capacity: a release beyond it deletes the file, shrinking deletes the oldest, open trims', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir, { capacityBytes: 8 * SEG });
    await writeMany(log, 0, 12, 'c'); // segments 1-3
    await log.seal();
    log.setCapacity(3 * SEG); // the records alone need that much
    await log.releaseThrough(4);
    expect(log.keptFiles.count).toBe(1); // 2 segments of records + 1 kept = 3
    await log.releaseThrough(8);
    expect(log.keptFiles.count).toBe(2);
    await log.releaseThrough(12);
    expect(log.keptFiles).toEqual({ count: 3, bytes: 3 * SEG });
    log.setCapacity(2 * SEG);
    await waitUntil(async () => (await keptFiles(dir)).length === 2, 5000, 'trimmed kept files');
    expect(await keptFiles(dir)).toEqual([freeFileName(2), freeFileName(3)]);
    log.setCapacity(4 * SEG);
    await log.close(); // the spare (a new file, header only) is kept too now
    opened.splice(0);
    expect(await keptFiles(dir)).toEqual([2, 3, 4].map(freeFileName));
    const small = await openLog(dir, { capacityBytes: 2 * SEG });
    expect(small.log.keptFiles).toEqual({ count: 2, bytes: SEG + SEGMENT_HEADER_BYTES });
    expect(await keptFiles(dir)).toEqual([3, 4].map(freeFileName));
  });

  it('kept files stay within their own bound (their pages would crowd the page cache), however much room the capacity leaves', async () => {
    const dir = await tmp.make();
    const { log } = await openLog(dir, { capacityBytes: 16 * SEG, keptFilesMaxBytes: 2 * SEG });
    await writeMany(log, 0, 16, 'b'); // segments 1-4
    await log.seal();
    await log.releaseThrough(16);
    expect(log.keptFiles).toEqual({ count: 2, bytes: 2 * SEG });
    expect(await keptFiles(dir)).toEqual([freeFileName(1), freeFileName(2)]);
    await log.close();
    opened.splice(0);
    const reopened = await openLog(dir, { capacityBytes: 16 * SEG, keptFilesMaxBytes: SEG });
    expect(reopened.log.keptFiles.count).toBe(1);
  });

  it('property: a crash that loses any suffix of the writes to recycled files replays exactly the records wholly before it', async () => {
    const dir = await tmp.make();
    const segmentBytes = SEGMENT_HEADER_BYTES + 6 * REC;
    const opts = { capacityBytes: 64 * segmentBytes, segmentBytes };
    // First use of the files: records of 1, 2 or 3 blocks, uploaded and released, then kept.
    const first = await openLog(dir, opts);
    for (let i = 0; i < 16; i++) await first.log.append(RecordKind.Write, i * 4096, (1 + (i % 3)) * 4096, Buffer.alloc((1 + (i % 3)) * 4096, 0xee), false);
    await first.log.seal();
    await first.log.releaseThrough(16);
    await first.log.close();
    opened.splice(0);
    const oldByIno = new Map<number, Buffer>();
    for (const n of await keptFiles(dir)) oldByIno.set((await stat(join(dir, n))).ino, await readFile(join(dir, n)));
    // Second use: other sizes, so old and new record boundaries differ.
    const second = await openLog(dir, { ...opts, afterSeq: 16 });
    const sizes = [2, 1, 1, 3, 1, 2, 1, 1, 4, 1];
    for (let i = 0; i < sizes.length; i++) await second.log.append(RecordKind.Write, i * 4096, sizes[i]! * 4096, Buffer.alloc(sizes[i]! * 4096, i + 1), false);
    await second.log.close(); // seals: every file is cut to its new records
    opened.splice(0);
    const files = await Promise.all((await segFiles(dir)).map(async (n) => ({ name: n, now: await readFile(join(dir, n)), old: oldByIno.get((await stat(join(dir, n))).ino) })));
    for (const f of files) expect(f.old).toBeDefined(); // every segment of the second use is a recycled file
    const total = files.reduce((a, f) => a + f.now.length, 0);
    const crashDir = await tmp.make();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: total }), async (cut) => {
        // Each file: its new bytes up to the cut, the old use's bytes after it.
        await rm(crashDir, { recursive: true, force: true });
        await mkdir(crashDir);
        let left = cut;
        let expected = 0;
        let seqBefore = 0;
        for (const f of files) {
          const keep = Math.min(f.now.length, left);
          left -= keep;
          await writeFile(join(crashDir, f.name), Buffer.concat([f.now.subarray(0, keep), f.old!.subarray(Math.min(keep, f.old!.length))]));
          for (const pos of recordStarts(f.now)) {
            seqBefore++;
            const end = pos + RECORD_HEADER_BYTES + f.now.readUInt32LE(pos + 24);
            if (end <= keep && expected === seqBefore - 1) expected = seqBefore;
          }
        }
        const r = await WriteLog.open({ dir: crashDir, ...opts, syncPolicy: 'flush', afterSeq: 16 });
        try {
          expect(seqs(r.replayed)).toEqual(range(17, 16 + expected));
          for (const x of r.replayed) {
            const data = await r.log.readData(x.segmentNo, x.dataPosition, x.length);
            expect(data.every((v) => v === x.seq - 16)).toBe(true);
          }
        } finally {
          await r.log.close();
        }
      }),
      { numRuns: 40, seed: 737373 },
    );
  });
});
