/**
 * A real control-plane cluster on loopback, shared by the CI test
 * (src-main/test/control-plane-cluster.test.ts) and the benchmark (bench/parts/control-plane.js):
 * one redis-server, N `tidegate control-plane serve --redis` processes sharing one data dir
 * (the first one alone makes the TLS files, the others reuse them), one nginx in front with
 * the configuration `nginxConfig()` generates, and gateways that are the engine's REAL
 * control-plane client (`GatewayControl`) with a scripted command API whose answers name the
 * gateway, so a misrouted request is visible.
 *
 * The engine and control-plane modules are passed in (`engine`, `controlPlane`): the test
 * hands it the TypeScript sources, the benchmark the built out/node/ code. The servers always
 * run from the built CLI (bin/tidegate.js), so `npm run build` must have run.
 *
 * Every process is started in its own process group and stopped by that group's id in
 * `stop()`; a synchronous 'exit' hook SIGKILLs whatever is left if the caller never got there.
 * Everything listens on 127.0.0.1 only.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built `tidegate` command. */
export const TIDEGATE_BIN = join(REPO_ROOT, 'bin', 'tidegate.js');
/** Where the nginx binary is expected (Debian's package). */
export const NGINX_PATH = '/usr/sbin/nginx';

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

/** Every process group this module started and has not seen exit: pid → child. */
const live = new Map();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when the caller crashed past its cleanup: nothing of ours may outlive us.
  process.on('exit', () => {
    for (const pid of live.keys()) killGroup(pid, 'SIGKILL');
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** The path of `name` on PATH (or one of `extra`), or null. */
export function findTool(name, extra = []) {
  for (const p of [...extra, ...(process.env.PATH ?? '').split(':').filter(Boolean).map((d) => join(d, name))]) {
    if (existsSync(p)) return p;
  }
  return null;
}

/** Why the cluster cannot run here (a missing tool or build), or undefined when it can. */
export function clusterSkipReason() {
  const missing = [];
  if (!findTool('redis-server', ['/usr/bin/redis-server'])) missing.push('redis-server');
  if (!findTool('nginx', [NGINX_PATH])) missing.push('nginx');
  if (missing.length > 0) return `${missing.join(' and ')} not installed`;
  if (!existsSync(join(REPO_ROOT, 'out', 'node', 'src-main', 'cli', 'entry.js'))) return 'the tidegate CLI is not built (npm run build)';
  return undefined;
}

/** A TCP port free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

function portAccepts(port) {
  return new Promise((resolveAccepts) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolveAccepts(true);
    });
    s.once('error', () => resolveAccepts(false));
  });
}

/** Sleep `ms`. */
export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Spawn a long-running process in its own process group, stdout+stderr appended to
 * `logFile`, stdout also kept in memory for readiness lines.
 */
function startProcess(name, cmd, args, logFile, cwd) {
  installExitHook();
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', fd], cwd });
  closeSync(fd);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    stdout += d;
    try {
      writeFileSync(logFile, d, { flag: 'a' });
    } catch {
      // the log is for post-mortems only
    }
  });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  child.once('error', () => undefined);
  live.set(child.pid, child);
  void exited.then(() => live.delete(child.pid));
  let stopping = null;
  return {
    name,
    pid: child.pid,
    logFile,
    exited,
    stdout: () => stdout,
    alive: () => live.has(child.pid),
    /** SIGKILL the process group now; resolves once the process was reaped. */
    async kill() {
      killGroup(child.pid, 'SIGKILL');
      await exited;
    },
    /** SIGTERM, SIGKILL after a grace period; idempotent. */
    stop() {
      stopping ??= (async () => {
        if (!live.has(child.pid)) return;
        killGroup(child.pid, 'SIGTERM');
        const t = setTimeout(() => killGroup(child.pid, 'SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(t);
        // nginx workers or anything else left in the group
        killGroup(child.pid, 'SIGKILL');
      })();
      return stopping;
    },
  };
}

/** The last `n` characters of a process's log file. */
export function logTail(proc, n = 2000) {
  try {
    return readFileSync(proc.logFile, 'utf8').slice(-n);
  } catch {
    return '';
  }
}

async function waitFor(what, proc, check, timeoutMs = START_TIMEOUT_MS) {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v) return v;
    if (!proc.alive()) throw new Error(`${proc.name} exited before ${what}:\n${logTail(proc)}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`${proc.name}: no ${what} within ${timeoutMs} ms:\n${logTail(proc)}`);
    await sleep(20);
  }
}

/** Start a throw-away redis-server (no persistence) on a free port. */
async function startRedis(dir) {
  const bin = findTool('redis-server', ['/usr/bin/redis-server']);
  if (!bin) throw new Error('redis-server not installed');
  const port = await freePort();
  const proc = startProcess('redis-server', bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', ''], join(dir, 'redis.log'), dir);
  try {
    await waitFor('"Ready to accept connections"', proc, () => proc.stdout().includes('Ready to accept connections'));
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { ...proc, url: `redis://127.0.0.1:${port}`, port };
}

/** Start one `tidegate control-plane serve`; resolves once it printed its URL. */
async function startServer({ id, redisUrl, dataDir, logDir, logLevel, onStart }) {
  const args = [TIDEGATE_BIN, 'control-plane', 'serve', '--listen', '127.0.0.1:0', '--redis', redisUrl, '--data-dir', dataDir, '--server-id', id, '--log-level', logLevel,
    // Behind nginx every gateway of the run has nginx's address: raise the per-address limit.
    '--register-limit', '100000'];
  const proc = startProcess(`control-plane ${id}`, process.execPath, args, join(logDir, `${id}.log`), REPO_ROOT);
  onStart(proc); // stopped by the cluster's stop() even if it never gets ready
  const url = await waitFor('URL line', proc, () => /URL:\s+(https:\/\/127\.0\.0\.1:\d+)/.exec(proc.stdout())?.[1]);
  return { ...proc, id, url, hostPort: new URL(url).host };
}

/**
 * A small HTTPS JSON client trusting the deployment's CA, with keep-alive so measured
 * latencies are the request's, not a TLS handshake's. Answers `{status, body}` for every
 * HTTP answer; rejects only on transport failures and timeouts.
 */
export class ApiClient {
  constructor(caCertPem, { timeoutMs = 30_000, maxSockets = 64 } = {}) {
    this.agent = new Agent({ keepAlive: true, ca: caCertPem, maxSockets });
    this.timeoutMs = timeoutMs;
  }

  request(origin, method, path, { token, body } = {}) {
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(payload.length) });
    return new Promise((resolveAnswer, reject) => {
      const req = httpsRequest(new URL(path, origin), { method, headers, agent: this.agent, timeout: this.timeoutMs }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = JSON.parse(text);
          } catch {
            json = { unparsed: text };
          }
          resolveAnswer({ status: res.statusCode ?? 0, body: json });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${origin}${path}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload ?? undefined);
    });
  }

  close() {
    this.agent.destroy();
  }
}

