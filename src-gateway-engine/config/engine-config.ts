/**
 * The engine's configuration: validated once by `validateEngineConfig`, deep-frozen, and
 * passed down. The engine never reads env or files itself; main (or the headless entry)
 * builds the input and hands it over.
 *
 * Validation collects every problem, each named by its path
 * ("writeLog.capacityBytes must be a positive integer …"), and throws one
 * EngineConfigError (code INVALID_ARGUMENT) listing them all. Unknown keys are errors
 * (typos must not silently fall back to defaults), except inside `store`, which is passed
 * through to the object-store factory after its known fields are checked.
 *
 * Size fields accept a number of bytes or a size string ("4GiB", "64MiB"; see size.ts).
 * Address fields accept `{ host, port }` (either may be omitted and defaults), a string
 * ("127.0.0.1:10809", ":10809", "[::1]:10809", "10809"), or `null` to disable the listener.
 */
import { isAbsolute } from 'node:path';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { LOG_LEVELS, isLogLevel, type LogLevel } from '../log/log-level.js';
import { ENGINE_DEFAULTS, defaultStorePath } from './defaults.js';
import { isValidHost, isValidPort, parseHostPort, type HostPort } from './host-port.js';
import { parseSize } from './size.js';
import { parseStoreUrl, type StoreConfig as ParsedStoreConfig } from '../objectstore/store-url.js';
import { pathToFileURL } from 'node:url';
import { controlPlaneOrigin } from '../control/control-plane-url.js';

/**
 * Where volume data lives: a parsed store URL (objectstore/store-url.ts is the one parser).
 * The validator re-parses `url`, so a config can never hold fields that disagree with it.
 */
export type StoreConfig = ParsedStoreConfig;

/**
 * When the write log calls fsync. Crash semantics in plain words:
 *
 * - 'flush' (default): a write is acknowledged once it is appended to the write log,
 *   before it reaches the disk platter. The log is fsynced when a client sends FUA or
 *   FLUSH (SYNCHRONIZE CACHE); those requests are acknowledged only after the fsync.
 *   After kill -9 or power loss, every write acknowledged before a completed FLUSH, and
 *   every FUA write, is there; later unflushed writes may be missing, but only as a tail
 *   of the write sequence — never a hole in the middle and never a torn block. This is how
 *   a disk with a volatile write cache behaves, and file systems and databases on the
 *   clients already send FLUSH when they need it.
 *
 * - 'always': every write is fsynced before it is acknowledged, as if each carried FUA.
 *   After kill -9 or power loss every acknowledged write is there. Costs one fsync per
 *   write (concurrent writes share one through group commit): much slower on disks without
 *   power-loss protection. For clients that never send FLUSH.
 *
 * Either way, a failed fsync stops the volume (VOLUME_FAILED) rather than guessing.
 */
export type SyncPolicy = 'flush' | 'always';

/** The local write log ("upload buffer"): every write is made durable here before upload. */
export interface WriteLogConfig {
  /**
   * Bytes of disk the log may use. When it fills (the store is slow or down), writers are
   * slowed until the uploader frees sealed segments; writes never fail for it and data is
   * never dropped. Must hold at least two segments.
   */
  readonly capacityBytes: number;
  /** Size of one log segment file; the unit of sealing, upload and reclaim. Multiple of 4096. */
  readonly segmentBytes: number;
  readonly syncPolicy: SyncPolicy;
  /**
   * Most bytes of uploaded segments' files each volume's log keeps to overwrite (within
   * capacityBytes). Their pages stay in the page cache, so this bounds the memory they take
   * from the read cache; 0 turns recycling off. Default: a sixteenth of the machine's memory.
   */
  readonly keptFilesMaxBytes: number;
}

/** The local read cache. Speed only: losing it loses nothing (un-uploaded data is in the write log). */
export interface CacheConfig {
  readonly capacityBytes: number;
  /** Cache granularity in bytes: a power of two from 4096 to 1 MiB (default 4096). */
  readonly blockSize: number;
}

/**
 * The uploader. These settle when data reaches the object store (the recovery point), never
 * local durability: a slow or stopped upload only ages the recovery point and fills the log.
 */
