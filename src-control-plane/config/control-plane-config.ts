/**
 * The control plane's configuration: validated once by `validateControlPlaneConfig`,
 * deep-frozen, and passed down. Nothing below this reads env or flags itself.
 *
 * Validation collects every problem, each named by its path, and throws one
 * ControlPlaneConfigError listing them all. Unknown keys are errors: a typo must never fall
 * back to a default silently.
 */
import { randomBytes } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { DEFAULT_ALERT_THRESHOLDS, resolveAlertThresholds, type AlertThresholds } from '../monitoring/alert-thresholds.js';
import { CONTROL_PLANE_LOG_LEVELS, type ControlPlaneLogLevel } from '../log/control-plane-logger.js';
import { isValidHostName, parseListenAddress, type ListenAddress } from './listen-address.js';

/** Where a server's TLS material comes from. */
export interface TlsConfig {
  /** Extra server-certificate names (DNS names or IPs) beside 127.0.0.1, ::1 and localhost. */
  readonly names: readonly string[];
  /** An operator's own certificate chain (PEM); null = the control plane's own CA in `<dataDir>/tls/`. */
  readonly certFile: string | null;
  readonly keyFile: string | null;
  /** The CA gateways pin (PEM); null with an operator certificate = the last certificate of `certFile`. */
  readonly caFile: string | null;
}

/** The validated, frozen configuration of one control-plane server. */
export interface ControlPlaneConfig {
  readonly listen: ListenAddress;
  /** This server's id in the registry and on the bus (`tidegate:server:<id>`). */
  readonly serverId: string;
  /** Absolute: state files (embedded), `tls/`, `admin-token`. */
  readonly dataDir: string;
  /** Shared state for several servers; null = embedded state in `dataDir`. */
  readonly redis: { readonly url: string; readonly keyPrefix: string } | null;
  readonly tls: TlsConfig;
  /** How long an activation key stays valid. */
  readonly activationTtlMs: number;
  /** Ping interval on management connections; a peer silent for 2.5 of these is dead. */
  readonly heartbeatMs: number;
  /** How often gateways push status (told in the welcome). */
  readonly statusIntervalMs: number;
  /** Deadline of a forwarded command: default, and the most a caller may ask for with `timeoutMs`. */
  readonly requestTimeout: { readonly defaultMs: number; readonly maxMs: number };
  readonly rateLimits: {
    /** `POST /v1/activation/register` per client address per minute. */
    readonly registerPerMinute: number;
    /** Failed `POST /v1/gateways` per client address per minute. */
    readonly failedSubmissionsPerMinute: number;
  };
  readonly alertThresholds: Readonly<AlertThresholds>;
  /** The URL gateways and administrators use (behind a load balancer); null = derived from `listen`. */
  readonly publicUrl: string | null;
  /** Take the client address from X-Forwarded-For (only behind a trusted load balancer). */
  readonly trustProxy: boolean;
  readonly logLevel: ControlPlaneLogLevel;
}

/** What callers hand to `validateControlPlaneConfig`; everything but `dataDir` has a default. */
export interface ControlPlaneConfigInput {
  /** "host:port" or `{host, port}`; default 127.0.0.1:9443. */
  listen?: string | { host?: string; port?: number };
  serverId?: string;
  dataDir: string;
  redisUrl?: string | null;
  /** Prefix of every Redis key (default "tidegate:"). */
  redisKeyPrefix?: string;
  tls?: { names?: readonly string[]; certFile?: string | null; keyFile?: string | null; caFile?: string | null };
  activationTtlMs?: number;
  heartbeatMs?: number;
  statusIntervalMs?: number;
  requestTimeout?: { defaultMs?: number; maxMs?: number };
  rateLimits?: { registerPerMinute?: number; failedSubmissionsPerMinute?: number };
  alertThresholds?: Partial<AlertThresholds>;
  publicUrl?: string | null;
  trustProxy?: boolean;
  logLevel?: ControlPlaneLogLevel;
}

/** The defaults of the spec. */
export const CONTROL_PLANE_DEFAULTS = Object.freeze({
  listen: Object.freeze({ host: '127.0.0.1', port: 9443 }),
  redisKeyPrefix: 'tidegate:',
  activationTtlMs: 30 * 60_000,
  heartbeatMs: 10_000,
  statusIntervalMs: 10_000,
  requestTimeout: Object.freeze({ defaultMs: 10_000, maxMs: 60_000 }),
  rateLimits: Object.freeze({ registerPerMinute: 20, failedSubmissionsPerMinute: 10 }),
  alertThresholds: DEFAULT_ALERT_THRESHOLDS,
});