/**
 * Start the cluster: redis, `serverIds.length` control-plane servers (first alone), nginx.
 * Options: controlPlane (module with nginxConfig), serverIds (default cp-a, cp-b, cp-c),
 * workDir (default a fresh temp dir, removed by stop()), logLevel (default 'warn').
 */
export async function startCluster({ controlPlane, serverIds = ['cp-a', 'cp-b', 'cp-c'], workDir, logLevel = 'warn' }) {
  const ownDir = workDir === undefined;
  const root = workDir ?? (await mkdtemp(join(tmpdir(), 'tidegate-cp-cluster-')));
  const dataDir = join(root, 'control-plane');
  const logDir = join(root, 'logs');
  const nginxDir = join(root, 'nginx');
  for (const d of [dataDir, logDir, nginxDir, join(root, 'redis'), join(root, 'gateways')]) mkdirSync(d, { recursive: true });
  const procs = [];
  const cluster = {
    root,
    dataDir,
    redis: null,
    servers: [],
    nginx: null,
    nginxUrl: '',
    caCertPem: '',
    api: null,
    gateways: [],
    async stop() {
      for (const g of this.gateways.splice(0)) await g.control.close().catch(() => undefined);
      this.api?.close();
      // Front first so nothing new arrives, servers, then the state they share.
      for (const p of [...procs].reverse()) await p.stop();
      if (ownDir) await rm(root, { recursive: true, force: true });
    },
  };
  try {
    cluster.redis = await startRedis(join(root, 'redis'));
    procs.push(cluster.redis);
    // The first server makes the CA and server certificate alone (the others would race it
    // for the files); then the rest start together and reuse them.
    const [first, ...rest] = serverIds;
    const launch = async (id) => {
      const s = await startServer({ id, redisUrl: cluster.redis.url, dataDir, logDir, logLevel, onStart: (p) => procs.push(p) });
      cluster.servers.push(s);
    };
    await launch(first);
    const started = await Promise.allSettled(rest.map(launch));
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    cluster.servers.sort((a, b) => serverIds.indexOf(a.id) - serverIds.indexOf(b.id));
    const tls = join(dataDir, 'tls');
    cluster.caCertPem = readFileSync(join(tls, 'ca.crt'), 'utf8');
    const port = await freePort();
    const conf = controlPlane.nginxConfig({
      listen: `127.0.0.1:${port}`,
      upstreams: cluster.servers.map((s) => s.hostPort),
      certFile: join(tls, 'server.crt'),
      keyFile: join(tls, 'server.key'),
      caFile: join(tls, 'ca.crt'),
      standaloneDir: nginxDir,
      runAsRoot: process.getuid?.() === 0,
    });
    const confFile = join(nginxDir, 'nginx.conf');
    writeFileSync(confFile, conf);
    const nginxBin = findTool('nginx', [NGINX_PATH]);
    if (!nginxBin) throw new Error('nginx not installed');
    // -e: the default error log (/var/log/nginx) is opened before the config is read.
    cluster.nginx = startProcess('nginx', nginxBin, ['-c', confFile, '-p', nginxDir, '-e', join(nginxDir, 'startup-error.log')], join(logDir, 'nginx.log'), nginxDir);
    procs.push(cluster.nginx);
    await waitFor(`nginx listening on ${port}`, cluster.nginx, () => portAccepts(port));
    cluster.nginxUrl = `https://127.0.0.1:${port}`;
    cluster.api = new ApiClient(cluster.caCertPem);
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** `tidegate control-plane account create NAME --redis URL --json` → `{account, token}`. */
export function createAccount(cluster, name) {
  return new Promise((resolveAccount, reject) => {
    execFile(process.execPath, [TIDEGATE_BIN, 'control-plane', 'account', 'create', name, '--redis', cluster.redis.url, '--data-dir', cluster.dataDir, '--json'], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`account create failed: ${err.message}\n${stderr}`));
      try {
        resolveAccount(JSON.parse(stdout));
      } catch (e) {
        reject(new Error(`account create printed no JSON: ${e.message}\n${stdout}`));
      }
    });
  });
}