export interface UploadConfig {
  /** Parallel object PUTs (1–64). Objects may complete out of order; the volume head is committed in order. */
  readonly concurrency: number;
  /** Target size of one data object (up to 128 MiB: the block map addresses 64 Ki blocks per object). */
  readonly objectBytes: number;
  /** Upload rate limit in bytes per second; 0 = unlimited. */
  readonly bandwidthBytesPerSec: number;
  /** First retry delay after a transient store error, in ms (doubles per attempt, with jitter). */
  readonly retryBaseMs: number;
  /** Longest retry delay in ms; retries go on forever at this spacing (data is never dropped). */
  readonly retryMaxMs: number;
  /**
   * Longest a write waits for its upload while clients keep its volume busy (uploads yield to
   * a burst of I/O; the write is durable in the log meanwhile), in seconds; 0 = never wait.
   */
  readonly deferWhileBusySeconds: number;
}

/** How the NBD and iSCSI servers serve their clients. */
export interface ProtocolsConfig {
  /**
   * After replies leave, keep polling the client sockets without sleeping for this long, in
   * µs (protocols/common/busy-poll.ts): trades CPU for latency at queue depth 1; it pauses
   * itself when clients do not answer that fast. 0 = never poll.
   */
  readonly busyPollMicroseconds: number;
}

/**
 * The gateway's side of the control plane (docs/control-plane.md). Timings are the spec's;
 * tests shorten them. The control plane's own values win where it sends them (the welcome's
 * heartbeat and status interval).
 */
export interface ControlConfig {
  /** The embedded control plane this gateway runs (`https://127.0.0.1:9443`), or null for none. */
  readonly embeddedUrl: string | null;
  /** Absolute path of the embedded control plane's CA certificate (trusted for it before activation), or null. */
  readonly embeddedCaFile: string | null;
  /** Management-connection heartbeat until the server's welcome names one, ms. */
  readonly heartbeatMs: number;
  /** Reconnect backoff: first delay scale, ms (full jitter, doubling per attempt). */
  readonly reconnectBaseMs: number;
  /** Reconnect backoff: longest delay, ms. */
  readonly reconnectMaxMs: number;
  /** A connection that lived this long resets the backoff, ms. */
  readonly reconnectResetMs: number;
  /** Status push interval until the server's welcome names one, ms. */
  readonly statusIntervalMs: number;
  /** Time between activation claims, ms. */
  readonly claimPollMs: number;
  /** One HTTPS call to the control plane, connect to last byte, ms. */
  readonly requestTimeoutMs: number;
}

/** The validated, deep-frozen engine configuration. */
export interface EngineConfig {
  /** This gateway's identity (1–128 of letters, digits, '.', '_', '-'; starts alphanumeric). */
  readonly gatewayId: string;
  /** Absolute path of the engine's local state (write log, cache, state files). */
  readonly dataDir: string;
  readonly store: StoreConfig;
  /** NBD listener, or null for none. */
  readonly nbd: HostPort | null;
  /** iSCSI portal, or null for none. */
  readonly iscsi: HostPort | null;
  /** Prometheus /metrics listener, or null for none. */
  readonly metrics: HostPort | null;
  readonly writeLog: WriteLogConfig;
  readonly cache: CacheConfig;
  readonly upload: UploadConfig;
  readonly protocols: ProtocolsConfig;
  /** Minimum level of the engine's logs. */
  readonly logLevel: LogLevel;
  readonly control: ControlConfig;
  /**
   * Which settings an administrator can also change at runtime were given in the input (e.g.
   * from `serve` flags) rather than filled from defaults. Explicit ones win over the values
   * the engine keeps in DATA_DIR/settings.json; defaulted ones yield to them
   * (config/runtime-settings.ts).
   */
  readonly explicit: ExplicitSettings;
}

/** Runtime-adjustable settings present in the config input (see `EngineConfig.explicit`). */
export interface ExplicitSettings {
  readonly cacheCapacityBytes: boolean;
  readonly writeLogCapacityBytes: boolean;
  readonly uploadBandwidthBytesPerSec: boolean;
}

/** A size in bytes or a size string such as "4GiB". */
export type SizeInput = number | string;
/** `{ host?, port? }`, "host:port", or null to disable. */
export type HostPortInput = { host?: string; port?: number } | string | null;

