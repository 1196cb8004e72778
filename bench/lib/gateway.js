/**
 * Start and drive a Tidegate gateway the way an administrator would: `tidegate serve` in
 * its own session on a loopback NBD port with metrics off, and the `tidegate` CLI for
 * everything else.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './fio.js';
import { freePort, log, makeTempDir, run, startDaemon, waitPort, now } from './proc.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'bin', 'tidegate.js');

/**
 * Start `tidegate serve`. Options: dataDir (fresh temp dir if omitted), store (URL),
 * cacheSize, uploadBufferSize, env, extraArgs, nodeArgs (e.g. --cpu-prof).
 * Resolves { pid, port, dataDir, daemon, startSeconds, cli(args) }.
 */
export async function startGateway(tag, opts = {}) {
  const dataDir = opts.dataDir ?? makeTempDir(tag);
  const port = opts.port ?? (await freePort());
  const args = [...(opts.nodeArgs ?? []), CLI, 'serve', '--data-dir', dataDir, '--nbd', `127.0.0.1:${port}`, '--metrics', 'off', '--log-level', 'warn'];
  if (opts.store) args.push('--store', opts.store);
  if (opts.cacheSize) args.push('--cache-size', opts.cacheSize);
  if (opts.uploadBufferSize) args.push('--upload-buffer-size', opts.uploadBufferSize);
  // e.g. 0: uploads share the cores with a burst instead of waiting for it (bench/README.md).
  if (process.env.BENCH_UPLOAD_DEFER) args.push('--upload-defer', process.env.BENCH_UPLOAD_DEFER);
  // e.g. 0: the engine sleeps between a reply and the next request instead of polling.
  if (process.env.BENCH_BUSY_POLL) args.push('--busy-poll', process.env.BENCH_BUSY_POLL);
  args.push(...(opts.extraArgs ?? []));
  // Parts that do not measure iSCSI must not collide with a portal on the default port.
  if (!args.includes('--iscsi')) args.push('--iscsi', 'off');
  if (!args.includes('--control-plane')) args.push('--control-plane', 'off');
  const t0 = now();
  const daemon = startDaemon(`tidegate-${tag}`, process.execPath, args, { logFile: join(dataDir, 'gateway.log'), env: opts.env });
  const waited = await waitPort(port, { timeoutMs: opts.startTimeoutMs ?? 120_000, daemon });
  const gw = {
    tag,
    pid: daemon.pid,
    port,
    dataDir,
    daemon,
    startSeconds: now() - t0,
    portWaitSeconds: waited,
    startedAt: t0,
    uri: (volume) => `nbd://127.0.0.1:${port}/${volume}`,
    cli: (cliArgs, runOpts = {}) => run(process.execPath, [CLI, ...cliArgs, '--data-dir', dataDir], { timeoutMs: 600_000, env: opts.env, ...runOpts }),
  };
  return gw;
}

/**
 * Create a cached volume, fill it with `src` through the NBD export (nbdcopy --flush), wait
 * until all of it is a recovery point, and read it once so the cache is warm: the same
 * starting point for every part that measures a warm volume. Resolves the setup figures.
 */
export async function createWarmVolume(gw, volume, src, size) {
  await gw.cli(['volume', 'create', volume, '--size', String(size), '--mode', 'cached']);
  const uri = gw.uri(volume);
  log(`${gw.tag}: prefilling Tidegate volume (${(size / 2 ** 30).toFixed(0)} GiB, nbdcopy to the NBD export)`);
  const fill = await run('nbdcopy', ['--flush', src, uri], { timeoutMs: 900_000 });
  const sync = await gw.cli(['volume', 'sync', volume]);
  const warm = await run('nbdcopy', [uri, 'null:'], { timeoutMs: 900_000 });
  return {
    tidegatePrefillMBps: round(size / 1e6 / fill.seconds, 1),
    tidegateSyncAfterPrefillSeconds: round(sync.seconds, 2),
    tidegateWarmReadMBps: round(size / 1e6 / warm.seconds, 1),
  };
}

/**
 * After a Tidegate write workload: wait until everything it wrote is in a recovery point
 * (`volume sync`), so the next workload is not measured beside the upload of this one's
 * backlog (the peers have no background work). The seconds it took go into
 * `setup.tidegateUploadDrainSeconds[workload]`, which the report shows. Read workloads: nothing.
 */
export async function drainUploadsAfter(gw, volume, wl, setup) {
  if (!wl.rw.includes('write')) return;
  const sync = await gw.cli(['volume', 'sync', volume], { timeoutMs: 900_000 });
  const seconds = round(sync.seconds, 2);
  (setup.tidegateUploadDrainSeconds ??= {})[wl.name] = seconds;
  log(`${gw.tag}:   upload drained in ${seconds} s`);
}
