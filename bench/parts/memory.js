/**
 * Part 5 — memory per TiB of volume: the gateway's RSS (from /proc/<pid>/status) with no
 * volume, with a 32 TiB cached volume idle, after 1 GiB written sequentially, after 1 GiB
 * of random 4 KiB writes spread over the whole 32 TiB, and after those are uploaded.
 * V8 collects garbage when it likes, so single figures carry a few MiB of noise.
 */
import { join } from 'node:path';
import { startGateway } from '../lib/gateway.js';
import { round, parseFioJson } from '../lib/fio.js';
import { GiB, MiB, TiB, randomFile } from '../lib/data.js';
import { memoryOf, run, stopDaemon, log, sleep } from '../lib/proc.js';
import { readFileSync } from 'node:fs';

export async function benchMemory(ctx) {
  const { work, rawDir } = ctx;
  const volBytes = Number(process.env.BENCH_MEM_VOLUME_TIB ?? 32) * TiB;
  const src = randomFile(join(work, 'random-1g.bin'), GiB);
  const gw = await startGateway('memory', { uploadBufferSize: '8GiB', cacheSize: '2GiB' });
  const settle = async () => {
    await sleep(3000);
    return memoryOf(gw.pid);
  };
  const r = { volumeBytes: volBytes, samples: {} };
  try {
    r.samples.noVolume = await settle();
    await gw.cli(['volume', 'create', 'm', '--size', String(volBytes)]);
    r.samples.idleVolume = await settle();
    log(`memory: idle ${volBytes / TiB} TiB volume: RSS ${round(r.samples.idleVolume.rssBytes / MiB, 1)} MiB`);
    await run('nbdcopy', ['--flush', src, gw.uri('m')], { timeoutMs: 900_000 });
    r.samples.afterSeq1GiB = await settle();
    log(`memory: after 1 GiB sequential: RSS ${round(r.samples.afterSeq1GiB.rssBytes / MiB, 1)} MiB`);
    const out = join(rawDir, 'memory_randwrite.json');
    const fio = await run('fio', ['--name=randwrite-1g', '--ioengine=nbd', `--uri=${gw.uri('m')}`, '--rw=randwrite', '--bs=4k', '--iodepth=32', '--io_size=1g', '--randrepeat=0', '--norandommap', '--output-format=json', `--output=${out}`], { timeoutMs: 900_000 });
    r.randomWriteIops = Math.round(parseFioJson(readFileSync(out, 'utf8')).jobs[0].write.iops);
    r.randomWriteSeconds = round(fio.seconds, 1);
    r.samples.afterRand1GiB = await settle();
    log(`memory: after 1 GiB random 4 KiB: RSS ${round(r.samples.afterRand1GiB.rssBytes / MiB, 1)} MiB`);
    const sync = await gw.cli(['volume', 'sync', 'm'], { timeoutMs: 900_000, allowFail: true });
    r.syncSeconds = round(sync.seconds, 1);
    if (sync.code === 0) r.samples.afterUpload = await settle();
    else r.syncError = String(sync.stderr).trim();
  } finally {
    await stopDaemon(gw.daemon, 20_000);
  }
  const s = r.samples;
  const tib = volBytes / TiB;
  r.derived = {
    rssNoVolumeMiB: round(s.noVolume.rssBytes / MiB, 1),
    rssIdleVolumeMiB: round(s.idleVolume.rssBytes / MiB, 1),
    bytesPerTiBOfAddressSpace: Math.round((s.idleVolume.rssBytes - s.noVolume.rssBytes) / tib),
    bytesPerGiBWrittenSequential: s.afterSeq1GiB.rssBytes - s.idleVolume.rssBytes,
    bytesPerGiBWrittenRandom4k: s.afterRand1GiB.rssBytes - s.afterSeq1GiB.rssBytes,
    rssAfterUploadMiB: s.afterUpload ? round(s.afterUpload.rssBytes / MiB, 1) : null,
    peakRssMiB: round(Math.max(...Object.values(s).map((x) => x.hwmBytes)) / MiB, 1),
  };
  return r;
}
