/**
 * `tidegate control-plane …`: run a control-plane server (alone, or one of many sharing Redis),
 * create accounts, list an account's gateways. Errors are thrown as UsageError (exit 2) or
 * Error (exit 1) for tidegate.ts to print.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  AdminApiError,
  ControlPlaneConfigError,
  createAccount,
  createControlPlaneLogger,
  listGateways,
  nginxConfig,
  startControlPlane,
  validateControlPlaneConfig,
  type AlertThresholds,
  type ControlPlaneConfigInput,
  type ControlPlaneLogLevel,
  type GatewayView,
} from '../../src-control-plane/index.js';
import { defaultControlPlaneDir } from './data-dirs.js';
import { flagValue, parseArgs, UsageError } from './parse-args.js';

/** Usage of `tidegate control-plane`. */
export const CONTROL_PLANE_USAGE = `usage: tidegate control-plane <command> [options]

  serve [--listen HOST:PORT] [--redis URL] [--data-dir DIR] [--server-id ID]
        [--tls-name NAME[,NAME…]] [--tls-cert PEM --tls-key PEM [--tls-ca PEM]]
        [--public-url URL] [--trust-proxy] [--activation-ttl DURATION]
        [--register-limit N] [--failed-submission-limit N]   (per client address a minute)
        [--upload-buffer-alert PCT] [--cache-dirty-alert PCT] [--io-wait-alert PCT]
        [--recovery-point-alert DURATION] [--offline-alert DURATION]
        [--fleet-error-gateways N] [--fleet-error-window DURATION] [--retention-days DAYS]
        [--log-level debug|info|warn|error]
  account create NAME [--redis URL] [--data-dir DIR] [--json]
  gateways --url URL --token T [--ca-file PEM] [--json]
  nginx-config --listen HOST:PORT --upstream HOST:PORT[,HOST:PORT…] [--data-dir DIR]
        (prints an nginx http{} block that puts the servers behind one TLS address,
         WebSockets passed through, using DIR/tls/)
        (the token may also come from $TIDEGATE_CONTROL_PLANE_TOKEN; the CA defaults to
         DIR/tls/ca.crt when it exists)

Listens on 127.0.0.1:9443 by default. Without --redis the state is kept in DIR (one server);
with --redis URL several servers share it (give them one --data-dir for their TLS files, or
--tls-cert/--tls-key). DIR defaults to $TIDEGATE_CONTROL_PLANE_DIR or
~/.local/share/tidegate-control-plane. Durations: 90s, 30m, 1h.`;