/** A configuration with one or more problems; `problems` lists each, named by its path. */
export class ControlPlaneConfigError extends Error {
  readonly code = 'INVALID_ARGUMENT';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid control-plane configuration: ${problems.join('; ')}`);
    this.name = 'ControlPlaneConfigError';
    this.problems = problems;
  }
}

const SERVER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOP_LEVEL_KEYS = new Set([
  'listen', 'serverId', 'dataDir', 'redisUrl', 'redisKeyPrefix', 'tls', 'activationTtlMs', 'heartbeatMs', 'statusIntervalMs',
  'requestTimeout', 'rateLimits', 'alertThresholds', 'publicUrl', 'trustProxy', 'logLevel',
]);

/** The embedded control plane's data dir inside a gateway's data dir (`tidegate serve`). */
export function embeddedControlPlaneDir(gatewayDataDir: string): string {
  return join(gatewayDataDir, 'control-plane');
}

/** A fresh server id: `cp-` and 8 hex digits. */
export function newServerId(): string {
  return `cp-${randomBytes(4).toString('hex')}`;
}

/** Validate, fill defaults, deep-freeze. Throws ControlPlaneConfigError listing every problem. */
export function validateControlPlaneConfig(input: ControlPlaneConfigInput): ControlPlaneConfig {
  const problems: string[] = [];
  const raw = input as unknown as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) throw new ControlPlaneConfigError(['the configuration must be an object']);
  for (const key of Object.keys(raw)) if (!TOP_LEVEL_KEYS.has(key)) problems.push(`unknown option "${key}"`);

  const listen = checkListen(input.listen, problems);
  const serverId = input.serverId ?? newServerId();
  if (typeof serverId !== 'string' || !SERVER_ID_RE.test(serverId)) {
    problems.push(`serverId must be 1-64 letters, digits, ".", "_" or "-" (got ${JSON.stringify(serverId)})`);
  }
  if (typeof input.dataDir !== 'string' || !isAbsolute(input.dataDir)) problems.push(`dataDir must be an absolute path (got ${JSON.stringify(input.dataDir)})`);

  const redisUrl = input.redisUrl ?? null;
  if (redisUrl !== null && !isUrlWithProtocol(redisUrl, ['redis:', 'rediss:'])) problems.push(`redisUrl must be a redis:// or rediss:// URL (got ${JSON.stringify(redisUrl)})`);
  const keyPrefix = input.redisKeyPrefix ?? CONTROL_PLANE_DEFAULTS.redisKeyPrefix;
  if (typeof keyPrefix !== 'string' || keyPrefix.length > 64) problems.push('redisKeyPrefix must be a string of at most 64 characters');

  const tls = checkTls(input.tls ?? {}, problems);
  const activationTtlMs = positiveInt('activationTtlMs', input.activationTtlMs, CONTROL_PLANE_DEFAULTS.activationTtlMs, problems, { min: 1000, max: 24 * 3600_000 });
  const heartbeatMs = positiveInt('heartbeatMs', input.heartbeatMs, CONTROL_PLANE_DEFAULTS.heartbeatMs, problems, { min: 50, max: 300_000 });
  const statusIntervalMs = positiveInt('statusIntervalMs', input.statusIntervalMs, CONTROL_PLANE_DEFAULTS.statusIntervalMs, problems, { min: 100, max: 3600_000 });

  const rt = objectOf('requestTimeout', input.requestTimeout, ['defaultMs', 'maxMs'], problems);
  const maxMs = positiveInt('requestTimeout.maxMs', rt.maxMs, CONTROL_PLANE_DEFAULTS.requestTimeout.maxMs, problems, { min: 100, max: 600_000 });
  const defaultMs = positiveInt('requestTimeout.defaultMs', rt.defaultMs, Math.min(CONTROL_PLANE_DEFAULTS.requestTimeout.defaultMs, maxMs), problems, { min: 100, max: 600_000 });
  if (defaultMs > maxMs) problems.push(`requestTimeout.defaultMs (${defaultMs}) must not exceed requestTimeout.maxMs (${maxMs})`);

  const rl = objectOf('rateLimits', input.rateLimits, ['registerPerMinute', 'failedSubmissionsPerMinute'], problems);
  const registerPerMinute = positiveInt('rateLimits.registerPerMinute', rl.registerPerMinute, CONTROL_PLANE_DEFAULTS.rateLimits.registerPerMinute, problems, { min: 1, max: 1_000_000 });
  const failedSubmissionsPerMinute = positiveInt('rateLimits.failedSubmissionsPerMinute', rl.failedSubmissionsPerMinute, CONTROL_PLANE_DEFAULTS.rateLimits.failedSubmissionsPerMinute, problems, { min: 1, max: 1_000_000 });

