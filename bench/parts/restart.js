/**
 * Part 4 — restart after kill -9 with 1 GiB in the write log. Uploads are held back with
 * `tidegate bandwidth set 1` (1 byte/s), 1 GiB is written and flushed, the gateway is
 * killed with SIGKILL, and `tidegate serve` is started again on the same data dir. We time
 * spawn → NBD port accepting, and spawn → first successful 4 KiB read (read with a tiny
 * in-process NBD client, checked against the bytes written). nbdkit's file plugin, started
 * the same way, gives the floor for "process start to first read".
 */
import { join } from 'node:path';
import { openSync, readSync, closeSync } from 'node:fs';
import { startGateway } from '../lib/gateway.js';
import { round } from '../lib/fio.js';
import { GiB, randomFile } from '../lib/data.js';
import { nbdRead } from '../lib/nbd-client.js';
import { freePort, killDaemon, now, run, startDaemon, stopDaemon, waitPort, log, sleep } from '../lib/proc.js';

function fileBytes(path, offset, length) {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(length);
  readSync(fd, b, 0, length, offset);
  closeSync(fd);
  return b;
}

/** Retry a read until it succeeds (the port may accept before the volume is open). */
async function firstRead(port, exportName, offset, length, timeoutMs) {
  const t0 = now();
  let lastErr;
  for (let tries = 1; (now() - t0) * 1000 < timeoutMs; tries++) {
    try {
      return { data: await nbdRead(port, exportName, offset, length), tries };
    } catch (e) {
      lastErr = e;
      await sleep(10);
    }
  }
  throw new Error(`no successful read within ${timeoutMs} ms: ${lastErr?.message}`);
}

export async function benchRestart(ctx) {
  const { work } = ctx;
  const total = GiB;
  const src = randomFile(join(work, 'random-1g.bin'), total);
  const gw = await startGateway('restart', { uploadBufferSize: '4GiB', cacheSize: '2GiB' });
  const result = { bytesInLog: null };
  let gw2;
  try {
    await gw.cli(['volume', 'create', 'r', '--size', '2GiB']);
    await gw.cli(['bandwidth', 'set', '1']);
    log('restart: writing 1 GiB with uploads held at 1 byte/s');
    const w = await run('nbdcopy', ['--flush', src, gw.uri('r')], { timeoutMs: 900_000 });
    result.writeMBps = round(total / 1e6 / w.seconds, 1);
    const st = JSON.parse((await gw.cli(['status', '--json'])).stdout);
    result.bytesInLog = st.volumes?.[0]?.metrics?.UploadBufferUsedBytes ?? null;
    result.uploadBufferPercentUsed = st.uploadBuffer?.UploadBufferPercentUsed ?? null;
    await killDaemon(gw.daemon);
    log(`restart: killed -9 with ${result.bytesInLog} bytes not uploaded; restarting`);

    const t0 = now();
    gw2 = await startGateway('restart', { dataDir: gw.dataDir, port: gw.port, uploadBufferSize: '4GiB', cacheSize: '2GiB', startTimeoutMs: 600_000 });
    result.spawnToPortSeconds = round(now() - t0, 3);
    const first = await firstRead(gw2.port, 'r', 0, 4096, 600_000);
    result.spawnToFirstReadSeconds = round(now() - t0, 3);
    result.readTries = first.tries;
    const last = await nbdRead(gw2.port, 'r', total - 4096, 4096);
    result.dataVerified = first.data.equals(fileBytes(src, 0, 4096)) && last.equals(fileBytes(src, total - 4096, 4096));
    log(`restart: port after ${result.spawnToPortSeconds} s, first read after ${result.spawnToFirstReadSeconds} s, data ${result.dataVerified ? 'ok' : 'WRONG'}`);
  } finally {
    if (gw2) await stopDaemon(gw2.daemon, 20_000);
    await stopDaemon(gw.daemon);
  }

  // The floor: nbdkit's file plugin, start → port → first read.
  const kport = await freePort();
  const t0 = now();
  const nbdkit = startDaemon('nbdkit-restart', 'nbdkit', ['--foreground', '--ipaddr', '127.0.0.1', '--port', String(kport), 'file', src], { logFile: join(work, 'nbdkit-restart.log') });
  try {
    await waitPort(kport, { daemon: nbdkit });
    result.nbdkitSpawnToPortSeconds = round(now() - t0, 3);
    await firstRead(kport, '', 0, 4096, 30_000);
    result.nbdkitSpawnToFirstReadSeconds = round(now() - t0, 3);
  } finally {
    await stopDaemon(nbdkit);
  }
  return result;
}
