/**
 * Part 2 — the engine's WriteLog appending 1 GiB vs plain sequential file writes of the same
 * records with the same fdatasync cadence. Both sides wait for each write before issuing the
 * next (one writer, queue depth 1), which is what a single NBD connection at QD1 asks of the
 * log; a third line shows the log with 16 appends in flight (group commit at work).
 */
import { open, rm, mkdir } from 'node:fs/promises';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../lib/gateway.js';
import { round } from '../lib/fio.js';
import { GiB, MiB } from '../lib/data.js';
import { now, log } from '../lib/proc.js';

export async function benchWriteLog(ctx) {
  const { work } = ctx;
  const mod = await import(pathToFileURL(join(ROOT, 'out/node/src-gateway-engine/writelog/write-log.js')).href);
  const fmt = await import(pathToFileURL(join(ROOT, 'out/node/src-gateway-engine/writelog/write-log-format.js')).href);
  const { WriteLog } = mod;
  const total = Number(process.env.BENCH_WL_BYTES ?? GiB);
  const flushEveryBytes = Number(process.env.BENCH_WL_FLUSH_BYTES ?? 8 * MiB);
  const recordSizes = [1 * MiB, 64 * 1024];
  // A pool of random buffers (so no two consecutive records are the same buffer).
  const pool = Array.from({ length: 16 }, () => randomFillSync(Buffer.allocUnsafe(MiB)));
  const rows = [];

  for (const recordBytes of recordSizes) {
    const n = Math.floor(total / recordBytes);
    const flushEvery = Math.max(1, Math.floor(flushEveryBytes / recordBytes));
    const dataOf = (i) => pool[i % pool.length].subarray(0, recordBytes);

    // (a) plain file: write, fdatasync every N, sequential, one 64 MiB file after another
    // like the log's segments (rolled over at the same size, fsynced when closed).
    {
      const dir = join(work, 'plain');
      await mkdir(dir, { recursive: true });
      const segBytes = 64 * MiB;
      const t0 = now();
      let fh;
      let segNo = 0;
      let segSize = segBytes;
      for (let i = 0; i < n; i++) {
        if (segSize + recordBytes > segBytes) {
          if (fh) {
            await fh.datasync();
            await fh.close();
          }
          fh = await open(join(dir, `${segNo++}.seg`), 'w');
          segSize = 0;
        }
        await fh.write(dataOf(i), 0, recordBytes, segSize);
        segSize += recordBytes;
        if ((i + 1) % flushEvery === 0) await fh.datasync();
      }
      await fh.datasync();
      await fh.close();
      const s = now() - t0;
      rows.push({ impl: 'plain-file', recordBytes, records: n, flushEveryRecords: flushEvery, inFlight: 1, seconds: round(s, 3), MBps: round((n * recordBytes) / 1e6 / s, 1) });
      await rm(dir, { recursive: true, force: true });
    }

    // (b) WriteLog, one append at a time, sync() every N — and (c) 16 appends in flight.
    for (const inFlight of [1, 16]) {
      const dir = join(work, 'wlog');
      await rm(dir, { recursive: true, force: true });
      const { log: wl } = await WriteLog.open({ dir, capacityBytes: 4 * total, segmentBytes: 64 * MiB, syncPolicy: 'flush', afterSeq: 0 });
      const t0 = now();
      const inflight = new Set();
      for (let i = 0; i < n; i++) {
        const p = wl.append(fmt.RecordKind.Write, i * recordBytes, recordBytes, dataOf(i), false);
        inflight.add(p);
        p.finally(() => inflight.delete(p));
        if (inflight.size >= inFlight) await Promise.race(inflight);
        if ((i + 1) % flushEvery === 0) {
          await Promise.all(inflight);
          await wl.sync();
        }
      }
      await Promise.all(inflight);
      await wl.sync();
      const s = now() - t0;
      await wl.close();
      rows.push({ impl: 'tidegate-writelog', recordBytes, records: n, flushEveryRecords: flushEvery, inFlight, seconds: round(s, 3), MBps: round((n * recordBytes) / 1e6 / s, 1) });
      await rm(dir, { recursive: true, force: true });
    }
    for (const r of rows.filter((x) => x.recordBytes === recordBytes)) log(`writelog: ${r.impl} ${r.recordBytes}B x${r.inFlight}: ${r.MBps} MB/s`);
  }
  const ratios = {};
  for (const recordBytes of recordSizes) {
    const base = rows.find((r) => r.impl === 'plain-file' && r.recordBytes === recordBytes);
    for (const r of rows.filter((x) => x.impl === 'tidegate-writelog' && x.recordBytes === recordBytes)) {
      ratios[`${recordBytes >= MiB ? `${recordBytes / MiB}MiB` : `${recordBytes / 1024}KiB`}-inflight${r.inFlight}`] = round(r.MBps / base.MBps, 3);
    }
  }
  return { totalBytes: total, flushEveryBytes, rows, ratios };
}