/** What callers may pass to `validateEngineConfig` (everything but gatewayId and dataDir is optional). */
export interface EngineConfigInput {
  gatewayId: string;
  dataDir: string;
  /** A parsed store (from parseStoreUrl) or a store URL string. */
  store?: StoreConfig | string;
  nbd?: HostPortInput;
  iscsi?: HostPortInput;
  metrics?: HostPortInput;
  writeLog?: { capacityBytes?: SizeInput; segmentBytes?: SizeInput; syncPolicy?: SyncPolicy; keptFilesMaxBytes?: SizeInput };
  cache?: { capacityBytes?: SizeInput; blockSize?: SizeInput };
  upload?: {
    concurrency?: number;
    objectBytes?: SizeInput;
    bandwidthBytesPerSec?: SizeInput;
    retryBaseMs?: number;
    retryMaxMs?: number;
    deferWhileBusySeconds?: number;
  };
  protocols?: { busyPollMicroseconds?: number };
  logLevel?: LogLevel;
  control?: {
    embeddedUrl?: string | null;
    embeddedCaFile?: string | null;
    heartbeatMs?: number;
    reconnectBaseMs?: number;
    reconnectMaxMs?: number;
    reconnectResetMs?: number;
    statusIntervalMs?: number;
    claimPollMs?: number;
    requestTimeoutMs?: number;
  };
}

/** One validation problem. */
export interface ConfigIssue {
  /** Dotted path of the field, e.g. "writeLog.capacityBytes" ("" for the whole config). */
  readonly path: string;
  /** The full sentence, starting with the path. */
  readonly message: string;
}

/** Thrown by `validateEngineConfig`; `issues` lists every problem found. */
export class EngineConfigError extends TidegateError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const head = issues.length === 1 ? issues[0]!.message : `${issues.length} problems: ${issues.map((i) => i.message).join('; ')}`;
    super(ErrorCode.InvalidArgument, `invalid engine config: ${head}`);
    this.name = 'EngineConfigError';
    this.issues = Object.freeze(issues.map((i) => Object.freeze({ ...i })));
  }
}

const GATEWAY_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** The block map stores offsets inside an object in 16 bits of 4 KiB blocks (docs/formats/remote.md). */
const MAX_OBJECT_BYTES = 128 * 1024 ** 2;
const SIZE_HINT = 'a number of bytes or a size string like "4GiB"';

