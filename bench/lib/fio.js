/**
 * fio over NBD (libnbd engine, one connection) or iSCSI (libiscsi engine, one session),
 * user space only, and the numbers we keep from it. Server CPU is sampled from
 * /proc/<pid>/stat when fio's ramp ends and when fio exits, so it covers the measured
 * window (plus fio's short teardown).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, diskReadBytes, now, run, sleep } from './proc.js';

/** The six standard workloads. */
export const WORKLOADS = [
  { name: 'seqread', rw: 'read', bs: '1M', qd: 8, dir: 'read' },
  { name: 'seqwrite', rw: 'write', bs: '1M', qd: 8, dir: 'write' },
  { name: 'randread-qd1', rw: 'randread', bs: '4k', qd: 1, dir: 'read' },
  { name: 'randread-qd32', rw: 'randread', bs: '4k', qd: 32, dir: 'read' },
  { name: 'randwrite-qd1', rw: 'randwrite', bs: '4k', qd: 1, dir: 'write' },
  { name: 'randwrite-qd32', rw: 'randwrite', bs: '4k', qd: 32, dir: 'write' },
];

/** Parse fio's JSON output (it may print "note:" lines before the document). */
export function parseFioJson(text) {
  const i = text.indexOf('{');
  if (i < 0) throw new Error('fio printed no JSON');
  return JSON.parse(text.slice(i));
}

/** fio arguments that select an NBD export (libnbd engine, one connection). */
export function nbdTarget(uri) {
  return ['--ioengine=nbd', `--uri=${uri}`];
}

/**
 * fio arguments that select an iSCSI LUN, `iscsi://HOST:PORT/IQN/LUN` (libiscsi engine, one
 * session). fio splits file names on ':', so every colon is escaped.
 */
export function iscsiTarget(url, initiator = 'iqn.2026-11.dev.tidegate.bench:fio') {
  return ['--ioengine=libiscsi', `--filename=${url.replace(/:/g, '\\:')}`, `--initiator=${initiator}`];
}

/**
 * Run one time-based workload against `uri` (NBD) or `target` (fio arguments from
 * nbdTarget / iscsiTarget), with the `fio` binary (default: fio on PATH); returns the
 * summary row. `serverPid` adds server CPU; `outDir` keeps fio's raw JSON; `prefix` names
 * the JSON file (default: none).
 */
