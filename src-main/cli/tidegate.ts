/**
 * The `tidegate` command. `serve` runs the gateway in the foreground; every other command
 * talks to the running gateway through the engine's command API on its local socket.
 * Errors are one line on stderr and a non-zero exit (2 for usage mistakes).
 */
import { join, resolve } from 'node:path';
import {
  assertDataDirFree,
  callEngine,
  createLogger,
  formatSize,
  parseHostPort,
  parseSize,
  parseStoreUrl,
  runEngine,
  validateEngineConfig,
  TidegateError,
  type EngineStatus,
  type VolumeInfo,
} from '../../src-gateway-engine/index.js';
import { embeddedControlPlaneDir, startControlPlane, validateControlPlaneConfig, type ControlPlaneConfig, type RunningControlPlane } from '../../src-control-plane/index.js';
import { activate, ACTIVATE_USAGE } from './activate-command.js';
import { controlPlane } from './control-plane-command.js';
import { startHeadlessGateway, type RunningHeadlessGateway } from '../headless/headless-gateway.js';
import { loadGatewayId } from './gateway-identity.js';
import { defaultDataDir } from './data-dirs.js';
import { flagValue, parseArgs, UsageError } from './parse-args.js';

const USAGE = `usage: tidegate <command> [options]

  serve [--data-dir DIR] [--store URL] [--nbd HOST:PORT|off] [--iscsi HOST:PORT|off]
        [--metrics HOST:PORT|off] [--control-plane HOST:PORT|off]
        [--cache-size SIZE] [--upload-buffer-size SIZE] [--sync-policy flush|always]
        [--upload-bandwidth RATE] [--upload-defer SECONDS] [--busy-poll MICROSECONDS]
        [--log-level debug|info|warn|error]
        [--console HOST:PORT]   (the web console; the engine then runs as a supervised process)
  volume create NAME --size SIZE [--mode cached|stored] [--disk PATH]
                [--iscsi-target-name IQN] [--no-nbd]
  volume list [--json]
  volume delete NAME
  volume sync NAME
  volume iscsi NAME [--chap-user USER --chap-secret SECRET
                     [--mutual-chap-user USER --mutual-chap-secret SECRET] | --no-chap]
                    [--allow-initiators IQN[,IQN…] | --allow-any-initiator]
        (secrets: 12–16 characters; may also come from $TIDEGATE_CHAP_SECRET and
         $TIDEGATE_MUTUAL_CHAP_SECRET so they stay out of the process list)
  status [--json]
  recover --store URL [--force]
  bandwidth set RATE            (bytes per second, e.g. 10MiB; 0 = unlimited)
  ${ACTIVATE_USAGE}
        (default control plane: the embedded one; its admin token is read from
         DIR/control-plane/admin-token when --token and $TIDEGATE_TOKEN are absent)
  control-plane serve|account create|gateways …   (tidegate control-plane help)

Listeners default to loopback: NBD 127.0.0.1:10809, iSCSI 127.0.0.1:3260 (target
iqn.2026-11.dev.tidegate:<volume>, LUN 0), metrics 127.0.0.1:9109 (the activation key is
shown on /activation), embedded control plane https://127.0.0.1:9443 (state in
DIR/control-plane).
Every command takes --data-dir DIR (default: $TIDEGATE_DATA_DIR or ~/.local/share/tidegate).
Store URLs: file:///path (default: DIR/store) or
  s3://bucket/prefix?endpoint=http://host:port&region=us-east-1&forcePathStyle=true
  (credentials from the usual AWS environment variables or profile).`;

function dataDirOf(flags: Map<string, string | true>): string {
  const d = flags.get('data-dir');
  return resolve(typeof d === 'string' ? d : defaultDataDir());
}

/** Smallest upload buffer `serve` accepts: two log segments of the smallest size. */
const MIN_UPLOAD_BUFFER = 8 * 1024 * 1024;

/**
 * Upload-buffer settings from --upload-buffer-size: segments of about an eighth of the buffer
 * (4–64 MiB, a power of two), so small buffers still hold several segments.
 */
function uploadBuffer(text: string): { capacityBytes: number; segmentBytes: number } {
  const capacityBytes = parseSize(text);
  if (capacityBytes < MIN_UPLOAD_BUFFER) throw new UsageError(`--upload-buffer-size must be at least ${formatSize(MIN_UPLOAD_BUFFER)} (got ${text})`);
  let segmentBytes = 4 * 1024 * 1024;
  while (segmentBytes * 2 <= Math.min(64 * 1024 * 1024, capacityBytes / 8)) segmentBytes *= 2;
  return { capacityBytes, segmentBytes };
}

