/**
 * Part 7 — the control plane as a cluster: three `tidegate control-plane serve --redis`
 * behind nginx (bench/lib/control-plane-cluster.js, the same harness as the CI test), N
 * gateways that are the engine's real control client (GatewayControl) with a scripted
 * command API, all in this process. Measures:
 *
 * - memory per connection: the servers' VmRSS before and after N gateways connect, summed
 *   over the servers, divided by N;
 * - connections per server (nginx round-robin);
 * - `volume.list` latency through the admin API sent to the server holding the gateway
 *   (direct) and to one that does not (forwarded over Redis pub/sub), sequentially and at
 *   concurrency 16, interleaved so both see the same machine state;
 * - reconnect after SIGKILL of the busiest server: time until every one of its gateways is
 *   connected to another server (through nginx), and per gateway p50/p99.
 *
 * Knobs: BENCH_CP_GATEWAYS (default 200), BENCH_CP_REQUESTS (default 2000 per kind and mode).
 */
import * as controlPlane from '../../out/node/src-control-plane/index.js';
import * as engineModule from '../../out/node/src-gateway-engine/index.js';
import {
  activateGateways,
  commandVolumeList,
  createAccount,
  listGateways,
  percentile,
  rssBytes,
  sleep,
  startCluster,
  waitUntil,
} from '../lib/control-plane-cluster.js';
import { log, makeTempDir, onCleanup } from '../lib/proc.js';

const CONCURRENCY = 16;
const MiB = 1024 * 1024;

const round = (v, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

function latencyStats(ms) {
  return { n: ms.length, p50Ms: round(percentile(ms, 50)), p99Ms: round(percentile(ms, 99)), meanMs: round(ms.reduce((a, b) => a + b, 0) / ms.length) };
}

/** `total` requests, `concurrency` at a time; `make(i)` sends request i and resolves its outcome. */
async function drive(total, concurrency, make) {
  let next = 0;
  const outcomes = new Array(total);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        outcomes[i] = await make(i);
      }
    }),
  );
  return { outcomes, seconds: (performance.now() - t0) / 1000 };
}