export async function runFioWorkload({ label, uri, target, fio = 'fio', prefix = '', wl, runtime, ramp, serverPid, outDir }) {
  const out = join(outDir, `${prefix}${label}_${wl.name}.json`);
  const args = [
    `--name=${wl.name}`, ...(target ?? nbdTarget(uri)), `--rw=${wl.rw}`, `--bs=${wl.bs}`, `--iodepth=${wl.qd}`,
    '--numjobs=1', '--thread', '--group_reporting', '--time_based', `--runtime=${runtime}`, `--ramp_time=${ramp}`,
    '--lat_percentiles=1', '--randrepeat=0', '--norandommap', '--output-format=json', `--output=${out}`,
  ];
  // Every workload starts with no dirty pages: the previous workload's writes (a peer's
  // gigabytes in the page cache, a copied image) are not written back inside this window.
  await run('sync', [], { timeoutMs: 600_000 });
  let c0 = cpuSeconds(serverPid);
  let d0 = diskReadBytes(serverPid);
  let t0 = now();
  const sampler = sleep(ramp * 1000 + 150).then(() => {
    c0 = cpuSeconds(serverPid);
    d0 = diskReadBytes(serverPid);
    t0 = now();
  });
  const res = await run(fio, args, { timeoutMs: (runtime + ramp + 60) * 1000, allowFail: true });
  await sampler;
  const t1 = now();
  const c1 = cpuSeconds(serverPid);
  const d1 = diskReadBytes(serverPid);
  let j;
  try {
    j = parseFioJson(readFileSync(out, 'utf8'));
  } catch (e) {
    return { label, workload: wl.name, status: 'error', error: `fio exit ${res.code}: ${String(res.stderr).slice(-1500)} ${e.message}` };
  }
  writeFileSync(out, JSON.stringify(j));
  const job = j.jobs[0];
  const x = job[wl.dir];
  const p = x.lat_ns?.percentile ?? {};
  const bytes = x.io_bytes;
  const srvCpuS = c1 - c0;
  const row = {
    label,
    workload: wl.name,
    status: res.code === 0 && job.error === 0 ? 'ok' : 'error',
    bs: wl.bs,
    qd: wl.qd,
    MBps: round(x.bw_bytes / 1e6, 1),
    iops: Math.round(x.iops),
    p50us: Math.round((p['50.000000'] ?? 0) / 1000),
    p99us: Math.round((p['99.000000'] ?? 0) / 1000),
    meanus: Math.round(x.lat_ns.mean / 1000),
    bytes,
    serverCpuSeconds: round(srvCpuS, 2),
    serverCpuPercent: round((100 * srvCpuS) / (t1 - t0), 1),
    serverCpuSecondsPerGB: bytes > 0 ? round(srvCpuS / (bytes / 1e9), 3) : null,
    clientCpuPercent: round((job.usr_cpu ?? 0) + (job.sys_cpu ?? 0), 1),
    // Page-cache misses of the server while measured: data it had to fetch from the disk.
    serverDiskReadMB: round((d1 - d0) / 1e6, 1),
  };
  if (row.status !== 'ok') row.error = `fio exit ${res.code}, job error ${job.error}: ${String(res.stderr).slice(-1500)}`;
  return row;
}

/**
 * Read the whole target once, sequentially (1 MiB, QD8): warms a cache and checks the
 * path works. Resolves { MBps, seconds } from fio's own figures; throws on any fio error.
 */
export async function fioFullRead({ label, target, fio = 'fio', size, outDir }) {
  const out = join(outDir, `${label}_full-read.json`);
  const args = ['--name=full-read', ...target, '--rw=read', '--bs=1M', '--iodepth=8', `--size=${size}`, '--numjobs=1', '--thread', '--output-format=json', `--output=${out}`];
  const res = await run(fio, args, { timeoutMs: 300_000, allowFail: true });
  let job;
  try {
    job = parseFioJson(readFileSync(out, 'utf8')).jobs[0];
  } catch (e) {
    throw new Error(`fio full read of ${label} failed (exit ${res.code}): ${String(res.stderr).slice(-1500)} ${e.message}`);
  }
  if (res.code !== 0 || job.error !== 0 || job.read.io_bytes < size) {
    throw new Error(`fio full read of ${label}: exit ${res.code}, job error ${job.error}, ${job.read.io_bytes} of ${size} bytes: ${String(res.stderr).slice(-1500)}`);
  }
  return { MBps: round(job.read.bw_bytes / 1e6, 1), seconds: round(job.read.runtime / 1000, 2) };
}

export function round(v, digits) {
  const m = 10 ** digits;
  return Math.round(v * m) / m;
}

/** Tidegate ÷ peer per workload (throughput, latency and CPU-per-GB ratios) from fio rows. */
export function ratios(rows, peerLabel) {
  const out = {};
  for (const wl of WORKLOADS) {
    const a = rows.find((r) => r.label === 'tidegate' && r.workload === wl.name);
    const b = rows.find((r) => r.label === peerLabel && r.workload === wl.name);
    if (!a || !b || a.status !== 'ok' || b.status !== 'ok') continue;
    out[wl.name] = {
      throughput: round(a.MBps / b.MBps, 3),
      p50: round(a.p50us / Math.max(1, b.p50us), 2),
      p99: round(a.p99us / Math.max(1, b.p99us), 2),
      cpuPerGB: b.serverCpuSecondsPerGB ? round(a.serverCpuSecondsPerGB / b.serverCpuSecondsPerGB, 2) : null,
    };
  }
  return out;
}
