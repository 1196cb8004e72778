/**
 * fio over NBD (libnbd engine, one connection, user space only) and the numbers we keep
 * from it. Server CPU is sampled from /proc/<pid>/stat when fio's ramp ends and when fio
 * exits, so it covers the measured window (plus fio's short teardown).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, now, run, sleep } from './proc.js';

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

/**
 * Run one time-based workload against `uri`; returns the summary row.
 * `serverPid` adds server CPU; `outDir` keeps fio's raw JSON.
 */
export async function runFioWorkload({ label, uri, wl, runtime, ramp, serverPid, outDir }) {
  const out = join(outDir, `${label}_${wl.name}.json`);
  const args = [
    `--name=${wl.name}`, '--ioengine=nbd', `--uri=${uri}`, `--rw=${wl.rw}`, `--bs=${wl.bs}`, `--iodepth=${wl.qd}`,
    '--numjobs=1', '--thread', '--group_reporting', '--time_based', `--runtime=${runtime}`, `--ramp_time=${ramp}`,
    '--lat_percentiles=1', '--randrepeat=0', '--norandommap', '--output-format=json', `--output=${out}`,
  ];
  let c0 = cpuSeconds(serverPid);
  let t0 = now();
  const sampler = sleep(ramp * 1000 + 150).then(() => {
    c0 = cpuSeconds(serverPid);
    t0 = now();
  });
  const res = await run('fio', args, { timeoutMs: (runtime + ramp + 60) * 1000, allowFail: true });
  await sampler;
  const t1 = now();
  const c1 = cpuSeconds(serverPid);
  let j;
  try {
    j = parseFioJson(readFileSync(out, 'utf8'));
  } catch (e) {
    return { label, workload: wl.name, status: 'error', error: `fio exit ${res.code}: ${String(res.stderr).slice(-500)} ${e.message}` };
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
  };
  if (row.status !== 'ok') row.error = `fio exit ${res.code}, job error ${job.error}: ${String(res.stderr).slice(-300)}`;
  return row;
}

export function round(v, digits) {
  const m = 10 ** digits;
  return Math.round(v * m) / m;
}
