#!/usr/bin/env node
/**
 * In-process micro benchmark of the volume stack (CheckedDevice → StatsFilter → Volume →
 * write log / cache / local-folder store), without any protocol in the way:
 *
 *   node bench/volume-micro.js [SECONDS_PER_WORKLOAD] [WORKLOAD...]
 *
 * Opens an Engine on a fresh temp data dir (local-folder store, no listeners), creates a
 * cached volume, writes a 256 MiB region, waits for it to be uploaded (`volume sync`) and
 * reads it once (warm cache), then runs each workload for the given seconds and prints
 * IOPS, MB/s and CPU µs per op. TG_OUT=<dir> picks another build (default out/node), so
 * two builds can be compared back to back in one session. TG_CPU_PROF=<dir> writes one
 * .cpuprofile per workload covering only its measured window (not the set-up).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Session } from 'node:inspector/promises';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = resolve(process.env.TG_OUT ?? join(ROOT, 'out', 'node'));
const { Engine } = await import(pathToFileURL(join(OUT, 'src-gateway-engine', 'engine.js')).href);
const { validateEngineConfig } = await import(pathToFileURL(join(OUT, 'src-gateway-engine', 'config', 'index.js')).href);
const { nullLogger } = await import(pathToFileURL(join(OUT, 'src-gateway-engine', 'log', 'index.js')).href);

const seconds = Number(process.argv[2] ?? 4);
const KiB = 1024;
const MiB = 1024 * KiB;
const REGION = 256 * MiB;

const WORKLOADS = {
  'randread-qd1': { bs: 4 * KiB, qd: 1, write: false, random: true },
  'randread-qd32': { bs: 4 * KiB, qd: 32, write: false, random: true },
  'randwrite-qd1': { bs: 4 * KiB, qd: 1, write: true, random: true },
  'randwrite-qd32': { bs: 4 * KiB, qd: 32, write: true, random: true },
  'seqwrite-1m-qd8': { bs: MiB, qd: 8, write: true, random: false },
  'seqread-1m-qd8': { bs: MiB, qd: 8, write: false, random: false },
};
const names = process.argv.length > 3 ? process.argv.slice(3) : Object.keys(WORKLOADS);

/** xorshift32: cheap, deterministic offsets. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

async function runWorkload(dev, name) {
  const w = WORKLOADS[name];
  const blocks = REGION / w.bs;
  const data = Buffer.alloc(w.bs, 0x5a);
  const rand = rng(12345);
  let seqPos = 0;
  let ops = 0;
  const lat = [];
  const end = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  async function worker() {
    while (performance.now() < end) {
      const off = w.random ? (rand() % blocks) * w.bs : (seqPos++ % blocks) * w.bs;
      const s = performance.now();
      if (w.write) {
        // A fresh buffer per write, as a protocol hands the volume one.
        const buf = Buffer.allocUnsafe(w.bs);
        data.copy(buf);
        buf.writeUInt32LE(ops, 0);
        await dev.write(off, buf);
      } else await dev.read(off, w.bs);
      lat.push(performance.now() - s);
      ops++;
    }
  }
  await Promise.all(Array.from({ length: w.qd }, worker));
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] * 1000;
  return {
    name,
    iops: Math.round(ops / secs),
    MBps: Math.round((ops * w.bs) / secs / 1e6),
    p50us: Math.round(q(0.5)),
    p99us: Math.round(q(0.99)),
    cpuUsPerOp: Math.round((cpu.user + cpu.system) / ops),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'tg-micro-'));
const config = validateEngineConfig({
  gatewayId: 'gw-micro',
  dataDir: join(dir, 'data'),
  store: `file://${join(dir, 'store')}`,
  nbd: null,
  metrics: null,
  cache: { capacityBytes: '1GiB' },
});
const engine = await Engine.start(config, nullLogger);
try {
  await engine.commands['volume.create']({ name: 'm', sizeBytes: 1024 * MiB, mode: 'cached' });
  const dev = engine.device('m');
  const fill = Buffer.alloc(MiB);
  for (let off = 0; off < REGION; off += MiB) {
    fill.fill(off / MiB);
    await dev.write(off, Buffer.from(fill));
  }
  await engine.commands['volume.sync']({ name: 'm' });
  for (let off = 0; off < REGION; off += MiB) await dev.read(off, MiB);
  process.stdout.write(`build ${OUT}, ${seconds} s per workload, load ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  const profDir = process.env.TG_CPU_PROF;
  const session = profDir ? new Session() : undefined;
  if (session) {
    mkdirSync(profDir, { recursive: true });
    session.connect();
    await session.post('Profiler.enable');
  }
  for (const n of names) {
    if (session) await session.post('Profiler.start');
    const r = await runWorkload(dev, n);
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join(profDir, `${n}.cpuprofile`), JSON.stringify(profile));
    }
    process.stdout.write(`${r.name.padEnd(16)} ${String(r.iops).padStart(7)} IOPS ${String(r.MBps).padStart(5)} MB/s  p50 ${String(r.p50us).padStart(6)} µs  p99 ${String(r.p99us).padStart(7)} µs  cpu ${String(r.cpuUsPerOp).padStart(5)} µs/op\n`);
  }
} finally {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}