/** Validates `input` once and returns a deep-frozen EngineConfig. Throws EngineConfigError (INVALID_ARGUMENT). */
export function validateEngineConfig(input: unknown): Readonly<EngineConfig> {
  const v = new Validator();
  const root = v.object(input, '', true);
  if (root === undefined) throw new EngineConfigError(v.issues);
  v.noUnknownKeys(root, '', ['gatewayId', 'dataDir', 'store', 'nbd', 'iscsi', 'metrics', 'writeLog', 'cache', 'upload', 'protocols', 'logLevel', 'control']);

  const gatewayId = v.required(root, 'gatewayId', (x, p) =>
    typeof x === 'string' && GATEWAY_ID_RE.test(x)
      ? x
      : v.fail(p, 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit', x),
  );
  const dataDir = v.required(root, 'dataDir', (x, p) =>
    typeof x === 'string' && x !== '' && isAbsolute(x) ? x : v.fail(p, 'must be an absolute path', x),
  );
  const store = validateStore(v, root.store, dataDir);
  const nbd = v.hostPort(root.nbd, 'nbd', ENGINE_DEFAULTS.nbd);
  const iscsi = v.hostPort(root.iscsi, 'iscsi', ENGINE_DEFAULTS.iscsi);
  const metrics = v.hostPort(root.metrics, 'metrics', ENGINE_DEFAULTS.metrics);
  const listeners: [string, HostPort | null | undefined][] = [['nbd', nbd], ['iscsi', iscsi], ['metrics', metrics]];
  for (let i = 0; i < listeners.length; i++) {
    for (let j = i + 1; j < listeners.length; j++) {
      const [an, a] = listeners[i]!;
      const [bn, b] = listeners[j]!;
      if (a && b && a.port !== 0 && a.port === b.port && sameHostOrWildcard(a.host, b.host)) v.fail(`${bn}.port`, `must differ from ${an}.port (both ${a.port})`);
    }
  }

  const wlIn = v.section(root, 'writeLog', ['capacityBytes', 'segmentBytes', 'syncPolicy', 'keptFilesMaxBytes']);
  const d = ENGINE_DEFAULTS;
  const writeLog = {
    capacityBytes: v.size(wlIn, 'writeLog', 'capacityBytes', d.writeLog.capacityBytes, { min: 1 }),
    segmentBytes: v.size(wlIn, 'writeLog', 'segmentBytes', d.writeLog.segmentBytes, { min: 4096, multipleOf: 4096 }),
    syncPolicy: v.oneOf(wlIn, 'writeLog', 'syncPolicy', d.writeLog.syncPolicy, ['flush', 'always'] as const),
    keptFilesMaxBytes: v.size(wlIn, 'writeLog', 'keptFilesMaxBytes', d.writeLog.keptFilesMaxBytes, { min: 0 }),
  };
  if (writeLog.capacityBytes !== undefined && writeLog.segmentBytes !== undefined && writeLog.capacityBytes < 2 * writeLog.segmentBytes) {
    v.fail('writeLog.capacityBytes', `must hold at least two segments (2 × writeLog.segmentBytes = ${2 * writeLog.segmentBytes})`, writeLog.capacityBytes);
  }

  const cacheIn = v.section(root, 'cache', ['capacityBytes', 'blockSize']);
  const cache = {
    capacityBytes: v.size(cacheIn, 'cache', 'capacityBytes', d.cache.capacityBytes, { min: 1 }),
    blockSize: v.size(cacheIn, 'cache', 'blockSize', d.cache.blockSize, { min: 4096, max: 1024 * 1024, powerOfTwo: true }),
  };
  if (cache.capacityBytes !== undefined && cache.blockSize !== undefined && cache.capacityBytes < cache.blockSize) {
    v.fail('cache.capacityBytes', `must be at least cache.blockSize (${cache.blockSize})`, cache.capacityBytes);
  }

  const upIn = v.section(root, 'upload', ['concurrency', 'objectBytes', 'bandwidthBytesPerSec', 'retryBaseMs', 'retryMaxMs', 'deferWhileBusySeconds']);
  const upload = {
    concurrency: v.int(upIn, 'upload', 'concurrency', d.upload.concurrency, 1, 64),
    objectBytes: v.size(upIn, 'upload', 'objectBytes', d.upload.objectBytes, { min: 1, max: MAX_OBJECT_BYTES }),
    bandwidthBytesPerSec: v.size(upIn, 'upload', 'bandwidthBytesPerSec', d.upload.bandwidthBytesPerSec, { min: 0 }),
    retryBaseMs: v.int(upIn, 'upload', 'retryBaseMs', d.upload.retryBaseMs, 1, 3_600_000),
    retryMaxMs: v.int(upIn, 'upload', 'retryMaxMs', d.upload.retryMaxMs, 1, 3_600_000),
    deferWhileBusySeconds: v.int(upIn, 'upload', 'deferWhileBusySeconds', d.upload.deferWhileBusySeconds, 0, 3600),
  };
  if (upload.retryBaseMs !== undefined && upload.retryMaxMs !== undefined && upload.retryMaxMs < upload.retryBaseMs) {
    v.fail('upload.retryMaxMs', `must be at least upload.retryBaseMs (${upload.retryBaseMs})`, upload.retryMaxMs);
  }

  const protocolsIn = v.section(root, 'protocols', ['busyPollMicroseconds']);
  const protocols = {
    busyPollMicroseconds: v.int(protocolsIn, 'protocols', 'busyPollMicroseconds', d.protocols.busyPollMicroseconds, 0, 1000),
  };

  const logLevel =
    root.logLevel === undefined
      ? d.logLevel
      : isLogLevel(root.logLevel)
        ? root.logLevel
        : v.fail('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`, root.logLevel);

  const control = validateControl(v, root);

  if (v.issues.length > 0) throw new EngineConfigError(v.issues);
  const config: EngineConfig = {
    gatewayId: gatewayId!,
    dataDir: dataDir!,
    store: store!,
    nbd: nbd!,
    iscsi: iscsi!,
    metrics: metrics!,
    writeLog: writeLog as WriteLogConfig,
    cache: cache as CacheConfig,
    upload: upload as UploadConfig,
    protocols: protocols as ProtocolsConfig,
    logLevel: logLevel!,
    control: control as ControlConfig,
    explicit: {
      cacheCapacityBytes: cacheIn.capacityBytes !== undefined,
      writeLogCapacityBytes: wlIn.capacityBytes !== undefined,
      uploadBandwidthBytesPerSec: upIn.bandwidthBytesPerSec !== undefined,
    },
  };
  return deepFreeze(config);
}

function validateControl(v: Validator, root: Record<string, unknown>): Partial<ControlConfig> {
  const keys = ['embeddedUrl', 'embeddedCaFile', 'heartbeatMs', 'reconnectBaseMs', 'reconnectMaxMs', 'reconnectResetMs', 'statusIntervalMs', 'claimPollMs', 'requestTimeoutMs'] as const;
  const c = v.section(root, 'control', keys);
  const d = ENGINE_DEFAULTS.control;
  let embeddedUrl: string | null | undefined = null;
  if (c.embeddedUrl !== undefined && c.embeddedUrl !== null) {
    try {
      embeddedUrl = typeof c.embeddedUrl === 'string' ? controlPlaneOrigin(c.embeddedUrl) : v.fail('control.embeddedUrl', 'must be an https://host:port URL or null', c.embeddedUrl);
    } catch (err) {
      embeddedUrl = v.fail('control.embeddedUrl', `must be an https://host:port URL or null: ${(err as Error).message}`);
    }
  }
  const embeddedCaFile =
    c.embeddedCaFile === undefined || c.embeddedCaFile === null
      ? null
      : typeof c.embeddedCaFile === 'string' && isAbsolute(c.embeddedCaFile)
        ? c.embeddedCaFile
        : v.fail('control.embeddedCaFile', 'must be an absolute path or null', c.embeddedCaFile);
  const HOUR = 3_600_000;
  const out = {
    embeddedUrl,
    embeddedCaFile,
    heartbeatMs: v.int(c, 'control', 'heartbeatMs', d.heartbeatMs, 10, HOUR),
    reconnectBaseMs: v.int(c, 'control', 'reconnectBaseMs', d.reconnectBaseMs, 1, HOUR),
    reconnectMaxMs: v.int(c, 'control', 'reconnectMaxMs', d.reconnectMaxMs, 1, HOUR),
    reconnectResetMs: v.int(c, 'control', 'reconnectResetMs', d.reconnectResetMs, 1, 24 * HOUR),
    statusIntervalMs: v.int(c, 'control', 'statusIntervalMs', d.statusIntervalMs, 10, HOUR),
    claimPollMs: v.int(c, 'control', 'claimPollMs', d.claimPollMs, 10, HOUR),
    requestTimeoutMs: v.int(c, 'control', 'requestTimeoutMs', d.requestTimeoutMs, 100, HOUR),
  };
  if (out.reconnectBaseMs !== undefined && out.reconnectMaxMs !== undefined && out.reconnectMaxMs < out.reconnectBaseMs) {
    v.fail('control.reconnectMaxMs', `must be at least control.reconnectBaseMs (${out.reconnectBaseMs})`, out.reconnectMaxMs);
  }
  return out as Partial<ControlConfig>;
}

function validateStore(v: Validator, x: unknown, dataDir: string | undefined): StoreConfig | undefined {
  if (x === undefined) return dataDir === undefined ? undefined : parseStoreUrl(pathToFileURL(defaultStorePath(dataDir)).href);
  const url = typeof x === 'string' ? x : typeof x === 'object' && x !== null && typeof (x as { url?: unknown }).url === 'string' ? (x as { url: string }).url : undefined;
  if (url === undefined) return v.fail('store', 'must be a store URL or a parsed store with its url', x);
  try {
    return parseStoreUrl(url);
  } catch (err) {
    return v.fail('store', (err as Error).message, url);
  }
}


function sameHostOrWildcard(a: string, b: string): boolean {
  const wild = (h: string): boolean => h === '0.0.0.0' || h === '::';
  return a === b || wild(a) || wild(b);
}

/** Shows a rejected value in an error message, briefly. */
function show(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  switch (typeof x) {
    case 'string':
      return x.length > 60 ? `${JSON.stringify(x.slice(0, 57))}…` : JSON.stringify(x);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(x);
    case 'object':
      return 'an object';
    default:
      return `a ${typeof x}`;
  }
}

interface SizeRule {
  min: number;
  max?: number;
  multipleOf?: number;
  powerOfTwo?: boolean;
}

class Validator {
  readonly issues: ConfigIssue[] = [];

  /** Records a problem; returns undefined so callers can `return v.fail(...)`. */
  fail(path: string, what: string, ...got: [] | [unknown]): undefined {
    const gotText = got.length === 1 ? ` (got ${show(got[0])})` : '';
    this.issues.push({ path, message: `${path === '' ? 'config' : path} ${what}${gotText}` });
    return undefined;
  }

  object(x: unknown, path: string, required: boolean): Record<string, unknown> | undefined {
    if (x === undefined && !required) return undefined;
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return this.fail(path, 'must be an object', x);
    const proto = Object.getPrototypeOf(x) as unknown;
    if (proto !== Object.prototype && proto !== null) return this.fail(path, 'must be a plain object', x);
    return x as Record<string, unknown>;
  }

  noUnknownKeys(obj: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.issues.push({ path: join(path, key), message: `${join(path, key)} is not a known setting (known: ${allowed.join(', ')})` });
      }
    }
  }

  required<T>(obj: Record<string, unknown>, key: string, check: (x: unknown, path: string) => T | undefined): T | undefined {
    if (obj[key] === undefined) return this.fail(key, 'is required');
    return check(obj[key], key);
  }

  /** An optional sub-object; returns {} when absent or invalid (the error is recorded). */
  section(root: Record<string, unknown>, key: string, allowed: readonly string[]): Record<string, unknown> {
    const obj = this.object(root[key], key, false);
    if (obj === undefined) return {};
    this.noUnknownKeys(obj, key, allowed);
    return obj;
  }

  size(obj: Record<string, unknown>, section: string, key: string, dflt: number, rule: SizeRule): number | undefined {
    const path = join(section, key);
    const x = obj[key];
    if (x === undefined) return dflt;
    const floor = rule.min > 0 ? 1 : 0;
    const kind = floor === 1 ? 'a positive integer' : 'a non-negative integer';
    let n: number;
    if (typeof x === 'number') {
      if (!Number.isSafeInteger(x) || x < floor) return this.fail(path, `must be ${kind} (${SIZE_HINT})`, x);
      n = x;
    } else if (typeof x === 'string') {
      try {
        n = parseSize(x);
      } catch (err) {
        return this.fail(path, `must be ${kind} (${SIZE_HINT}): ${err instanceof Error ? err.message : String(err)}`);
      }
      if (n < floor) return this.fail(path, `must be ${kind} (${SIZE_HINT})`, x);
    } else {
      return this.fail(path, `must be ${kind} (${SIZE_HINT})`, x);
    }
    if (n < rule.min) return this.fail(path, `must be at least ${rule.min}`, x);
    if (rule.max !== undefined && n > rule.max) return this.fail(path, `must be at most ${rule.max}`, x);
    if (rule.multipleOf !== undefined && n % rule.multipleOf !== 0) return this.fail(path, `must be a multiple of ${rule.multipleOf}`, x);
    if (rule.powerOfTwo && (n & (n - 1)) !== 0) return this.fail(path, 'must be a power of two', x);
    return n;
  }

  int(obj: Record<string, unknown>, section: string, key: string, dflt: number, min: number, max: number): number | undefined {
    const path = join(section, key);
    const x = obj[key];
    if (x === undefined) return dflt;
    if (typeof x !== 'number' || !Number.isSafeInteger(x)) return this.fail(path, `must be an integer from ${min} to ${max}`, x);
    if (x < min || x > max) return this.fail(path, `must be an integer from ${min} to ${max}`, x);
    return x;
  }

  oneOf<T extends string>(obj: Record<string, unknown>, section: string, key: string, dflt: T, allowed: readonly T[]): T | undefined {
    const x = obj[key];
    if (x === undefined) return dflt;
    if (typeof x === 'string' && (allowed as readonly string[]).includes(x)) return x as T;
    return this.fail(join(section, key), `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, x);
  }

  /** undefined → default; null → disabled; "host:port"; or { host?, port? } merged over the default. */
  hostPort(x: unknown, path: string, dflt: HostPort): HostPort | null | undefined {
    if (x === undefined) return { host: dflt.host, port: dflt.port };
    if (x === null) return null;
    if (typeof x === 'string') {
      try {
        return parseHostPort(x, dflt.host);
      } catch (err) {
        return this.fail(path, `must be "host:port", ":port", "port", an object { host, port } or null: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const obj = this.object(x, path, true);
    if (obj === undefined) return undefined;
    this.noUnknownKeys(obj, path, ['host', 'port']);
    let ok = true;
    const host = obj.host ?? dflt.host;
    const port = obj.port ?? dflt.port;
    if (typeof host !== 'string' || !isValidHost(host)) {
      this.fail(`${path}.host`, 'must be an IP address or host name', host);
      ok = false;
    }
    if (!isValidPort(port)) {
      this.fail(`${path}.port`, 'must be an integer from 0 to 65535', port);
      ok = false;
    }
    return ok ? { host: host as string, port: port as number } : undefined;
  }
}

function join(section: string, key: string): string {
  return section === '' ? key : `${section}.${key}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