/** The volume a scripted gateway reports: named after the gateway, so answers identify it. */
export function volumeNameOf(gatewayName) {
  return `vol-${gatewayName}`;
}

/** A VolumeInfo-shaped volume for `volume.list`. */
function scriptedVolume(gatewayName) {
  const zeroMetrics = {
    ReadBytes: 0, WriteBytes: 0, ReadOps: 0, WriteOps: 0, CacheHitPercent: 100, CloudBytesUploaded: 0, CloudBytesDownloaded: 0,
    UploadBufferUsedBytes: 0, UploadBufferPercentUsed: 0, QueuedWrites: 0, WritesWaitingForBuffer: 0, DirtyBytes: 0,
    TimeSinceLastRecoveryPoint: 0, ReadTime: 0, WriteTime: 0, ReadLatencyP50Ms: 0, ReadLatencyP99Ms: 0, WriteLatencyP50Ms: 0,
    WriteLatencyP99Ms: 0, UploadRetries: 0, LastUploadError: null, LastUploadErrorAt: null,
  };
  const name = volumeNameOf(gatewayName);
  return {
    name,
    volumeId: `${gatewayName}-v1`,
    mode: 'cached',
    sizeBytes: 1 << 30,
    diskPath: null,
    state: 'available',
    error: null,
    nbdExport: name,
    iscsi: { targetName: `iqn.2026-11.dev.tidegate:${name}`, chapUser: null, mutualChapUser: null, allowedInitiators: [], sessions: 0 },
    recoveryPoint: { headNo: 1, lastSeq: 0, committedAt: new Date(0).toISOString() },
    metrics: zeroMetrics,
  };
}

/**
 * One gateway: the engine's real control client (`GatewayControl`) with its own data dir,
 * and a scripted command API standing in for the engine's volumes (no block I/O is needed
 * to test routing): `volume.list` answers one volume named after the gateway, `status` an
 * EngineStatus naming it; other commands are refused.
 */
function makeGateway(engine, { name, dataDir, timings }) {
  mkdirSync(dataDir, { recursive: true });
  const ring = new engine.LogRing(256);
  const logger = engine.createLogger({ level: 'error', ring, sink: { write: () => undefined } });
  const volume = scriptedVolume(name);
  const startedAt = new Date().toISOString();
  let control;
  const status = () => ({
    gatewayId: name,
    activated: control.status().activated,
    controlPlaneConnected: control.status().connected,
    controlPlane: control.status(),
    IoWaitPercent: 0,
    version: 'cluster-test',
    pid: process.pid,
    startedAt,
    store: `file:///scripted/${name}`,
    memory: { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 },
    nbd: null,
    iscsi: null,
    iscsiEvents: { loginFailures: 0, protocolErrors: 0 },
    metrics: null,
    cache: { capacityBytes: 1 << 30, usedBytes: 0, CacheHitPercent: 100, CachePercentUsed: 0, CachePercentDirty: 0 },
    uploadBuffer: { capacityBytes: 1 << 30, usedBytes: 0, UploadBufferPercentUsed: 0, QueuedWrites: 0, WritesWaitingForBuffer: 0, bandwidthBytesPerSec: 0 },
    volumes: [volume],
  });
  const refuse = async () => {
    throw Object.assign(new Error(`the scripted gateway ${name} does not run this command`), { code: 'INVALID_ARGUMENT' });
  };
  const commands = {
    status: async () => status(),
    'volume.list': async () => [volume],
    'logs.recent': async () => ring.query({}),
    'volume.create': refuse,
    'volume.delete': refuse,
    'volume.sync': refuse,
    'bandwidth.set': refuse,
    'volume.iscsi': refuse,
  };
  control = new engine.GatewayControl({
    dataDir,
    localGatewayId: name,
    version: 'cluster-test',
    config: { ...engine.ENGINE_DEFAULTS.control, ...timings },
    logger,
    commands,
    status,
    ring,
  });
  return {
    name,
    dataDir,
    control,
    /** The control-plane gateway id (after activation). */
    get id() {
      return control.status().gatewayId;
    },
    /** The server holding its connection now, as the gateway sees it; null when not connected. */
    holder() {
      const s = control.status();
      return s.connected ? s.serverId : null;
    },
  };
}

