#!/usr/bin/env node
/**
 * Profile the gateway under one fio workload: `node bench/profile.js [WORKLOAD] [SECONDS]`
 * (WORKLOAD one of seqread seqwrite randread-qd1 randread-qd32 randwrite-qd1 randwrite-qd32;
 * default seqread, 10 s). Starts `tidegate serve` under `node --cpu-prof` on a fresh 1 GiB
 * cached volume (prefilled and read once), runs fio over NBD (or over iSCSI with fio's
 * libiscsi engine when PROFILE_PROTOCOL=iscsi), stops the gateway with SIGTERM
 * so V8 writes the profile, and prints the top functions by self time. The .cpuprofile is
 * copied to bench/results/ (open it in Chrome DevTools or speedscope).
 */
import { copyFileSync, readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startGateway } from './lib/gateway.js';
import { WORKLOADS, iscsiTarget, runFioWorkload } from './lib/fio.js';
import { findOrBuildFioIscsi } from './lib/fio-iscsi.js';
import { TIDEGATE_IQN_PREFIX } from './parts/iscsi.js';
import { GiB, randomFile } from './lib/data.js';
import { cleanupAll, cleanupSync, freePort, makeTempDir, run, stopDaemon, log, waitPort } from './lib/proc.js';

process.on('exit', cleanupSync);
process.on('SIGINT', () => cleanupAll().finally(() => process.exit(130)));

const name = process.argv[2] ?? 'seqread';
const seconds = Number(process.argv[3] ?? 10);
const wl = WORKLOADS.find((w) => w.name === name);
const protocol = process.env.PROFILE_PROTOCOL ?? 'nbd';
if (protocol !== 'nbd' && protocol !== 'iscsi') {
  process.stderr.write(`PROFILE_PROTOCOL must be nbd or iscsi, not ${protocol}\n`);
  process.exit(2);
}
if (!wl) {
  process.stderr.write(`unknown workload ${name}; one of ${WORKLOADS.map((w) => w.name).join(' ')}\n`);
  process.exit(2);
}

async function main() {
  const work = makeTempDir('profile');
  const profDir = join(work, 'prof');
  const src = randomFile(join(work, 'random-1g.bin'), GiB);
  const iport = protocol === 'iscsi' ? await freePort() : 0;
  const gw = await startGateway('profile', {
    cacheSize: '2GiB',
    uploadBufferSize: '8GiB',
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
    extraArgs: protocol === 'iscsi' ? ['--iscsi', `127.0.0.1:${iport}`] : [],
  });
  if (protocol === 'iscsi') await waitPort(iport, { daemon: gw.daemon, timeoutMs: 30_000 });
  await gw.cli(['volume', 'create', 'p', '--size', '1GiB']);
  await run('nbdcopy', ['--flush', src, gw.uri('p')]);
  await gw.cli(['volume', 'sync', 'p']);
  await run('nbdcopy', [gw.uri('p'), 'null:']);
  const how =
    protocol === 'iscsi'
      ? { target: iscsiTarget(`iscsi://127.0.0.1:${iport}/${TIDEGATE_IQN_PREFIX}p/0`), fio: await findOrBuildFioIscsi() }
      : { uri: gw.uri('p') };
  log(`profiling ${name} over ${protocol} for ${seconds} s`);
  const fioStart = performance.now();
  const row = await runFioWorkload({ label: 'profile', ...how, wl, runtime: seconds, ramp: 1, serverPid: gw.pid, outDir: work });
  const fioEnd = performance.now();
  log(`${row.MBps} MB/s, ${row.iops} IOPS, server ${row.serverCpuPercent}% CPU`);
  await stopDaemon(gw.daemon, 30_000);
  const stopped = performance.now();
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written (did the gateway exit cleanly?)');
  const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
  const out = join(ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const dest = join(out, `profile-${protocol}-${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  copyFileSync(join(profDir, file), dest);
  // Self time per function from the sampled stacks of fio's measured window only (after its
  // ramp; the set-up's prefill would swamp it). The window is placed back from the profile's
  // end, which is the gateway's exit (within ~0.1 s of `stopped`).
  const fromUs = prof.endTime - (stopped - fioStart - 1000) * 1000;
  const toUs = prof.endTime - (stopped - fioEnd) * 1000;
  const dt = new Map();
  let at = prof.startTime;
  prof.samples.forEach((id, i) => {
    at += prof.timeDeltas[i] ?? 0;
    if (at >= fromUs && at <= toUs) dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  });
  const byFn = new Map();
  let total = 0;
  for (const n of prof.nodes) {
    const t = dt.get(n.id) ?? 0;
    total += t;
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(out\/node|node_modules)\//, '$1/').replace(/^file:\/\//, '')}:${cf.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + t);
  }
  const top = [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  process.stdout.write(`top self time, ${name} over ${protocol}, fio's measured window (${(total / 1e6).toFixed(1)} s sampled) — ${dest}\n`);
  for (const [k, t] of top) process.stdout.write(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}\n`);
}

let code = 0;
try {
  await main();
} catch (e) {
  log(`failed: ${e.stack ?? e}`);
  code = 1;
}
await cleanupAll();
process.exit(code);
