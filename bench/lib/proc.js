/**
 * Process and temp-file bookkeeping for the benchmark: every daemon is started in its own
 * session (detached, like setsid) so it survives nothing it should not, and is recorded
 * so that `cleanupAll()` — called on normal exit, on SIGINT/SIGTERM and on a crash —
 * stops exactly the processes this run started (by pid, process group first) and removes
 * exactly the temp folders it made.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const daemons = new Map(); // pid -> { name, child }
const tempDirs = new Set();
const commands = new Set(); // children of run() still running (fio, nbdcopy, …)
const exitHooks = [];

export const HZ = 100; // USER_HZ on Linux; checked against getconf in run.js

/** Current wall clock in seconds (monotonic). */
export function now() {
  return Number(process.hrtime.bigint()) / 1e9;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** A fresh temp folder, removed by cleanupAll(). */
export function makeTempDir(tag) {
  const base = process.env.BENCH_TMP || tmpdir();
  const d = mkdtempSync(join(base, `tidegate-bench-${tag}-`));
  tempDirs.add(d);
  return d;
}

/** Remove a temp folder now (and forget it). */
export function removeTempDir(d) {
  rmSync(d, { recursive: true, force: true });
  tempDirs.delete(d);
}

/** Register an async hook run by cleanupAll (e.g. stopping radosgw). */
export function onCleanup(fn) {
  exitHooks.push(fn);
}

/**
 * Start a long-running process in its own session; stdout+stderr go to `logFile`.
 * Returns { pid, child, exited } where `exited` resolves with { code, signal }.
 */
export function startDaemon(name, cmd, args, { logFile, env, cwd } = {}) {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env: env ?? process.env, cwd });
  closeSync(fd);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.on('error', () => undefined);
  daemons.set(child.pid, { name, child, exited });
  exited.then(() => daemons.delete(child.pid));
  return { pid: child.pid, child, exited, name, logFile };
}

/** Stop one daemon: SIGTERM to its process group, SIGKILL after `graceMs`. */
export async function stopDaemon(d, graceMs = 5000) {
  if (!d || !daemons.has(d.pid)) return;
  try {
    process.kill(-d.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  const t = setTimeout(() => {
    try {
      process.kill(-d.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, graceMs);
  await d.exited;
  clearTimeout(t);
}

/** kill -9 the daemon's process group and wait for it to be reaped. */
export async function killDaemon(d) {
  try {
    process.kill(-d.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  await d.exited;
}

let cleaning;
/** Stop every recorded daemon and remove every temp folder. Idempotent. */
export function cleanupAll() {
  cleaning ??= (async () => {
    killCommands();
    for (const fn of exitHooks.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        process.stderr.write(`bench: cleanup hook failed: ${e?.message ?? e}\n`);
      }
    }
    await Promise.all([...daemons.entries()].map(([pid, { name, exited }]) => stopDaemon({ pid, name, exited }, 3000)));
    killCommands(); // anything a part started while the hooks ran
    if (process.env.BENCH_KEEP === '1') process.stderr.write(`bench: BENCH_KEEP=1, leaving ${[...tempDirs].join(' ')}\n`);
    else for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    tempDirs.clear();
  })();
  return cleaning;
}

/** Synchronous last resort (process 'exit' event): SIGKILL what is left, remove temp dirs. */
export function cleanupSync() {
  if (process.env.BENCH_KEEP === '1') tempDirs.clear();
  killCommands();
  for (const pid of daemons.keys()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const d of tempDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}

/**
 * Run a command to completion with a timeout; resolves { code, signal, stdout, stderr, seconds }.
 * Rejects (with the output in the message) on non-zero exit unless `allowFail`.
 */
export function run(cmd, args, { timeoutMs = 600_000, env, allowFail = false, input } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL', env: env ?? process.env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const res = { code: err ? (err.code ?? 1) : 0, signal: err?.signal ?? null, stdout, stderr, seconds: now() - t0 };
      if (err && !allowFail) {
        const why = err.killed ? `timed out after ${timeoutMs} ms` : `exit ${err.code ?? err.signal}`;
        reject(new Error(`${cmd} ${args.join(' ')}: ${why}\n${String(stderr).slice(-2000)}`));
      } else resolve(res);
    });
    commands.add(child);
    child.on('exit', () => commands.delete(child));
    if (input !== undefined) child.stdin.end(input);
  });
}

/**
 * SIGKILL every run() child still running (e.g. fio's libiscsi engine keeps reconnecting,
 * and ignores SIGTERM, once its target is gone).
 */
function killCommands() {
  for (const c of commands) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  commands.clear();
}

/** True once something accepts TCP connections on host:port. */
export function portAccepts(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Poll until the port accepts; resolves seconds waited or throws after timeoutMs. */
export async function waitPort(port, { timeoutMs = 60_000, everyMs = 5, daemon } = {}) {
  const t0 = now();
  for (;;) {
    if (await portAccepts(port)) return now() - t0;
    if (daemon && !daemons.has(daemon.pid)) throw new Error(`${daemon.name} exited before listening on ${port} (see ${daemon.logFile})`);
    if ((now() - t0) * 1000 > timeoutMs) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** A TCP port that is free on 127.0.0.1 right now (and, with `pair`, so is port+1). */
export async function freePort(pair = false) {
  for (let i = 0; i < 50; i++) {
    const p = await new Promise((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address();
        srv.close(() => resolve(port));
      });
    });
    if (p > 65000) continue;
    if (!pair || !(await portAccepts(p + 1))) return p;
  }
  throw new Error('no free port');
}

/** utime+stime+cutime+cstime of a process, in seconds (0 when it is gone). */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": state=0 … utime=11 stime=12 cutime=13 cstime=14
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / HZ;
  } catch {
    return 0;
  }
}

/**
 * Bytes a process made the kernel fetch from the storage layer (`read_bytes` of
 * /proc/<pid>/io): its reads the page cache did not hold. 0 when it is gone or unreadable.
 */
export function diskReadBytes(pid) {
  try {
    return Number(/^read_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** VmRSS and VmHWM of a process, in bytes. */
export function memoryOf(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM'), anonBytes: kb('RssAnon'), fileBytes: kb('RssFile'), shmemBytes: kb('RssShmem') };
}

export function fileExists(p) {
  return existsSync(p);
}

const t00 = now();
/** Progress line on stderr with elapsed seconds. */
export function log(msg) {
  process.stderr.write(`[bench ${(now() - t00).toFixed(0).padStart(4)}s] ${msg}\n`);
}