/** The part: see the file comment. */
export async function benchControlPlane() {
  const n = Number(process.env.BENCH_CP_GATEWAYS ?? 200);
  const requests = Number(process.env.BENCH_CP_REQUESTS ?? 2000);
  const engine = { GatewayControl: engineModule.GatewayControl, LogRing: engineModule.LogRing, createLogger: engineModule.createLogger, ENGINE_DEFAULTS: engineModule.ENGINE_DEFAULTS };
  const cluster = await startCluster({ controlPlane, workDir: makeTempDir('control-plane') });
  onCleanup(() => cluster.stop());
  const r = { gateways: n, requestsPerCell: requests, concurrency: CONCURRENCY, servers: cluster.servers.map((s) => s.id) };
  try {
    const { token } = await createAccount(cluster, 'bench');

    // Memory per connection.
    await sleep(2000);
    const before = Object.fromEntries(cluster.servers.map((s) => [s.id, rssBytes(s.pid)]));
    const t0 = performance.now();
    // The product's reconnect backoff (0.5 s × 2^n, full jitter), only the claim poll is short.
    r.clientTimings = { claimPollMs: 150 };
    const gateways = await activateGateways(cluster, engine, { count: n, token, batch: 10, timings: r.clientTimings, timeoutMs: 300_000 });
    r.activateSeconds = round((performance.now() - t0) / 1000, 1);
    log(`control-plane: ${n} gateways activated and connected in ${r.activateSeconds} s`);
    // Let the first status samples land and V8 settle before reading RSS.
    await sleep(12_000);
    const after = Object.fromEntries(cluster.servers.map((s) => [s.id, rssBytes(s.pid)]));
    const rows = await listGateways(cluster, token);
    r.connectionsPerServer = Object.fromEntries(cluster.servers.map((s) => [s.id, rows.filter((g) => g.online && g.serverId === s.id).length]));
    r.memory = {
      rssBeforeMiB: Object.fromEntries(Object.entries(before).map(([k, v]) => [k, round(v / MiB, 1)])),
      rssAfterMiB: Object.fromEntries(Object.entries(after).map(([k, v]) => [k, round(v / MiB, 1)])),
      bytesPerConnection: Math.round(cluster.servers.reduce((sum, s) => sum + (after[s.id] - before[s.id]), 0) / n),
      // Per server, against the connections it holds: how even the figure is.
      bytesPerConnectionByServer: Object.fromEntries(cluster.servers.map((s) => [s.id, Math.round((after[s.id] - before[s.id]) / Math.max(1, r.connectionsPerServer[s.id]))])),
    };
    log(`control-plane: RSS per connection ${round(r.memory.bytesPerConnection / 1024, 1)} KiB; per server ${JSON.stringify(r.connectionsPerServer)}`);

    // Forwarded vs direct latency: same gateways, same command, alternating.
    const byId = new Map(cluster.servers.map((s) => [s.id, s]));
    const target = (g, kind) => {
      const holder = g.holder();
      if (kind === 'direct') return byId.get(holder);
      const others = cluster.servers.filter((s) => s.id !== holder);
      return others[Math.floor(Math.random() * others.length)];
    };
    r.latency = {};
    r.errors = 0;
    r.misrouted = 0;
    for (const [mode, concurrency] of [['sequential', 1], [`concurrency ${CONCURRENCY}`, CONCURRENCY]]) {
      // Warm both paths (keep-alive sockets, JIT) before counting.
      await drive(200, concurrency, (i) => commandVolumeList(cluster, token, target(gateways[i % n], i % 2 ? 'direct' : 'forwarded').url, gateways[i % n]));
      const ms = { direct: [], forwarded: [] };
      const { seconds } = await drive(requests * 2, concurrency, async (i) => {
        const kind = i % 2 === 0 ? 'direct' : 'forwarded';
        const g = gateways[Math.floor(i / 2) % n];
        const o = await commandVolumeList(cluster, token, target(g, kind).url, g);
        if (o.verdict === 'ok') ms[kind].push(o.ms);
        else if (o.verdict === 'misrouted') r.misrouted++;
        else r.errors++;
        return o;
      });
      r.latency[mode] = { direct: latencyStats(ms.direct), forwarded: latencyStats(ms.forwarded), requestsPerSecond: Math.round((requests * 2) / seconds) };
      log(`control-plane: ${mode}: direct p50 ${r.latency[mode].direct.p50Ms} ms p99 ${r.latency[mode].direct.p99Ms}; forwarded p50 ${r.latency[mode].forwarded.p50Ms} p99 ${r.latency[mode].forwarded.p99Ms}`);
    }

    // Reconnect after SIGKILL of the busiest server.
    const victim = [...cluster.servers].sort((a, b) => r.connectionsPerServer[b.id] - r.connectionsPerServer[a.id])[0];
    const affected = gateways.filter((g) => g.holder() === victim.id);
    const reconnectedAt = new Map();
    const k0 = performance.now();
    await victim.kill();
    const killMs = performance.now() - k0;
    await waitUntil(
      'reconnects',
      () => {
        for (const g of affected) {
          const h = g.holder();
          if (!reconnectedAt.has(g.name) && h !== null && h !== victim.id) reconnectedAt.set(g.name, performance.now() - k0);
        }
        return reconnectedAt.size === affected.length;
      },
      60_000,
    );
    const allMs = performance.now() - k0;
    await waitUntil(
      'the registry to follow',
      async () => (await listGateways(cluster, token)).every((g) => g.online && g.serverId !== victim.id),
      30_000,
    );
    const registryMs = performance.now() - k0;
    const times = [...reconnectedAt.values()];
    const live = cluster.servers.filter((s) => s !== victim);
    r.reconnect = {
      killed: victim.id,
      affectedGateways: affected.length,
      killToReapedMs: Math.round(killMs),
      allReconnectedMs: Math.round(allMs),
      perGatewayP50Ms: Math.round(percentile(times, 50)),
      perGatewayP99Ms: Math.round(percentile(times, 99)),
      registryFollowedMs: Math.round(registryMs),
      movedTo: Object.fromEntries(live.map((s) => [s.id, affected.filter((g) => g.holder() === s.id).length])),
    };
    log(`control-plane: SIGKILL ${victim.id}: ${affected.length} gateways back in ${r.reconnect.allReconnectedMs} ms (p50 ${r.reconnect.perGatewayP50Ms}, p99 ${r.reconnect.perGatewayP99Ms})`);
    r.status = r.errors === 0 && r.misrouted === 0 ? 'ok' : 'error';
    if (r.status === 'error') r.reason = `${r.errors} failed and ${r.misrouted} misrouted requests`;
  } finally {
    await cluster.stop();
  }
  r.markdown = controlPlaneTable(r);
  process.stdout.write(`${r.markdown}\n`);
  return r;
}