/** A flag that takes a whole number of `unit` (the config check then bounds it). */
function wholeNumber(text: string | undefined, flag: string, unit: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new UsageError(`${flag} takes whole ${unit} (got ${JSON.stringify(text ?? '')})`);
  return Number(text);
}

async function serve(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(
    argv,
    ['data-dir', 'store', 'nbd', 'metrics', 'cache-size', 'upload-buffer-size', 'sync-policy', 'upload-bandwidth', 'upload-defer', 'busy-poll', 'log-level', 'iscsi', 'console', 'control-plane'],
    [],
  );
  if (positional.length > 0) throw new UsageError(`serve takes no arguments (got ${positional.join(' ')})`);
  const dataDir = dataDirOf(flags);
  const storeUrl = flagValue(flags, 'store') ?? `file://${join(dataDir, 'store')}`;
  const listener = (name: string, dflt: number): { host: string; port: number } | null => {
    const v = flagValue(flags, name);
    if (v === 'off') return null;
    return v === undefined ? { host: '127.0.0.1', port: dflt } : parseHostPort(v, '127.0.0.1');
  };
  const logLevel = (flagValue(flags, 'log-level') ?? 'info') as 'info';
  const input = {
    gatewayId: 'gw-unset',
    dataDir,
    store: parseStoreUrl(storeUrl),
    nbd: listener('nbd', 10809),
    iscsi: listener('iscsi', 3260),
    metrics: listener('metrics', 9109),
    ...(flags.has('cache-size') ? { cache: { capacityBytes: flagValue(flags, 'cache-size') } } : {}),
    writeLog: {
      ...(flags.has('upload-buffer-size') ? uploadBuffer(flagValue(flags, 'upload-buffer-size')!) : {}),
      ...(flags.has('sync-policy') ? { syncPolicy: flagValue(flags, 'sync-policy') as 'flush' } : {}),
    },
    upload: {
      ...(flags.has('upload-bandwidth') ? { bandwidthBytesPerSec: flagValue(flags, 'upload-bandwidth') } : {}),
      ...(flags.has('upload-defer') ? { deferWhileBusySeconds: wholeNumber(flagValue(flags, 'upload-defer'), '--upload-defer', 'seconds') } : {}),
    },
    ...(flags.has('busy-poll') ? { protocols: { busyPollMicroseconds: wholeNumber(flagValue(flags, 'busy-poll'), '--busy-poll', 'microseconds') } } : {}),
    logLevel,
  };
  // Validate before touching the disk: a mistyped flag must not leave a data dir behind.
  validateEngineConfig(input);
  const cpListen = listener('control-plane', 9443);
  const cpConfig = cpListen === null ? null : validateControlPlaneConfig({ listen: cpListen, dataDir: embeddedControlPlaneDir(dataDir), logLevel });
  const gatewayId = await loadGatewayId(dataDir);
  const logger = createLogger({ level: logLevel });
  // The embedded control plane starts first so the engine can reconnect to it at once; but a
  // data dir that another engine runs on is refused before anything listens.
  await assertDataDirFree(dataDir);
  const embedded: RunningControlPlane | null = cpConfig === null ? null : await startEmbeddedControlPlane(cpConfig);
  const config = validateEngineConfig({
    ...input,
    gatewayId,
    control: { embeddedUrl: embedded?.url ?? null, embeddedCaFile: embedded?.caFile ?? null },
  });
  if (config.store.kind === 's3' && Number(process.versions.node.split('.')[0]) < 22) {
    logger.warn('AWS SDK for JavaScript v3 releases after January 2027 require Node.js 22 or later', { node: process.versions.node });
  }
  const consoleListen = flags.has('console') ? parseHostPort(flagValue(flags, 'console')!, '127.0.0.1') : null;
  if (consoleListen !== null) {
    // Supervised: the engine runs as its own process, this one serves the console.
    let headless: RunningHeadlessGateway;
    try {
      headless = await startHeadlessGateway({ dataDir, engineConfig: { ...input, gatewayId, control: config.control }, console: consoleListen, embeddedControlPlane: embedded, log: logger });
    } catch (err) {
      await embedded?.close();
      throw err;
    }
    const onSignal = (sig: NodeJS.Signals): void => {
      logger.info('stopping on signal', { signal: sig });
      void headless.stop().then(
        () => process.exit(0),
        (err) => {
          logger.error('clean stop failed', { error: err });
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.stdout.write(banner(gatewayId, dataDir, config.store.url, headless.supervisor.addresses ?? { nbd: null, iscsi: null, metrics: null }, embedded, headless.consoleUrl, headless.supervisor.state.pid));
    return;
  }
  let running;
  try {
    running = await runEngine({ config, logger, handleSignals: true, afterStop: async () => embedded?.close() });
  } catch (err) {
    await embedded?.close();
    throw err;
  }
  process.stdout.write(banner(gatewayId, dataDir, running.engine.store.description, running.engine.addresses, embedded, null, process.pid));
}

/** What `serve` prints once the gateway is running. */
function banner(
  gatewayId: string,
  dataDir: string,
  store: string,
  a: { nbd: string | null; iscsi: string | null; metrics: string | null },
  embedded: RunningControlPlane | null,
  consoleUrl: string | null,
  enginePid: number | null,
): string {
  return [
    `Tidegate gateway ${gatewayId} is running (${consoleUrl === null ? `pid ${process.pid}` : `console pid ${process.pid}, engine pid ${enginePid ?? '?'}`}).`,
    `  data dir: ${dataDir}`,
    `  store:    ${store}`,
    `  NBD:      ${a.nbd ? `nbd://${a.nbd}/<volume>` : 'off'}`,
    `  iSCSI:    ${a.iscsi ? `iscsi://${a.iscsi}/iqn.2026-11.dev.tidegate:<volume>/0` : 'off'}`,
    `  metrics:  ${a.metrics ? `http://${a.metrics}/metrics` : 'off'}`,
    `  control plane (embedded): ${embedded ? embedded.url : 'off'}`,
    ...(consoleUrl !== null ? [`  console:  ${consoleUrl}`] : []),
    `Create a volume:  tidegate volume create NAME --size 10GiB --data-dir ${dataDir}`,
    ...(embedded ? [`Activate:         tidegate activate --name NAME --data-dir ${dataDir}`] : []),
    ...(consoleUrl !== null ? [`Open the console: ${consoleUrl}`] : []),
    '',
  ].join('\n');
}

async function startEmbeddedControlPlane(config: ControlPlaneConfig): Promise<RunningControlPlane> {
  try {
    return await startControlPlane(config);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      throw new Error(`the embedded control plane cannot listen on ${config.listen.host}:${config.listen.port} (${e.code}); choose another with --control-plane HOST:PORT, or --control-plane off`);
    }
    throw err;
  }
}

async function volume(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create': {
      const { positional, flags } = parseArgs(rest, ['data-dir', 'size', 'mode', 'disk', 'iscsi-target-name'], ['no-nbd']);
      const name = positional[0];
      if (!name || positional.length > 1) throw new UsageError('volume create NAME --size SIZE [--mode cached|stored] [--disk PATH] [--iscsi-target-name IQN] [--no-nbd]');
      const size = flagValue(flags, 'size');
      if (!size) throw new UsageError('volume create needs --size (e.g. --size 10GiB)');
      const mode = (flagValue(flags, 'mode') ?? 'cached') as 'cached' | 'stored';
      const disk = flagValue(flags, 'disk');
      const targetName = flagValue(flags, 'iscsi-target-name');
      const info = await callEngine(dataDirOf(flags), 'volume.create', {
        name,
        sizeBytes: parseSize(size),
        mode,
        ...(disk ? { diskPath: resolve(disk) } : {}),
        ...(targetName !== undefined ? { iscsiTargetName: targetName } : {}),
        ...(flags.has('no-nbd') ? { nbdExport: false } : {}),
      });
      const nbd = info.nbdExport === null ? 'not exported over NBD' : `NBD export "${info.nbdExport}"`;
      process.stdout.write(`created ${info.mode} volume ${info.name} (${formatSize(info.sizeBytes)}); ${nbd}, iSCSI target ${info.iscsi.targetName} LUN 0\n`);
      return;
    }
    case 'list': {
      const { flags } = parseArgs(rest, ['data-dir'], ['json']);
      const list = await callEngine(dataDirOf(flags), 'volume.list', {});
      if (flags.has('json')) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else process.stdout.write(volumeTable(list));
      return;
    }
    case 'delete': {
      const { positional, flags } = parseArgs(rest, ['data-dir'], []);
      if (positional.length !== 1) throw new UsageError('volume delete NAME');
      await callEngine(dataDirOf(flags), 'volume.delete', { name: positional[0]! });
      process.stdout.write(`deleted volume ${positional[0]}\n`);
      return;
    }
    case 'sync': {
      const { positional, flags } = parseArgs(rest, ['data-dir'], ['json']);
      if (positional.length !== 1) throw new UsageError('volume sync NAME');
      const rp = await callEngine(dataDirOf(flags), 'volume.sync', { name: positional[0]! });
      if (flags.has('json')) process.stdout.write(`${JSON.stringify(rp)}\n`);
      else process.stdout.write(`volume ${positional[0]}: recovery point ${rp.headNo} committed at ${rp.committedAt} (through write #${rp.lastSeq})\n`);
      return;
    }
    case 'iscsi':
      return volumeIscsi(rest);
    default:
      throw new UsageError('volume create|list|delete|sync|iscsi …');
  }
}