/** Run `tidegate control-plane <argv>`; `serve` resolves once the server stopped (SIGINT/SIGTERM). */
export async function controlPlane(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'serve':
      return serve(rest);
    case 'account':
      if (rest[0] !== 'create') throw new UsageError('control-plane account create NAME [--redis URL] [--data-dir DIR]');
      return accountCreate(rest.slice(1));
    case 'gateways':
      return gateways(rest);
    case 'nginx-config':
      return printNginxConfig(rest);
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${CONTROL_PLANE_USAGE}\n`);
      return;
    default:
      throw new UsageError(`unknown control-plane command ${sub} (serve, account create, gateways, nginx-config)`);
  }
}

type Flags = Map<string, string | true>;

function dataDirOf(flags: Flags): string {
  return resolve(flagValue(flags, 'data-dir') ?? defaultControlPlaneDir());
}

const THRESHOLD_FLAGS = {
  'upload-buffer-alert': { key: 'uploadBufferPercent', kind: 'number' },
  'cache-dirty-alert': { key: 'cacheDirtyPercent', kind: 'number' },
  'io-wait-alert': { key: 'ioWaitPercent', kind: 'number' },
  'recovery-point-alert': { key: 'recoveryPointAgeSeconds', kind: 'seconds' },
  'offline-alert': { key: 'offlineAfterMs', kind: 'ms' },
  'fleet-error-gateways': { key: 'fleetErrorGateways', kind: 'number' },
  'fleet-error-window': { key: 'fleetErrorWindowMs', kind: 'ms' },
  'retention-days': { key: 'retentionDays', kind: 'number' },
} as const satisfies Record<string, { key: keyof AlertThresholds; kind: 'number' | 'seconds' | 'ms' }>;

/** Milliseconds of "90s", "30m", "1h", "500ms". */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new UsageError(`--${flag} must be a duration such as 90s, 30m or 1h (got ${JSON.stringify(text)})`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

function parseNumber(flag: string, text: string): number {
  if (!/^\d+(?:\.\d+)?$/.test(text.trim())) throw new UsageError(`--${flag} must be a number (got ${JSON.stringify(text)})`);
  return Number(text);
}

async function serve(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(
    argv,
    ['listen', 'redis', 'data-dir', 'server-id', 'tls-name', 'tls-cert', 'tls-key', 'tls-ca', 'public-url', 'activation-ttl', 'log-level', 'register-limit', 'failed-submission-limit', ...Object.keys(THRESHOLD_FLAGS)],
    ['trust-proxy'],
  );
  if (positional.length > 0) throw new UsageError(`control-plane serve takes no arguments (got ${positional.join(' ')})`);
  const alertThresholds: Partial<AlertThresholds> = {};
  for (const [flag, spec] of Object.entries(THRESHOLD_FLAGS)) {
    const v = flagValue(flags, flag);
    if (v === undefined) continue;
    alertThresholds[spec.key] = spec.kind === 'number' ? parseNumber(flag, v) : spec.kind === 'seconds' ? parseDuration(flag, v) / 1000 : parseDuration(flag, v);
  }
  const file = (flag: string): string | undefined => {
    const v = flagValue(flags, flag);
    return v === undefined ? undefined : resolve(v);
  };
  const tlsNames = flagValue(flags, 'tls-name');
  const input: ControlPlaneConfigInput = {
    dataDir: dataDirOf(flags),
    ...(flags.has('listen') ? { listen: flagValue(flags, 'listen')! } : {}),
    ...(flags.has('redis') ? { redisUrl: flagValue(flags, 'redis')! } : {}),
    ...(flags.has('server-id') ? { serverId: flagValue(flags, 'server-id')! } : {}),
    tls: {
      names: tlsNames === undefined ? [] : tlsNames.split(',').map((n) => n.trim()).filter((n) => n !== ''),
      certFile: file('tls-cert') ?? null,
      keyFile: file('tls-key') ?? null,
      caFile: file('tls-ca') ?? null,
    },
    ...(flags.has('public-url') ? { publicUrl: flagValue(flags, 'public-url')! } : {}),
    ...(flags.has('register-limit') || flags.has('failed-submission-limit')
      ? {
          rateLimits: {
            ...(flags.has('register-limit') ? { registerPerMinute: parseNumber('register-limit', flagValue(flags, 'register-limit')!) } : {}),
            ...(flags.has('failed-submission-limit') ? { failedSubmissionsPerMinute: parseNumber('failed-submission-limit', flagValue(flags, 'failed-submission-limit')!) } : {}),
          },
        }
      : {}),
    ...(flags.has('trust-proxy') ? { trustProxy: true } : {}),
    ...(flags.has('activation-ttl') ? { activationTtlMs: parseDuration('activation-ttl', flagValue(flags, 'activation-ttl')!) } : {}),
    ...(flags.has('log-level') ? { logLevel: flagValue(flags, 'log-level') as ControlPlaneLogLevel } : {}),
    alertThresholds,
  };
  let config;
  try {
    config = validateControlPlaneConfig(input);
  } catch (err) {
    if (err instanceof ControlPlaneConfigError) throw new UsageError(err.problems.join('; '));
    throw err;
  }
  const running = await startControlPlane(config, { logger: createControlPlaneLogger({ level: config.logLevel }) });
  const lines = [
    `Tidegate control plane ${running.serverId} is running (pid ${process.pid}).`,
    `  URL:         ${running.url}`,
    `  CA:          ${running.caFile}`,
    `  state:       ${running.state.kind === 'redis' ? `Redis ${redactedUrl(config.redis!.url)}` : config.dataDir}`,
  ];
  if (running.adminTokenFile) lines.push(`  admin token: ${running.adminTokenFile}`);
  else lines.push(`Create an account:  tidegate control-plane account create NAME${config.redis ? ` --redis ${redactedUrl(config.redis.url)}` : ` --data-dir ${config.dataDir}`}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolveStop) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(`tidegate: ${signal}: stopping the control plane\n`);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
}

