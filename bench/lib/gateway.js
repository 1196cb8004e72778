/**
 * Start and drive a Tidegate gateway the way an administrator would: `tidegate serve` in
 * its own session on a loopback NBD port with metrics off, and the `tidegate` CLI for
 * everything else.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir, run, startDaemon, waitPort, now } from './proc.js';

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
  args.push(...(opts.extraArgs ?? []));
  // Parts that do not measure iSCSI must not collide with a portal on the default port.
  if (!args.includes('--iscsi')) args.push('--iscsi', 'off');
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