  let alertThresholds: Readonly<AlertThresholds> = DEFAULT_ALERT_THRESHOLDS;
  try {
    alertThresholds = resolveAlertThresholds(input.alertThresholds ?? {});
  } catch (err) {
    problems.push(`alertThresholds: ${(err as Error).message}`);
  }

  const publicUrl = input.publicUrl ?? null;
  if (publicUrl !== null && !isUrlWithProtocol(publicUrl, ['https:'])) problems.push(`publicUrl must be an https:// URL (got ${JSON.stringify(publicUrl)})`);
  const trustProxy = input.trustProxy ?? false;
  if (typeof trustProxy !== 'boolean') problems.push('trustProxy must be true or false');
  const logLevel = input.logLevel ?? 'info';
  if (!CONTROL_PLANE_LOG_LEVELS.includes(logLevel)) problems.push(`logLevel must be one of ${CONTROL_PLANE_LOG_LEVELS.join(', ')} (got ${JSON.stringify(logLevel)})`);

  if (problems.length > 0) throw new ControlPlaneConfigError(problems);
  return deepFreeze({
    listen,
    serverId,
    dataDir: input.dataDir,
    redis: redisUrl === null ? null : { url: redisUrl, keyPrefix },
    tls,
    activationTtlMs,
    heartbeatMs,
    statusIntervalMs,
    requestTimeout: { defaultMs, maxMs },
    rateLimits: { registerPerMinute, failedSubmissionsPerMinute },
    alertThresholds,
    publicUrl: publicUrl === null ? null : publicUrl.replace(/\/+$/, ''),
    trustProxy,
    logLevel,
  });
}

function checkListen(value: ControlPlaneConfigInput['listen'], problems: string[]): ListenAddress {
  const dflt = CONTROL_PLANE_DEFAULTS.listen;
  if (value === undefined) return dflt;
  if (typeof value === 'string') {
    try {
      return parseListenAddress(value, dflt.host);
    } catch (err) {
      problems.push(`listen: ${(err as Error).message}`);
      return dflt;
    }
  }
  if (typeof value !== 'object' || value === null) {
    problems.push('listen must be "host:port" or {host, port}');
    return dflt;
  }
  const host = value.host ?? dflt.host;
  const port = value.port ?? dflt.port;
  if (typeof host !== 'string' || !isValidHostName(host)) problems.push(`listen.host is not a valid IP address or host name (got ${JSON.stringify(host)})`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`listen.port must be an integer 0-65535 (got ${JSON.stringify(port)})`);
  return { host, port };
}

function checkTls(value: NonNullable<ControlPlaneConfigInput['tls']>, problems: string[]): TlsConfig {
  const t = objectOf('tls', value, ['names', 'certFile', 'keyFile', 'caFile'], problems);
  const names = (t.names ?? []) as unknown;
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || !isValidHostName(n))) {
    problems.push(`tls.names must be host names or IP addresses (got ${JSON.stringify(names)})`);
  }
  const file = (name: string, v: unknown): string | null => {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || !isAbsolute(v)) problems.push(`tls.${name} must be an absolute path (got ${JSON.stringify(v)})`);
    return v as string;
  };
  const certFile = file('certFile', t.certFile);
  const keyFile = file('keyFile', t.keyFile);
  const caFile = file('caFile', t.caFile);
  if ((certFile === null) !== (keyFile === null)) problems.push('tls.certFile and tls.keyFile go together');
  if (caFile !== null && certFile === null) problems.push('tls.caFile needs tls.certFile and tls.keyFile');
  return { names: Array.isArray(names) ? [...new Set(names as string[])] : [], certFile, keyFile, caFile };
}

function objectOf<K extends string>(path: string, value: unknown, keys: readonly K[], problems: string[]): Partial<Record<K, unknown>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${path} must be an object`);
    return {};
  }
  for (const key of Object.keys(value)) if (!(keys as readonly string[]).includes(key)) problems.push(`unknown option "${path}.${key}"`);
  return value as Partial<Record<K, unknown>>;
}

function positiveInt(path: string, value: unknown, dflt: number, problems: string[], range: { min: number; max: number }): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    problems.push(`${path} must be an integer from ${range.min} to ${range.max} (got ${JSON.stringify(value)})`);
    return dflt;
  }
  return value;
}

function isUrlWithProtocol(text: unknown, protocols: readonly string[]): boolean {
  if (typeof text !== 'string') return false;
  try {
    return protocols.includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