/** Short client timings so tests and benches do not wait on production backoffs. */
export const FAST_TIMINGS = Object.freeze({ claimPollMs: 150, reconnectBaseMs: 200, reconnectMaxMs: 2_000, requestTimeoutMs: 10_000 });

/**
 * Make `count` gateways named `${prefix}-NNN`, activate each through nginx (register, the
 * administrator's `POST /v1/gateways`, claim) and wait until every one is connected.
 * `batch` gateways activate at once. Resolves the gateways (also kept in `cluster.gateways`).
 * (The servers run with a raised `--register-limit`: behind nginx every gateway has one address.)
 */
export async function activateGateways(cluster, engine, { count, token, prefix = 'gw', batch = 10, timings = FAST_TIMINGS, timeoutMs = 60_000 }) {
  const made = [];
  const t0 = Date.now();
  for (let i = 0; i < count; i += batch) {
    const names = Array.from({ length: Math.min(batch, count - i) }, (_, k) => `${prefix}-${String(i + k).padStart(3, '0')}`);
    const group = await Promise.all(
      names.map(async (name) => {
        const g = makeGateway(engine, { name, dataDir: join(cluster.root, 'gateways', name), timings });
        cluster.gateways.push(g);
        const pending = await g.control.activate({ controlPlaneUrl: cluster.nginxUrl, caCertPem: cluster.caCertPem });
        const res = await cluster.api.request(cluster.nginxUrl, 'POST', '/v1/gateways', { token, body: { activationKey: pending.activationKey, name, timezone: 'Europe/Paris' } });
        if (res.status !== 201) throw new Error(`activating ${name}: POST /v1/gateways answered ${res.status} ${JSON.stringify(res.body)}`);
        return g;
      }),
    );
    made.push(...group);
  }
  await waitUntil(`all ${count} gateways connected`, () => made.every((g) => g.holder() !== null), timeoutMs - (Date.now() - t0));
  return made;
}

/** Poll `check` every 20 ms until true; throws after `timeoutMs`. */
export async function waitUntil(what, check, timeoutMs) {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** `GET /v1/gateways` through nginx. */
export async function listGateways(cluster, token) {
  const res = await cluster.api.request(cluster.nginxUrl, 'GET', '/v1/gateways', { token });
  if (res.status !== 200) throw new Error(`GET /v1/gateways answered ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.gateways;
}

/**
 * `POST /v1/gateways/:id/commands` `volume.list` for gateway `g` at server URL `origin`, and
 * its verdict: `ok` (answered by `g`: its volume, `servedBy` set), `misrouted` (answered,
 * but not by `g`), or `failed` with the error code. `ms` is the round trip.
 */
export async function commandVolumeList(cluster, token, origin, g, timeoutMs) {
  const t0 = process.hrtime.bigint();
  const res = await cluster.api.request(origin, 'POST', `/v1/gateways/${g.id}/commands`, { token, body: { method: 'volume.list', params: {}, ...(timeoutMs ? { timeoutMs } : {}) } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status === 200) {
    const result = res.body.result;
    const right = Array.isArray(result) && result.length === 1 && result[0]?.name === volumeNameOf(g.name);
    return { verdict: right ? 'ok' : 'misrouted', servedBy: res.body.servedBy, ms, status: 200, body: res.body };
  }
  return { verdict: 'failed', code: res.body?.error?.code ?? null, status: res.status, ms, body: res.body };
}

/** VmRSS of a process in bytes, from /proc/<pid>/status. */
export function rssBytes(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(s)?.[1] ?? NaN) * 1024;
}

/** The p-th percentile (0–100) of `values` (nearest rank). */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
