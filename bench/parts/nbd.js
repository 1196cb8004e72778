/**
 * Part 1 — NBD export vs nbdkit's file plugin, cache warm, six fio workloads, targets
 * interleaved per workload (the order alternates so drift hits both alike).
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWarmVolume, drainUploadsAfter, startGateway } from '../lib/gateway.js';
import { WORKLOADS, runFioWorkload, round, ratios } from '../lib/fio.js';
import { GiB, randomFile } from '../lib/data.js';
import { freePort, run, startDaemon, stopDaemon, waitPort, log } from '../lib/proc.js';

export async function benchNbd(ctx) {
  const { work, rawDir, runtime, ramp } = ctx;
  const size = 2 * GiB;
  const src = randomFile(join(work, 'random-2g.bin'), size);
  const result = { volumeBytes: size, runtimeSeconds: runtime, rampSeconds: ramp, setup: {}, rows: [] };

  // Tidegate: fresh data dir, cache and upload buffer larger than everything the run writes.
  const gw = await startGateway('nbd', { cacheSize: process.env.BENCH_CACHE_SIZE ?? '4GiB', uploadBufferSize: process.env.BENCH_UPLOAD_BUFFER ?? '24GiB' });
  Object.assign(result.setup, await createWarmVolume(gw, 'bench', src, size));
  const uri = gw.uri('bench');

  // nbdkit file plugin on a prefilled copy of the same bytes, in the page cache.
  const file = join(work, 'nbdkit-file.img');
  copyFileSync(src, file);
  const kport = await freePort();
  const nbdkit = startDaemon('nbdkit-file', 'nbdkit', ['--foreground', '--ipaddr', '127.0.0.1', '--port', String(kport), 'file', file], { logFile: join(work, 'nbdkit.log') });
  await waitPort(kport, { daemon: nbdkit });
  const kuri = `nbd://127.0.0.1:${kport}/`;
  const kwarm = await run('nbdcopy', [kuri, 'null:'], { timeoutMs: 900_000 });
  result.setup.nbdkitWarmReadMBps = round(size / 1e6 / kwarm.seconds, 1);

  const targets = [
    { label: 'tidegate', uri, pid: gw.pid },
    { label: 'nbdkit-file', uri: kuri, pid: nbdkit.pid },
  ];
  try {
    for (const [i, wl] of WORKLOADS.entries()) {
      const order = i % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        log(`nbd: ${wl.name} on ${t.label} (${runtime}s + ${ramp}s ramp)`);
        const row = await runFioWorkload({ label: t.label, uri: t.uri, wl, runtime, ramp, serverPid: t.pid, outDir: rawDir });
        log(`nbd:   ${row.status} ${row.MBps} MB/s ${row.iops} IOPS p50 ${row.p50us}us p99 ${row.p99us}us srv ${row.serverCpuPercent}% ${row.serverCpuSecondsPerGB} cpu-s/GB`);
        result.rows.push(row);
        if (t.label === 'tidegate') await drainUploadsAfter(gw, 'bench', wl, result.setup);
      }
    }
  } finally {
    const st = await gw.cli(['status', '--json'], { allowFail: true });
    try {
      const s = JSON.parse(st.stdout);
      result.setup.tidegateStatusAfter = { cache: s.cache, uploadBuffer: s.uploadBuffer };
    } catch {
      /* status is informational */
    }
    await stopDaemon(gw.daemon, 20_000);
    await stopDaemon(nbdkit);
  }
  result.ratios = ratios(result.rows, 'nbdkit-file');
  return result;
}