async function volumeIscsi(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(
    argv,
    ['data-dir', 'chap-user', 'chap-secret', 'mutual-chap-user', 'mutual-chap-secret', 'allow-initiators'],
    ['no-chap', 'allow-any-initiator', 'json'],
  );
  if (positional.length !== 1) throw new UsageError('volume iscsi NAME [--chap-user USER --chap-secret SECRET] [--no-chap] [--allow-initiators IQN,…|--allow-any-initiator]');
  const user = flagValue(flags, 'chap-user');
  const secret = flagValue(flags, 'chap-secret') ?? process.env.TIDEGATE_CHAP_SECRET;
  const mutualUser = flagValue(flags, 'mutual-chap-user');
  const mutualSecret = flagValue(flags, 'mutual-chap-secret') ?? process.env.TIDEGATE_MUTUAL_CHAP_SECRET;
  if (flags.has('no-chap') && (user !== undefined || mutualUser !== undefined)) throw new UsageError('--no-chap cannot be combined with CHAP credentials');
  if (user !== undefined && secret === undefined) throw new UsageError('--chap-user needs --chap-secret (or $TIDEGATE_CHAP_SECRET)');
  if (user === undefined && flagValue(flags, 'chap-secret') !== undefined) throw new UsageError('--chap-secret needs --chap-user');
  if (mutualUser !== undefined && user === undefined) throw new UsageError('mutual CHAP needs --chap-user and --chap-secret too');
  if (mutualUser !== undefined && mutualSecret === undefined) throw new UsageError('--mutual-chap-user needs --mutual-chap-secret (or $TIDEGATE_MUTUAL_CHAP_SECRET)');
  if (flags.has('allow-any-initiator') && flags.has('allow-initiators')) throw new UsageError('--allow-initiators and --allow-any-initiator exclude each other');
  const allow = flagValue(flags, 'allow-initiators');
  const info = await callEngine(dataDirOf(flags), 'volume.iscsi', {
    name: positional[0]!,
    ...(flags.has('no-chap') ? { chap: null } : user !== undefined ? { chap: { user, secret: secret!, ...(mutualUser !== undefined ? { mutualUser, mutualSecret: mutualSecret! } : {}) } } : {}),
    ...(flags.has('allow-any-initiator') ? { allowedInitiators: [] } : allow !== undefined ? { allowedInitiators: allow.split(',').map((n) => n.trim()).filter((n) => n !== '') } : {}),
  });
  if (flags.has('json')) {
    process.stdout.write(`${JSON.stringify(info.iscsi, null, 2)}\n`);
    return;
  }
  const i = info.iscsi;
  process.stdout.write(
    `volume ${info.name}: iSCSI target ${i.targetName} LUN 0; CHAP ${i.chapUser === null ? 'off' : `user ${i.chapUser}${i.mutualChapUser === null ? '' : `, mutual (target user ${i.mutualChapUser})`}`}; initiators ${i.allowedInitiators.length === 0 ? 'any' : i.allowedInitiators.join(', ')}\n`,
  );
}