function printNginxConfig(argv: string[]): void {
  const { positional, flags } = parseArgs(argv, ['listen', 'upstream', 'data-dir'], []);
  const listen = flagValue(flags, 'listen');
  const upstream = flagValue(flags, 'upstream');
  if (positional.length > 0 || listen === undefined || upstream === undefined) {
    throw new UsageError('control-plane nginx-config --listen HOST:PORT --upstream HOST:PORT[,HOST:PORT…] [--data-dir DIR]');
  }
  const tls = join(dataDirOf(flags), 'tls');
  process.stdout.write(
    nginxConfig({
      listen,
      upstreams: upstream.split(',').map((u) => u.trim()).filter((u) => u !== ''),
      certFile: join(tls, 'server.crt'),
      keyFile: join(tls, 'server.key'),
      caFile: join(tls, 'ca.crt'),
    }),
  );
}

async function accountCreate(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(argv, ['redis', 'data-dir'], ['json']);
  if (positional.length !== 1) throw new UsageError('control-plane account create NAME [--redis URL] [--data-dir DIR]');
  const name = positional[0]!;
  let created;
  try {
    created = await createAccount({ dataDir: dataDirOf(flags), redisUrl: flagValue(flags, 'redis') ?? null }, name);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  if (flags.has('json')) {
    process.stdout.write(`${JSON.stringify({ account: created.account, token: created.token }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`created account ${created.account.name} (${created.account.id})\nAPI token (shown once; only its hash is stored):\n  ${created.token}\n`);
}

async function gateways(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(argv, ['url', 'token', 'ca-file', 'data-dir'], ['json']);
  if (positional.length > 0) throw new UsageError('control-plane gateways --url URL --token T [--ca-file PEM] [--json]');
  const url = flagValue(flags, 'url') ?? 'https://127.0.0.1:9443';
  const token = flagValue(flags, 'token') ?? process.env.TIDEGATE_CONTROL_PLANE_TOKEN;
  if (!token) throw new UsageError('control-plane gateways needs --token T (or $TIDEGATE_CONTROL_PLANE_TOKEN)');
  const caFile = flagValue(flags, 'ca-file') ?? join(dataDirOf(flags), 'tls', 'ca.crt');
  if (flags.has('ca-file') && !existsSync(resolve(caFile))) throw new UsageError(`--ca-file ${caFile} does not exist`);
  const caCertPem = existsSync(resolve(caFile)) ? await readFile(resolve(caFile), 'utf8') : null;
  let list: GatewayView[];
  try {
    list = await listGateways({ url, token, caCertPem });
  } catch (err) {
    if (err instanceof AdminApiError) throw new Error(err.code ? `${err.message} [${err.code}]` : err.message);
    throw err;
  }
  if (flags.has('json')) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  process.stdout.write(gatewayTable(list, Date.now()));
}

/** The table `control-plane gateways` prints. */
export function gatewayTable(list: readonly GatewayView[], nowMs: number): string {
  if (list.length === 0) return 'no gateways\n';
  const rows = [['NAME', 'ID', 'ONLINE', 'VERSION', 'LAST SEEN']];
  for (const g of list) rows.push([g.name, g.id, g.online ? `yes (${g.serverId ?? '?'})` : 'no', g.version, lastSeen(g.lastSeenAt, nowMs)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].length)));
  return `${rows.map((r) => r.map((c, i) => c + ' '.repeat(widths[i]! - [...c].length)).join('  ').trimEnd()).join('\n')}\n`;
}

function lastSeen(at: string | null, nowMs: number): string {
  if (at === null) return 'never';
  const s = Math.max(0, Math.round((nowMs - Date.parse(at)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return at.replace(/\.\d+Z$/, 'Z');
}

function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