/** The part's Markdown (run.js appends it to the run's report). */
export function controlPlaneTable(r) {
  const seq = r.latency.sequential;
  const conc = r.latency[`concurrency ${r.concurrency}`];
  const m = r.memory;
  const rc = r.reconnect;
  return [
    `${r.gateways} gateways (the engine's GatewayControl, scripted commands, in one process) on ${r.servers.length} control-plane servers behind nginx, one Redis, loopback. Activation of all ${r.gateways} through nginx: ${r.activateSeconds} s.`,
    '',
    '| measure | direct (holder) | forwarded (via Redis) | ratio |',
    '| --- | --- | --- | --- |',
    `| volume.list p50, sequential (${seq.direct.n} each) | ${seq.direct.p50Ms} ms | ${seq.forwarded.p50Ms} ms | ${round(seq.forwarded.p50Ms / seq.direct.p50Ms)}× |`,
    `| volume.list p99, sequential | ${seq.direct.p99Ms} ms | ${seq.forwarded.p99Ms} ms | ${round(seq.forwarded.p99Ms / seq.direct.p99Ms)}× |`,
    `| volume.list p50, ${r.concurrency} in flight (${conc.direct.n} each) | ${conc.direct.p50Ms} ms | ${conc.forwarded.p50Ms} ms | ${round(conc.forwarded.p50Ms / conc.direct.p50Ms)}× |`,
    `| volume.list p99, ${r.concurrency} in flight | ${conc.direct.p99Ms} ms | ${conc.forwarded.p99Ms} ms | ${round(conc.forwarded.p99Ms / conc.direct.p99Ms)}× |`,
    '',
    `Throughput (half direct, half forwarded): ${seq.requestsPerSecond} req/s sequential, ${conc.requestsPerSecond} req/s at ${r.concurrency} in flight. Failed requests: ${r.errors}; answered by the wrong gateway: ${r.misrouted}.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| connections per server | ${Object.entries(r.connectionsPerServer).map(([k, v]) => `${k} ${v}`).join(', ')} |`,
    `| server RSS before → after (MiB) | ${Object.keys(m.rssBeforeMiB).map((k) => `${k} ${m.rssBeforeMiB[k]} → ${m.rssAfterMiB[k]}`).join(', ')} |`,
    `| RSS per connection (all servers) | ${round(m.bytesPerConnection / 1024, 1)} KiB |`,
    `| SIGKILL ${rc.killed} (${rc.affectedGateways} gateways): all reconnected | ${rc.allReconnectedMs} ms |`,
    `| per-gateway reconnect p50 / p99 | ${rc.perGatewayP50Ms} / ${rc.perGatewayP99Ms} ms |`,
    `| registry shows none on ${rc.killed} | ${rc.registryFollowedMs} ms |`,
    `| moved to | ${Object.entries(rc.movedTo).map(([k, v]) => `${k} ${v}`).join(', ')} |`,
    '',
  ].join('\n');
}