function volumeTable(list: VolumeInfo[]): string {
  if (list.length === 0) return 'no volumes\n';
  const rows = [['NAME', 'MODE', 'SIZE', 'STATE', 'NOT UPLOADED', 'RECOVERY POINT AGE']];
  for (const v of list) {
    rows.push([v.name, v.mode, formatSize(v.sizeBytes), v.state, formatSize(v.metrics.UploadBufferUsedBytes), `${v.metrics.TimeSinceLastRecoveryPoint}s`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  const errors = list.filter((v) => v.error).map((v) => `${v.name}: ${v.error}`);
  return `${[...lines, ...errors].join('\n')}\n`;
}

async function status(argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv, ['data-dir'], ['json']);
  const s: EngineStatus = await callEngine(dataDirOf(flags), 'status', {});
  if (flags.has('json')) {
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return;
  }
  const pct = (n: number): string => `${n.toFixed(1)}%`;
  process.stdout.write(
    [
      `gateway ${s.gatewayId} (version ${s.version}, pid ${s.pid}, up since ${s.startedAt})`,
      `store ${s.store}; NBD ${s.nbd ?? 'off'}; iSCSI ${s.iscsi ?? 'off'}; metrics ${s.metrics ?? 'off'}`,
      `cache: ${formatSize(s.cache.usedBytes)} of ${formatSize(s.cache.capacityBytes)} used, hit ${pct(s.cache.CacheHitPercent)}, dirty ${pct(s.cache.CachePercentDirty)}`,
      `upload buffer: ${pct(s.uploadBuffer.UploadBufferPercentUsed)} used, ${formatSize(s.uploadBuffer.QueuedWrites)} not yet uploaded${keptLine(s.uploadBuffer.keptBytes)}, ${s.uploadBuffer.WritesWaitingForBuffer} writes waiting for space, limit ${s.uploadBuffer.bandwidthBytesPerSec === 0 ? 'none' : `${formatSize(s.uploadBuffer.bandwidthBytesPerSec)}/s`}`,
      controlPlaneLine(s),
      '',
    ].join('\n') + volumeTable(s.volumes),
  );
}

/** The upload buffer's kept write-log files, when there are any (they hold disk and page cache). */
function keptLine(keptBytes: number): string {
  return keptBytes > 0 ? `, ${formatSize(keptBytes)} of uploaded log files kept for reuse` : '';
}

/** One line on activation: where the gateway is activated and connected, or the key to type. */
function controlPlaneLine(s: EngineStatus): string {
  const c = s.controlPlane;
  if (c.activated) {
    const alerts = c.alerts.length === 0 ? '' : `; ${c.alerts.length} open alert${c.alerts.length === 1 ? '' : 's'}`;
    return `control plane: activated as ${c.name} (${c.gatewayId}) at ${c.controlPlaneUrl}, ${c.connected ? `connected to ${c.serverId}` : `not connected${c.lastError ? ` (${c.lastError})` : ''}`}${alerts}`;
  }
  if (c.activation) return `control plane: not activated; activation key ${c.activation.activationKey} for ${c.activation.controlPlaneUrl} (expires ${c.activation.expiresAt})`;
  return `control plane: not activated${c.embeddedControlPlaneUrl ? ` (embedded control plane at ${c.embeddedControlPlaneUrl}; run "tidegate activate --name NAME")` : ''}${c.lastError ? `; last error: ${c.lastError}` : ''}`;
}

async function recover(argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv, ['data-dir', 'store'], ['force', 'json']);
  const store = flagValue(flags, 'store');
  if (!store) throw new UsageError('recover --store URL [--force]');
  const result = await callEngine(dataDirOf(flags), 'recover', { store: parseStoreUrl(store).url, force: flags.has('force') });
  if (flags.has('json')) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  for (const a of result.adopted) process.stdout.write(`recovered ${a.name} at recovery point ${a.recoveryPoint.headNo} (${a.recoveryPoint.committedAt})\n`);
  for (const n of result.alreadyPresent) process.stdout.write(`${n}: already on this gateway\n`);
  if (result.adopted.length === 0 && result.alreadyPresent.length === 0) process.stdout.write('no volumes found in the store\n');
}

async function bandwidth(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(argv, ['data-dir'], []);
  if (positional[0] !== 'set' || positional.length !== 2) throw new UsageError('bandwidth set RATE (e.g. 10MiB; 0 = unlimited)');
  const r = await callEngine(dataDirOf(flags), 'bandwidth.set', { bytesPerSec: parseSize(positional[1]!) });
  process.stdout.write(r.bytesPerSec === 0 ? 'upload bandwidth: unlimited\n' : `upload bandwidth: ${formatSize(r.bytesPerSec)}/s\n`);
}

/** Run the CLI; resolves to the exit code (serve resolves once running). */
export async function main(argv: string[]): Promise<number> {
  // The SDK's own multi-line Node-version notice would break "one line per error"; serve logs it once instead.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'serve':
        await serve(rest);
        return -1; // keep running
      case 'volume':
        await volume(rest);
        return 0;
      case 'status':
        await status(rest);
        return 0;
      case 'recover':
        await recover(rest);
        return 0;
      case 'bandwidth':
        await bandwidth(rest);
        return 0;
      case 'activate':
        await activate(rest);
        return 0;
      case 'control-plane':
        await controlPlane(rest); // `serve` resolves once stopped by a signal
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${cmd}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tidegate: ${err.message}\n(run "tidegate help" for usage)\n`);
      return 2;
    }
    if (err instanceof TidegateError) {
      process.stderr.write(`tidegate: error: ${err.message} [${err.code}]\n`);
      return 1;
    }
    process.stderr.write(`tidegate: error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
