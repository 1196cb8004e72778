/**
 * Part — iSCSI target vs tgt, cache warm, the same six fio workloads as the NBD part (fio's
 * libiscsi engine, one session), targets interleaved per workload (the order alternates so
 * drift hits both alike).
 *
 * Tidegate: `tidegate serve --iscsi 127.0.0.1:<port> --nbd 127.0.0.1:<port>`, a 2 GiB cached
 * volume prefilled through the NBD export (nbdcopy), synced, read once; its LUN is
 * iscsi://127.0.0.1:<port>/iqn.2026-11.dev.tidegate:bench/0.
 * Peer: tgtd on a copy of the same bytes (thin-provisioned LUN 1), read once through iSCSI.
 *
 * BENCH_ISCSI_TARGETS=tgt runs the peer alone (e.g. to check the set-up).
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWarmVolume, drainUploadsAfter, startGateway } from '../lib/gateway.js';
import { WORKLOADS, fioFullRead, iscsiTarget, runFioWorkload, ratios } from '../lib/fio.js';
import { findOrBuildFioIscsi } from '../lib/fio-iscsi.js';
import { startTgt, tgtVersion } from '../lib/tgt.js';
import { GiB, randomFile } from '../lib/data.js';
import { freePort, log, makeTempDir, run, stopDaemon, waitPort } from '../lib/proc.js';

export const TIDEGATE_IQN_PREFIX = 'iqn.2026-11.dev.tidegate:';
const TGT_IQN = 'iqn.2026-11.dev.tidegate.bench:tgt';

/** The last `n` characters of a log file, for error messages. */
function tail(path, n = 1500) {
  try {
    return readFileSync(path, 'utf8').slice(-n).trim();
  } catch {
    return '';
  }
}

export async function benchIscsi(ctx) {
  const { work, rawDir, runtime, ramp } = ctx;
  const size = 2 * GiB;
  const which = (process.env.BENCH_ISCSI_TARGETS ?? 'tidegate,tgt').split(',').map((s) => s.trim());
  if (which.includes('tgt') && !(await tgtVersion())) throw new Error('tgtd not found (apt-get install tgt)');
  const fio = await findOrBuildFioIscsi();
  const fioVersion = (await run(fio, ['--version'])).stdout.trim();
  const src = randomFile(join(work, 'random-2g.bin'), size);
  const result = {
    volumeBytes: size,
    runtimeSeconds: runtime,
    rampSeconds: ramp,
    fio: `${fio} (${fioVersion})`,
    tgt: await tgtVersion(),
    setup: {},
    rows: [],
  };
  const targets = [];
  let gw;
  let tgt;
  let tidegateError;
  try {
    // Tidegate: fresh data dir, cache and upload buffer larger than everything the run writes.
    if (which.includes('tidegate')) {
      try {
        const iport = await freePort();
        const dataDir = makeTempDir('iscsi');
        gw = await startGateway('iscsi', {
          dataDir,
          cacheSize: process.env.BENCH_CACHE_SIZE ?? '4GiB',
          uploadBufferSize: process.env.BENCH_UPLOAD_BUFFER ?? '24GiB',
          extraArgs: ['--iscsi', `127.0.0.1:${iport}`],
        }).catch((e) => {
          throw new Error(`${e.message}\n${tail(join(dataDir, 'gateway.log'))}`);
        });
        await waitPort(iport, { daemon: gw.daemon, timeoutMs: 30_000 });
        Object.assign(result.setup, await createWarmVolume(gw, 'bench', src, size));
        const url = `iscsi://127.0.0.1:${iport}/${TIDEGATE_IQN_PREFIX}bench/0`;
        const target = iscsiTarget(url);
        log(`iscsi: reading the Tidegate LUN once through iSCSI (${url})`);
        result.setup.tidegateIscsiFullReadMBps = (await fioFullRead({ label: 'iscsi_tidegate', target, fio, size, outDir: rawDir })).MBps;
        targets.push({ label: 'tidegate', url, target, pid: gw.pid });
      } catch (e) {
        tidegateError = e.message;
        log(`iscsi: Tidegate target unusable, going on with tgt alone: ${e.message}`);
        if (gw) {
          // Stop it now: a half-working gateway must not share the cores with tgt's runs.
          await stopDaemon(gw.daemon, 20_000);
          result.setup.tidegateLogTail = tail(join(gw.dataDir, 'gateway.log'));
          gw = undefined;
        }
      }
    }

    // tgt on a prefilled copy of the same bytes, in the page cache (read once through iSCSI).
    if (which.includes('tgt')) {
      const image = join(work, 'tgt-lun1.img');
      copyFileSync(src, image);
      tgt = await startTgt({ image, iqn: TGT_IQN, logDir: work, thin: true });
      const target = iscsiTarget(tgt.url);
      log(`iscsi: reading the tgt LUN once through iSCSI (${tgt.url})`);
      result.setup.tgtIscsiFullReadMBps = (await fioFullRead({ label: 'iscsi_tgt', target, fio, size, outDir: rawDir })).MBps;
      targets.push({ label: 'tgt', url: tgt.url, target, pid: tgt.pid });
    }

    for (const [i, wl] of WORKLOADS.entries()) {
      const order = i % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        log(`iscsi: ${wl.name} on ${t.label} (${runtime}s + ${ramp}s ramp)`);
        const row = await runFioWorkload({ label: t.label, target: t.target, fio, prefix: 'iscsi_', wl, runtime, ramp, serverPid: t.pid, outDir: rawDir });
        if (row.MBps === undefined) log(`iscsi:   ${row.status}: ${row.error}`);
        else log(`iscsi:   ${row.status} ${row.MBps} MB/s ${row.iops} IOPS p50 ${row.p50us}us p99 ${row.p99us}us srv ${row.serverCpuPercent}% ${row.serverCpuSecondsPerGB} cpu-s/GB${row.error ? ` — ${row.error}` : ''}`);
        result.rows.push(row);
        if (t.label === 'tidegate') await drainUploadsAfter(gw, 'bench', wl, result.setup);
      }
    }
  } finally {
    if (gw) {
      const st = await gw.cli(['status', '--json'], { allowFail: true, timeoutMs: 30_000 });
      try {
        const s = JSON.parse(st.stdout);
        result.setup.tidegateStatusAfter = { cache: s.cache, uploadBuffer: s.uploadBuffer };
      } catch {
        /* status is informational */
      }
      await stopDaemon(gw.daemon, 20_000);
    }
    if (tgt) await tgt.stop();
  }
  result.ratios = ratios(result.rows, 'tgt');
  const failed = result.rows.filter((r) => r.status !== 'ok');
  const reasons = [
    ...(tidegateError ? [`Tidegate iSCSI target: ${tidegateError}`] : []),
    ...failed.map((r) => `${r.label} ${r.workload}: ${r.error}`),
  ];
  result.status = reasons.length ? 'error' : 'ok';
  if (reasons.length) result.reason = reasons.join('\n');
  return result;
}
