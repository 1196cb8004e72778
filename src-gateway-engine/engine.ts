/**
 * The composition root: builds each volume's stack bottom-up (store → remote image → write
 * log → cache/primary disk → volume → checked/stats wrappers → NBD export) and serves the
 * one command API. Configuration arrives validated and frozen; the engine reads only its
 * own data dir.
 *
 * Data dir layout:
 *   engine.lock                 pid of the engine using this dir (one engine per dir)
 *   control.sock                the command API socket (0600)
 *   settings.json               capacities and bandwidth changed at runtime (config/runtime-settings.ts)
 *   cache/                      block cache (disposable)
 *   metrics/YYYY-MM-DD.jsonl    minute metric history, 14 days (metrics/metric-history-store.ts)
 *   volumes/<name>/local.json   what this gateway knows of a volume (volume/local-volume-record.ts)
 *   volumes/<name>/wal/         the volume's write log (its share of the upload buffer)
 *   store/                      the default local-folder object store
 *   control/                    control-plane identity and credentials (0700; see control/activation-store.ts)
 */
import { mkdir, readFile, readdir, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockCache } from './cache/index.js';
import { MAX_SLOTS } from './cache/cache-format.js';
import type { EngineConfig } from './config/index.js';
import { RuntimeSettingsFile, startSettings, type StartSettings } from './config/runtime-settings.js';
import { CheckedDevice, StatsFilter, latencyQuantile, type BlockDevice } from './device/index.js';
import { ErrorCode, TidegateError } from './errors/index.js';
import { LogRing, isLogLevel, levelRank, teeLogger, type Logger, type LogLevel } from './log/index.js';
import { GatewayControl } from './control/gateway-control.js';
import { IoWaitMeter } from './control/io-wait-meter.js';
import { RetryingStore, openStore, type ObjectStore, type RetryOptions, type StoreConfig } from './objectstore/index.js';
import { NbdServer } from './protocols/nbd/index.js';
import { BusyPoll } from './protocols/common/busy-poll.js';
import { IscsiServer, TargetTable, isIscsiName, targetNameOf, validateChapCredentials, validateIscsiTargetName, type ExportedVolume } from './protocols/iscsi/index.js';
import { RemoteVolume } from './remote/remote-volume.js';
import { BLOCK_SIZE } from './remote/remote-format.js';
import type { VolumeDescriptor } from './remote/volume-descriptor.js';
import { acquireDataDirLock, type DataDirLock } from './runtime/data-dir-lock.js';
import type {
  BandwidthSettings,
  CommandParams,
  CreateVolumeParams,
  EngineCommandApi,
  IscsiAccessParams,
  EngineStatus,
  LogLine,
  RecoverResult,
  RecoveryPoint,
  StorageInfo,
  VolumeClient,
  VolumeInfo,
} from './runtime/engine-commands.js';
import { buildEngineMetrics, type EngineMetrics } from './metrics/engine-metrics.js';
import { MetricHistory, type MetricLevels, type MetricSource, type VolumeCounterTotals } from './metrics/metric-history.js';
import { filesystemSpace } from './storage/filesystem-space.js';
import { MIN_WRITE_LOG_BYTES, planStorageChange } from './storage/storage-change.js';
import { storageWarnings } from './storage/storage-warnings.js';
import { BandwidthController } from './upload/bandwidth-controller.js';
import { isNbdExported, parseLocalVolumeRecord, type LocalVolumeRecord } from './volume/local-volume-record.js';
import { PrimaryDisk } from './volume/primary-disk.js';
import { Volume } from './volume/volume.js';
import { validateVolumeName } from './config/volume-name.js';
import { WriteLog } from './writelog/write-log.js';

/** Largest volumes, as the product promises them. */
export const MAX_CACHED_VOLUME_BYTES = 32 * 1024 ** 4;
export const MAX_STORED_VOLUME_BYTES = 16 * 1024 ** 4;

/** How often each volume confirms it is still the owner in the store. */
const OWNER_CHECK_INTERVAL_MS = 5_000;

/** Continuous upload failure after which a volume shows 'degraded'. */
const DEGRADED_AFTER_MS = 10_000;

/** Log lines kept in memory for `logs.recent` and the control plane's status samples. */
const LOG_RING_CAPACITY = 1_000;
/** Most lines one `logs.recent` call returns; the default when none is asked. */
const LOGS_RECENT_MAX = 1_000;
const LOGS_RECENT_DEFAULT = 200;

/** Things tests inject; production passes nothing. */
export interface EngineHooks {
  /** Wrap the object store (fault injection); the engine retries transient errors around the wrapper. */
  wrapStore?: (store: ObjectStore) => ObjectStore;
  /** Retry timing around the wrapped store (tests shorten it). */
  storeRetry?: RetryOptions;
  version?: string;
  /** Jitter of the control-plane reconnect backoff (tests make it deterministic). */
  random?: () => number;
}

interface OpenVolume {
  record: LocalVolumeRecord;
  volume: Volume | undefined;
  stats: StatsFilter | undefined;
  device: CheckedDevice | undefined;
  /** Why the volume could not be opened (owned elsewhere, store down…). */
  openError: TidegateError | undefined;
}

/** A running engine. */
export class Engine {
  readonly config: EngineConfig;
  readonly store: ObjectStore;
  readonly commands: EngineCommandApi;
  private readonly logger: Logger;
  private readonly lock: DataDirLock;
  private readonly cache: BlockCache;
  private readonly volumes = new Map<string, OpenVolume>();
  private nbd: NbdServer | undefined;
  private nbdAddress: string | null = null;
  private iscsi: IscsiServer | undefined;
  private iscsiAddress: string | null = null;
  /** Polls the client sockets briefly after replies (protocols.busyPollMicroseconds); shared by NBD and iSCSI. */
  private readonly busyPoll: BusyPoll;
  private readonly targets: TargetTable;
  private metrics: EngineMetrics | undefined;
  private readonly startedAt = new Date().toISOString();
  private readonly version: string;
  /** The default upload limit, the weekly schedule and the limit in force. */
  private readonly bandwidth: BandwidthController;
  /** Each volume's write-log capacity (its share of the upload buffer); changed by storage.configure. */
  private writeLogCapacityBytes: number;
  private readonly settings: RuntimeSettingsFile;
  private readonly history: MetricHistory;
  /** storage.configure calls run one at a time (each checks what the previous one left). */
  private storageChanges: Promise<unknown> = Promise.resolve();
  private closing = false;
  private readonly ring: LogRing;
  private readonly control: GatewayControl;
  /** IoWaitPercent for status(): measured over at least a second between readers. */
  private readonly ioWait = new IoWaitMeter({ minWindowMs: 1_000 });
  /** IoWaitPercent for the metric history: its own meter, read once a second. */
  private readonly historyIoWait = new IoWaitMeter();

  private constructor(
    config: EngineConfig,
    logger: Logger,
    ring: LogRing,
    store: ObjectStore,
    lock: DataDirLock,
    cache: BlockCache,
    settings: RuntimeSettingsFile,
    initial: StartSettings,
    hooks: EngineHooks,
  ) {
    const version = hooks.version ?? '0.1.0';
    this.config = config;
    this.ring = ring;
    this.logger = logger;
    this.store = store;
    this.lock = lock;
    this.cache = cache;
    this.version = version;
    this.settings = settings;
    this.writeLogCapacityBytes = initial.writeLogCapacityBytes;
    this.commands = {
      status: async () => this.status(),
      'volume.create': (p) => this.createVolume(p),
      'volume.list': async () => this.listVolumes(),
      'volume.delete': (p) => this.deleteVolume(p.name),
      'volume.sync': (p) => this.syncVolume(p.name),
      recover: (p) => this.recover(p.store, p.force ?? false),
      'bandwidth.set': async (p) => {
        // The default limit (outside scheduled windows), as before schedules existed.
        if (typeof p?.bytesPerSec !== 'number') throw new TidegateError(ErrorCode.InvalidArgument, 'bandwidth.set needs { bytesPerSec } (0 = unlimited)');
        return { bytesPerSec: (await this.configureBandwidth({ bytesPerSec: p.bytesPerSec })).bytesPerSec };
      },
      'bandwidth.get': async () => this.bandwidth.settings(),
      'bandwidth.configure': (p) => this.configureBandwidth(p),
      'storage.describe': () => this.describeStorage(),
      'storage.configure': (p) => this.configureStorage(p),
      'metrics.history': (p) => this.history.query(p),
      'volume.iscsi': (p) => this.setIscsiAccess(p),
      'control.activate': (p) => this.control.activate(p),
      'control.status': async () => this.control.status(),
      'logs.recent': async (p) => this.recentLogs(p),
    };
    this.control = new GatewayControl({
      dataDir: config.dataDir,
      localGatewayId: config.gatewayId,
      version,
      config: config.control,
      logger,
      commands: this.commands,
      status: () => this.status(),
      ring,
      ...(hooks.random !== undefined ? { random: hooks.random } : {}),
    });
    this.busyPoll = new BusyPoll({ budgetMicros: config.protocols.busyPollMicroseconds });
    this.bandwidth = new BandwidthController({
      bytesPerSec: initial.uploadBandwidthBytesPerSec,
      schedule: initial.bandwidthSchedule,
      timeZone: () => this.control.status().timezone,
      apply: (rate) => {
        for (const v of this.volumes.values()) v.volume?.uploader.limiter.setRate(rate);
        this.logger.info('upload bandwidth limit in force', { bytesPerSec: rate });
      },
    });
    this.history = new MetricHistory({
      dir: join(config.dataDir, 'metrics'),
      source: this.metricSource(),
      onWarning: (msg, fields) => this.logger.warn(msg, fields),
    });
    this.targets = new TargetTable(
      {
        byTargetName: (targetName) => this.exportedVolume([...this.volumes.values()].find((e) => iscsiTargetNameOf(e.record) === targetName)),
        list: () => [...this.volumes.values()].map((e) => this.exportedVolume(e)).filter((v) => v !== undefined),
      },
      { maxRequestBytes: this.maxRequestBytes, productRevision: version, logger },
    );
  }

  /** Start an engine: lock the data dir, open the store, the cache and every local volume, listen. */
  static async start(config: EngineConfig, logger: Logger, hooks: EngineHooks = {}): Promise<Engine> {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    const lock = await acquireDataDirLock(config.dataDir);
    try {
      let store = openStore(config.store as StoreConfig);
      if (hooks.wrapStore) store = new RetryingStore(hooks.wrapStore(store), hooks.storeRetry);
      await store.ensureBucket();
      // Capacities and bandwidth changed at runtime come back, unless the config sets them explicitly.
      const settings = new RuntimeSettingsFile(config.dataDir);
      const stored = await settings.load((msg, fields) => logger.warn(msg, fields));
      const initial = startSettings(
        config,
        stored,
        { minCacheBytes: BLOCK_SIZE, maxCacheBytes: MAX_SLOTS * BLOCK_SIZE, minWriteLogBytes: Math.max(MIN_WRITE_LOG_BYTES, 2 * config.writeLog.segmentBytes) },
        (msg, fields) => logger.info(msg, fields),
        (msg, fields) => logger.warn(msg, fields),
      );
      const cache = await BlockCache.open({ dir: join(config.dataDir, 'cache'), capacityBytes: initial.cacheCapacityBytes, blockSize: BLOCK_SIZE });
      // Keep recent lines (info and up, or debug when asked for) for logs.recent and the control plane.
      const ring = new LogRing(LOG_RING_CAPACITY);
      const ringLevel: LogLevel = levelRank(config.logLevel) < levelRank('info') ? config.logLevel : 'info';
      const engine = new Engine(config, teeLogger(logger, ring, ringLevel), ring, store, lock, cache, settings, initial, hooks);
      await engine.openLocalVolumes();
      await engine.listen();
      await engine.control.start();
      engine.bandwidth.start();
      // The history is a convenience: a data dir where it cannot be kept still serves.
      await engine.history.start().catch((err: unknown) => engine.logger.warn('metric history unavailable', { error: (err as Error).message }));
      engine.logger.info('engine started', { gatewayId: config.gatewayId, store: store.description, nbd: engine.nbdAddress, volumes: engine.volumes.size });
      return engine;
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /**
   * Largest client read or write: 32 MiB, or less when log segments are small, so that one
   * request (grown by read-modify-write to whole blocks) always fits in one log record.
   */
  get maxRequestBytes(): number {
    const half = Math.floor(this.config.writeLog.segmentBytes / 2 / BLOCK_SIZE) * BLOCK_SIZE;
    return Math.max(BLOCK_SIZE, Math.min(32 * 1024 * 1024, half));
  }

  /** Addresses the engine listens on. */
  get addresses(): { nbd: string | null; iscsi: string | null; metrics: string | null } {
    return { nbd: this.nbdAddress, iscsi: this.iscsiAddress, metrics: this.metrics?.address ?? null };
  }

  /** The checked device of an open volume, as every protocol sees it. */
  device(name: string): BlockDevice {
    const entry = this.requireEntry(name);
    if (!entry.device) throw entry.openError ?? new TidegateError(ErrorCode.VolumeFailed, `volume ${name} is not open`);
    return entry.device;
  }

  /** Stop serving, flush every volume's log, release the data dir. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // The control plane first: no remote command may start while the engine shuts down.
    await this.control.close();
    this.bandwidth.stop();
    await this.history.stop();
    await this.iscsi?.close();
    await this.nbd?.close();
    this.busyPoll.stop();
    await this.metrics?.close();
    for (const v of this.volumes.values()) await v.volume?.close().catch((err) => this.logger.warn('volume close failed', { volume: v.record.name, error: err }));
    await this.cache.close();
    await this.lock.release();
    this.logger.info('engine stopped', {});
  }

  private async listen(): Promise<void> {
    if (this.config.nbd) {
      this.nbd = new NbdServer(
        {
          // A volume created without NBD is, to NBD clients, no export at all.
          lookup: (name) => {
            const e = this.volumes.get(name);
            return e !== undefined && isNbdExported(e.record) ? e.device : undefined;
          },
          list: () => [...this.volumes.values()].filter((v) => v.device && isNbdExported(v.record)).map((v) => ({ name: v.record.name, description: `${v.record.mode} volume` })),
        },
        { logger: this.logger, maxBlockSize: this.maxRequestBytes, poll: this.busyPoll },
      );
      const addr = await this.nbd.listen(this.config.nbd.host, this.config.nbd.port);
      this.nbdAddress = `${addr.address}:${addr.port}`;
    }
    if (this.config.iscsi) {
      this.iscsi = new IscsiServer(this.targets, { logger: this.logger, poll: this.busyPoll });
      const addr = await this.iscsi.listen(this.config.iscsi.host, this.config.iscsi.port);
      this.iscsiAddress = addr.family === 'IPv6' ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
    }
    if (this.config.metrics) {
      this.metrics = await buildEngineMetrics(this.config.metrics, () => this.status(), { activation: () => this.control.status() });
    }
  }

  private volumeDir(name: string): string {
    return join(this.config.dataDir, 'volumes', name);
  }

  private async openLocalVolumes(): Promise<void> {
    const dir = join(this.config.dataDir, 'volumes');
    await mkdir(dir, { recursive: true });
    for (const name of (await readdir(dir)).sort()) {
      const record = await readFile(join(dir, name, 'local.json'), 'utf8').then(parseLocalVolumeRecord, () => undefined);
      if (record === undefined) continue; // a half-created volume folder: nothing of it was acknowledged
      await this.openVolume(record, false);
    }
  }

  /** Open one volume's stack; a failure is recorded and shown, the other volumes go on. */
  private async openVolume(record: LocalVolumeRecord, force: boolean): Promise<OpenVolume> {
    const entry: OpenVolume = { record, volume: undefined, stats: undefined, device: undefined, openError: undefined };
    this.volumes.set(record.name, entry);
    try {
      const remote = await RemoteVolume.open(this.store, record.name, this.config.gatewayId, { force });
      if (remote.descriptor.volumeId !== record.volumeId) {
        throw new TidegateError(ErrorCode.Corrupt, `volume ${record.name} in the store is a different volume (id ${remote.descriptor.volumeId}, expected ${record.volumeId})`);
      }
      const { log, replayed, discardedBytes } = await WriteLog.open({
        dir: join(this.volumeDir(record.name), 'wal'),
        capacityBytes: this.writeLogCapacityBytes,
        segmentBytes: this.config.writeLog.segmentBytes,
        syncPolicy: this.config.writeLog.syncPolicy,
        keptFilesMaxBytes: this.config.writeLog.keptFilesMaxBytes,
        afterSeq: remote.head.lastSeq,
        onWarning: (msg, fields) => this.logger.warn(msg, { volume: record.name, ...fields }),
      });
      if (discardedBytes > 0) this.logger.warn('write log: discarded an unacknowledged torn tail', { volume: record.name, discardedBytes });
      const primary = record.mode === 'stored' ? await PrimaryDisk.open(record.diskPath!, remote.descriptor.sizeBytes) : undefined;
      const volume = await Volume.assemble({
        remote,
        log,
        replayed,
        cache: record.mode === 'cached' ? this.cache : undefined,
        primary,
        upload: {
          concurrency: this.config.upload.concurrency,
          objectBytes: this.config.upload.objectBytes,
          bandwidthBytesPerSec: this.bandwidth.effectiveBytesPerSec,
          retryBaseMs: this.config.upload.retryBaseMs,
          retryMaxMs: this.config.upload.retryMaxMs,
          sealIntervalMs: 1000,
          checkpointEveryObjects: 64,
          deferWhileBusyMs: this.config.upload.deferWhileBusySeconds * 1000,
        },
        durableEveryWrite: this.config.writeLog.syncPolicy === 'always',
        logger: this.logger,
        ownerCheckIntervalMs: OWNER_CHECK_INTERVAL_MS,
      });
      entry.volume = volume;
      entry.stats = new StatsFilter(volume);
      entry.device = new CheckedDevice(entry.stats, { maxRequestBytes: this.maxRequestBytes });
    } catch (err) {
      entry.openError = err instanceof TidegateError ? err : new TidegateError(ErrorCode.IoError, (err as Error).message, { cause: err });
      this.logger.error('volume could not be opened', { volume: record.name, code: entry.openError.code, error: entry.openError.message });
    }
    return entry;
  }

  private async createVolume(p: CreateVolumeParams): Promise<VolumeInfo> {
    validateVolumeName(p.name);
    if (!Number.isSafeInteger(p.sizeBytes) || p.sizeBytes <= 0 || p.sizeBytes % BLOCK_SIZE !== 0) {
      throw new TidegateError(ErrorCode.InvalidArgument, `volume size must be a positive multiple of ${BLOCK_SIZE} bytes (got ${p.sizeBytes})`);
    }
    if (p.mode !== 'cached' && p.mode !== 'stored') throw new TidegateError(ErrorCode.InvalidArgument, `mode must be cached or stored (got ${String(p.mode)})`);
    const max = p.mode === 'cached' ? MAX_CACHED_VOLUME_BYTES : MAX_STORED_VOLUME_BYTES;
    if (p.sizeBytes > max) throw new TidegateError(ErrorCode.InvalidArgument, `a ${p.mode} volume can be at most ${max / 1024 ** 4} TiB`);
    if (p.mode === 'stored' && !p.diskPath) throw new TidegateError(ErrorCode.InvalidArgument, 'a stored volume needs --disk PATH (a file or block device for its primary data)');
    if (p.mode === 'cached' && p.diskPath) throw new TidegateError(ErrorCode.InvalidArgument, '--disk is only for stored volumes');
    if (p.nbdExport !== undefined && typeof p.nbdExport !== 'boolean') throw new TidegateError(ErrorCode.InvalidArgument, `nbdExport must be true or false (got ${JSON.stringify(p.nbdExport)})`);
    const targetName = p.iscsiTargetName === undefined ? targetNameOf(p.name) : validateIscsiTargetName(p.iscsiTargetName);
    if (this.volumes.has(p.name)) throw new TidegateError(ErrorCode.AlreadyExists, `volume ${p.name} already exists on this gateway`);
    const holder = [...this.volumes.values()].find((e) => iscsiTargetNameOf(e.record) === targetName);
    if (holder !== undefined) {
      throw new TidegateError(ErrorCode.AlreadyExists, `iSCSI target name ${targetName} is already used by volume ${holder.record.name}; choose another with iscsiTargetName`);
    }
    const descriptor = await RemoteVolume.create(this.store, p.name, p.sizeBytes, p.mode, this.config.gatewayId);
    const record: LocalVolumeRecord = {
      name: p.name,
      volumeId: descriptor.volumeId,
      mode: p.mode,
      diskPath: p.diskPath ?? null,
      iscsiTargetName: targetName,
      nbdExport: p.nbdExport ?? true,
    };
    await this.writeLocalRecord(record);
    const entry = await this.openVolume(record, false);
    if (entry.openError) throw entry.openError;
    this.logger.info('volume created', { volume: p.name, mode: p.mode, sizeBytes: p.sizeBytes, iscsiTargetName: targetName, nbdExport: record.nbdExport });
    return this.volumeInfo(entry);
  }

  private async writeLocalRecord(record: LocalVolumeRecord): Promise<void> {
    const dir = this.volumeDir(record.name);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, 'local.json.tmp');
    await writeFile(tmp, JSON.stringify(record, null, 1), { mode: 0o600, flush: true });
    await rename(tmp, join(dir, 'local.json'));
  }

  private async deleteVolume(name: string): Promise<{ deleted: string }> {
    const entry = this.requireEntry(name);
    await entry.volume?.close();
    this.volumes.delete(name);
    this.targets.forget(name);
    if (entry.record.mode === 'cached') this.cache.dropVolume(entry.record.volumeId);
    await RemoteVolume.destroy(this.store, name);
    await rm(this.volumeDir(name), { recursive: true, force: true });
    this.logger.info('volume deleted', { volume: name });
    return { deleted: name };
  }

  private async syncVolume(name: string): Promise<RecoveryPoint> {
    const v = this.requireVolume(name);
    const head = await v.sync();
    return { headNo: head.headNo, lastSeq: head.lastSeq, committedAt: head.committedAt };
  }

  /** Adopt every volume in the store that this gateway does not have yet. */
  private async recover(storeUrl: string | undefined, force: boolean): Promise<RecoverResult> {
    const mine = (this.config.store as StoreConfig).url;
    if (storeUrl !== undefined && storeUrl !== mine) {
      throw new TidegateError(ErrorCode.InvalidArgument, `this gateway serves ${mine}; start it with --store ${storeUrl} to recover from that store`);
    }
    const found: VolumeDescriptor[] = await RemoteVolume.list(this.store);
    const result: RecoverResult = { adopted: [], alreadyPresent: [] };
    for (const d of found) {
      if (this.volumes.has(d.name)) {
        result.alreadyPresent.push(d.name);
        continue;
      }
      const diskPath = d.mode === 'stored' ? join(this.volumeDir(d.name), 'disk.img') : null;
      const record: LocalVolumeRecord = { name: d.name, volumeId: d.volumeId, mode: d.mode, diskPath };
      const holder = [...this.volumes.values()].find((e) => iscsiTargetNameOf(e.record) === iscsiTargetNameOf(record));
      if (holder !== undefined) {
        this.logger.warn('recovered volume has no iSCSI target: its default target name is used by another volume', { volume: d.name, targetName: iscsiTargetNameOf(record), usedBy: holder.record.name });
      }
      // Open first (ownership may refuse); only then remember it locally.
      await mkdir(this.volumeDir(d.name), { recursive: true });
      if (diskPath) await rm(diskPath, { force: true });
      const entry = await this.openVolume(record, force);
      if (entry.openError) {
        this.volumes.delete(d.name);
        await rm(this.volumeDir(d.name), { recursive: true, force: true });
        throw entry.openError;
      }
      if (entry.volume && diskPath) await restorePrimary(entry.volume, this.logger);
      await this.writeLocalRecord(record);
      const head = entry.volume!.remote.head;
      result.adopted.push({ name: d.name, recoveryPoint: { headNo: head.headNo, lastSeq: head.lastSeq, committedAt: head.committedAt } });
      this.logger.info('volume recovered from the store', { volume: d.name, headNo: head.headNo, lastSeq: head.lastSeq });
    }
    return result;
  }

  /** `bandwidth.configure` (and `bandwidth.set`): validate, store, then apply. */
  private async configureBandwidth(p: CommandParams<'bandwidth.configure'>): Promise<BandwidthSettings> {
    const next = this.bandwidth.check(p);
    await this.settings.update({ uploadBandwidthBytesPerSec: next.bytesPerSec, bandwidthSchedule: next.schedule });
    const settings = this.bandwidth.configure(next);
    this.logger.info('upload bandwidth settings changed', { bytesPerSec: settings.bytesPerSec, scheduleEntries: settings.schedule.length, effectiveBytesPerSec: settings.effectiveBytesPerSec });
    return settings;
  }

  /** `storage.describe`: where the cache and the upload buffer live, how big and how full, and what is wrong. */
  private async describeStorage(): Promise<StorageInfo> {
    const cacheDir = this.cache.dir;
    const logDir = join(this.config.dataDir, 'volumes');
    const [cacheFs, logFs] = await Promise.all([filesystemSpace(cacheDir), filesystemSpace(logDir)]);
    const cs = this.cache.stats();
    let logUsed = 0;
    let logKept = 0;
    let dirty = 0;
    let fullest: { volume: string; usedBytes: number; capacityBytes: number } | undefined;
    for (const e of this.volumes.values()) {
      const v = e.volume;
      if (v === undefined) continue;
      logUsed += v.log.usedBytes;
      logKept += v.log.keptFiles.bytes;
      dirty += v.dirtyBlocks * BLOCK_SIZE;
      if (fullest === undefined || v.log.usedBytes > fullest.usedBytes) fullest = { volume: e.record.name, usedBytes: v.log.usedBytes, capacityBytes: v.log.capacityBytes };
    }
    const info: Omit<StorageInfo, 'warnings'> = {
      cache: { path: cacheDir, capacityBytes: cs.capacityBytes, usedBytes: cs.usedBytes, filesystemBytes: cacheFs.totalBytes, filesystemFreeBytes: cacheFs.freeBytes },
      uploadBuffer: {
        path: logDir,
        capacityBytes: this.writeLogCapacityBytes * Math.max(1, this.volumes.size),
        usedBytes: logUsed,
        keptBytes: logKept,
        filesystemBytes: logFs.totalBytes,
        filesystemFreeBytes: logFs.freeBytes,
      },
    };
    const warnings = storageWarnings({ ...info, sameFilesystem: cacheFs.device === logFs.device, cacheDirtyBytes: dirty, ...(fullest !== undefined ? { fullestLog: fullest } : {}) });
    return { ...info, warnings };
  }

  /**
   * `storage.configure`: check the new capacities against the disks and what they hold
   * (storage/storage-change.ts), store them, then apply them to the running cache and logs.
   */
  private configureStorage(p: CommandParams<'storage.configure'>): Promise<StorageInfo> {
    const run = this.storageChanges.then(async () => {
      const cacheDir = this.cache.dir;
      const logDir = join(this.config.dataDir, 'volumes');
      const [cacheFs, logFs] = await Promise.all([filesystemSpace(cacheDir), filesystemSpace(logDir)]);
      const cs = this.cache.stats();
      const plan = planStorageChange(p, {
        cache: { capacityBytes: cs.capacityBytes, usedBytes: cs.usedBytes, blockSize: cs.blockSize, maxBytes: MAX_SLOTS * cs.blockSize },
        writeLog: {
          perVolumeBytes: this.writeLogCapacityBytes,
          segmentBytes: this.config.writeLog.segmentBytes,
          // A volume that failed to open still has its share; its log is not counted as used here.
          volumes: [...this.volumes.values()].map((e) => ({ name: e.record.name, usedBytes: e.volume?.log.usedBytes ?? 0, keptBytes: e.volume?.log.keptFiles.bytes ?? 0 })),
        },
        cacheFs,
        writeLogFs: logFs,
      });
      if (plan.cacheBytes === undefined && plan.writeLogBytesPerVolume === undefined) return this.describeStorage();
      await this.settings.update({
        ...(plan.cacheBytes !== undefined ? { cacheCapacityBytes: plan.cacheBytes } : {}),
        ...(plan.writeLogBytesPerVolume !== undefined ? { writeLogCapacityBytes: plan.writeLogBytesPerVolume } : {}),
      });
      if (plan.writeLogBytesPerVolume !== undefined) {
        this.writeLogCapacityBytes = plan.writeLogBytesPerVolume;
        for (const e of this.volumes.values()) e.volume?.log.setCapacity(plan.writeLogBytesPerVolume);
      }
      if (plan.cacheBytes !== undefined) await this.cache.resize(plan.cacheBytes);
      this.logger.info('storage capacities changed', { cacheBytes: this.cache.capacityBytes, writeLogBytesPerVolume: this.writeLogCapacityBytes });
      return this.describeStorage();
    });
    this.storageChanges = run.catch(() => undefined);
    return run;
  }

  private busyPollStatus(): EngineStatus['busyPoll'] {
    const { hits, misses, pauses, pollingMs } = this.busyPoll.stats;
    return { budgetMicros: this.config.protocols.busyPollMicroseconds, hits, misses, pauses, pollingSeconds: pollingMs / 1000 };
  }

  /** What the metric history samples: every open volume's counters and the gateway's levels. */
  private metricSource(): MetricSource {
    const totals: VolumeCounterTotals = { readOps: 0, writeOps: 0, readBytes: 0, writeBytes: 0, readLatencySeconds: 0, writeLatencySeconds: 0, uploadBytes: 0, cacheHits: 0, cacheMisses: 0 };
    return {
      forEachVolume: (visit) => {
        for (const e of this.volumes.values()) {
          const v = e.volume;
          const stats = e.stats;
          if (v === undefined || stats === undefined) continue;
          const r = stats.latencyTotals('read');
          const w = stats.latencyTotals('write');
          totals.readOps = r.ops;
          totals.readLatencySeconds = r.seconds;
          totals.writeOps = w.ops;
          totals.writeLatencySeconds = w.seconds;
          totals.readBytes = v.counters.readBytes;
          totals.writeBytes = v.counters.writeBytes;
          totals.uploadBytes = v.uploader.stats.cloudBytesUploaded;
          totals.cacheHits = v.counters.cacheHits;
          totals.cacheMisses = v.counters.cacheMisses;
          visit(stats, totals);
        }
      },
      levels: (): MetricLevels => {
        const cs = this.cache.stats();
        let dirty = 0;
        let logUsed = 0;
        let sinceMs = 0;
        for (const e of this.volumes.values()) {
          const v = e.volume;
          if (v === undefined) continue;
          dirty += v.dirtyBlocks * BLOCK_SIZE;
          logUsed += v.log.usedBytes;
          sinceMs = Math.max(sinceMs, v.timeSinceLastRecoveryPointMs());
        }
        const logCap = this.writeLogCapacityBytes * Math.max(1, this.volumes.size);
        return {
          uploadLimitBytesPerSec: this.bandwidth.effectiveBytesPerSec,
          CachePercentUsed: cs.capacityBytes > 0 ? (100 * cs.usedBytes) / cs.capacityBytes : 0,
          CachePercentDirty: cs.capacityBytes > 0 ? Math.min(100, (100 * dirty) / cs.capacityBytes) : 0,
          UploadBufferPercentUsed: (100 * logUsed) / logCap,
          QueuedWrites: dirty,
          TimeSinceLastRecoveryPoint: Math.round(sinceMs / 1000),
          IoWaitPercent: this.historyIoWait.percent(),
        };
      },
    };
  }

  private requireEntry(name: string): OpenVolume {
    const entry = this.volumes.get(name);
    if (!entry) throw new TidegateError(ErrorCode.NotFound, `no volume named ${name} on this gateway`);
    return entry;
  }

  private requireVolume(name: string): Volume {
    const entry = this.requireEntry(name);
    if (!entry.volume) throw entry.openError ?? new TidegateError(ErrorCode.VolumeFailed, `volume ${name} is not open`);
    return entry.volume;
  }

  /** An open volume as the iSCSI target table sees it. */
  private exportedVolume(e: OpenVolume | undefined): ExportedVolume | undefined {
    if (e?.device === undefined) return undefined;
    const chap = e.record.iscsi?.chap;
    return {
      name: e.record.name,
      targetName: iscsiTargetNameOf(e.record),
      volumeId: e.record.volumeId,
      device: e.device,
      access: {
        ...(chap !== undefined ? { chap } : {}),
        ...(e.record.iscsi?.allowedInitiators?.length ? { allowedInitiators: e.record.iscsi.allowedInitiators } : {}),
      },
      reservationStatePath: join(this.volumeDir(e.record.name), 'iscsi-reservations.json'),
    };
  }

  /** Set a volume's CHAP credentials and initiator allow-list; new logins use them at once. */
  private async setIscsiAccess(p: IscsiAccessParams): Promise<VolumeInfo> {
    const entry = this.requireEntry(p.name);
    const next = { ...entry.record.iscsi };
    if (p.chap === null) delete next.chap;
    else if (p.chap !== undefined) {
      const problems = validateChapCredentials(p.chap);
      if (problems.length > 0) throw new TidegateError(ErrorCode.InvalidArgument, `CHAP settings rejected: ${problems.map((x) => x.message).join('; ')}`);
      next.chap = { user: p.chap.user, secret: p.chap.secret, ...(p.chap.mutualUser !== undefined ? { mutualUser: p.chap.mutualUser, mutualSecret: p.chap.mutualSecret! } : {}) };
    }
    if (p.allowedInitiators !== undefined) {
      for (const name of p.allowedInitiators) {
        if (!isIscsiName(name)) throw new TidegateError(ErrorCode.InvalidArgument, `not an iSCSI initiator name: ${JSON.stringify(name)} (expected iqn.YYYY-MM.reversed.domain[:id], eui.<16 hex> or naa.<hex>)`);
      }
      next.allowedInitiators = [...new Set(p.allowedInitiators.map((n) => n.toLowerCase()))];
    }
    entry.record = { ...entry.record, iscsi: next };
    await this.writeLocalRecord(entry.record);
    this.logger.info('volume iSCSI access changed', { volume: p.name, chap: next.chap !== undefined, mutualChap: next.chap?.mutualUser !== undefined, allowedInitiators: next.allowedInitiators?.length ?? 0 });
    return this.volumeInfo(entry);
  }

  /** `logs.recent`: the newest matching lines, oldest first. */
  private recentLogs(p: CommandParams<'logs.recent'>): LogLine[] {
    if (p.level !== undefined && !isLogLevel(p.level)) throw new TidegateError(ErrorCode.InvalidArgument, `level must be debug, info, warn or error (got ${JSON.stringify(p.level)})`);
    const limit = p.limit ?? LOGS_RECENT_DEFAULT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > LOGS_RECENT_MAX) throw new TidegateError(ErrorCode.InvalidArgument, `limit must be an integer from 1 to ${LOGS_RECENT_MAX}`);
    const afterSeq = p.afterSeq ?? 0;
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new TidegateError(ErrorCode.InvalidArgument, 'afterSeq must be a non-negative integer');
    return this.ring
      .query({ ...(p.level !== undefined ? { level: p.level } : {}), limit, afterSeq })
      .map((e) => ({ seq: e.seq, ts: e.ts, level: e.level, msg: e.msg, fields: { ...e.fields } }));
  }

  private listVolumes(): VolumeInfo[] {
    return [...this.volumes.values()].map((e) => this.volumeInfo(e));
  }

  private volumeInfo(e: OpenVolume): VolumeInfo {
    const v = e.volume;
    const failed = v?.failed ?? e.openError;
    const c = v?.counters;
    const u = v?.uploader.stats;
    const logUsed = v?.log.usedBytes ?? 0;
    const logCap = this.writeLogCapacityBytes;
    const targetName = iscsiTargetNameOf(e.record);
    const reads = (c?.cacheHits ?? 0) + (c?.cacheMisses ?? 0);
    // Degraded: changes wait for upload and every attempt has failed for a while.
    const pending = v !== undefined && v.log.lastSequence > v.remote.head.lastSeq;
    const uploadsFailing = pending && u?.failingSinceMs !== undefined && Date.now() - u.failingSinceMs >= DEGRADED_AFTER_MS;
    return {
      name: e.record.name,
      volumeId: e.record.volumeId,
      mode: e.record.mode,
      sizeBytes: v?.size ?? 0,
      diskPath: e.record.diskPath,
      state: failed ? 'failed' : (v?.log.queuedWrites ?? 0) > 0 ? 'throttled' : uploadsFailing ? 'degraded' : 'available',
      error: failed ? `${failed.code}: ${failed.message}` : uploadsFailing ? `uploads failing: ${u!.lastError}` : null,
      nbdExport: isNbdExported(e.record) ? e.record.name : null,
      iscsi: {
        targetName,
        chapUser: e.record.iscsi?.chap?.user ?? null,
        mutualChapUser: e.record.iscsi?.chap?.mutualUser ?? null,
        allowedInitiators: e.record.iscsi?.allowedInitiators ?? [],
        sessions: this.iscsi?.sessionsOf(targetName) ?? 0,
      },
      clients: this.clientsOf(e.record, targetName),
      recoveryPoint: v
        ? { headNo: v.remote.head.headNo, lastSeq: v.remote.head.lastSeq, committedAt: v.remote.head.committedAt }
        : { headNo: 0, lastSeq: 0, committedAt: '' },
      metrics: {
        ReadBytes: c?.readBytes ?? 0,
        WriteBytes: c?.writeBytes ?? 0,
        ReadOps: c?.readOps ?? 0,
        WriteOps: c?.writeOps ?? 0,
        CacheHitPercent: reads === 0 ? 100 : (100 * (c?.cacheHits ?? 0)) / reads,
        CloudBytesUploaded: u?.cloudBytesUploaded ?? 0,
        CloudBytesDownloaded: c?.cloudBytesDownloaded ?? 0,
        UploadBufferUsedBytes: logUsed,
        UploadBufferPercentUsed: logCap > 0 ? (100 * logUsed) / logCap : 0,
        QueuedWrites: (v?.dirtyBlocks ?? 0) * BLOCK_SIZE,
        WritesWaitingForBuffer: v?.log.queuedWrites ?? 0,
        DirtyBytes: (v?.dirtyBlocks ?? 0) * BLOCK_SIZE,
        TimeSinceLastRecoveryPoint: v ? Math.round(v.timeSinceLastRecoveryPointMs() / 1000) : 0,
        ...latencyMetrics(e.stats),
        UploadRetries: u?.retries ?? 0,
        UploadDeferring: u?.deferring ?? false,
        UploadDeferredSeconds: Math.round((u?.deferredMs ?? 0) / 1000),
        LastUploadError: u?.lastError ?? null,
        LastUploadErrorAt: u?.lastErrorAt ?? null,
      },
    };
  }

  /** NBD clients attached to the volume's export and iSCSI sessions logged in to its target, oldest first. */
  private clientsOf(record: LocalVolumeRecord, targetName: string): VolumeClient[] {
    const out: Array<VolumeClient & { at: number }> = [];
    if (isNbdExported(record)) {
      for (const c of this.nbd?.clients() ?? []) {
        if (c.exportName === record.name) out.push({ protocol: 'nbd', address: c.address, initiator: null, connectedAt: new Date(c.connectedAt).toISOString(), at: c.connectedAt });
      }
    }
    for (const s of this.iscsi?.sessionInfo(targetName) ?? []) {
      out.push({ protocol: 'iscsi', address: s.address, initiator: s.initiatorName, connectedAt: new Date(s.connectedAt).toISOString(), at: s.connectedAt });
    }
    return out.sort((a, b) => a.at - b.at).map(({ at: _at, ...c }) => c);
  }

  private status(): EngineStatus {
    const volumes = this.listVolumes();
    const cs = this.cache.stats();
    let hits = 0;
    let misses = 0;
    let kept = 0;
    for (const e of this.volumes.values()) {
      hits += e.volume?.counters.cacheHits ?? 0;
      misses += e.volume?.counters.cacheMisses ?? 0;
      kept += e.volume?.log.keptFiles.bytes ?? 0;
    }
    const sum = (pick: (m: VolumeInfo['metrics']) => number): number => volumes.reduce((n, v) => n + pick(v.metrics), 0);
    const dirty = sum((m) => m.DirtyBytes);
    const logUsed = sum((m) => m.UploadBufferUsedBytes);
    const waiting = sum((m) => m.WritesWaitingForBuffer);
    const logCap = this.writeLogCapacityBytes * Math.max(1, this.volumes.size);
    const control = this.control.status();
    return {
      gatewayId: this.config.gatewayId,
      activated: control.activated,
      controlPlaneConnected: control.connected,
      controlPlane: control,
      IoWaitPercent: this.ioWait.percent(),
      version: this.version,
      pid: process.pid,
      startedAt: this.startedAt,
      store: this.store.description,
      memory: (({ rss, heapUsed, external, arrayBuffers }) => ({ rss, heapUsed, external, arrayBuffers }))(process.memoryUsage()),
      nbd: this.nbdAddress,
      iscsi: this.iscsiAddress,
      iscsiEvents: this.iscsi?.stats ?? { loginFailures: 0, protocolErrors: 0 },
      busyPoll: this.busyPollStatus(),
      metrics: this.metrics?.address ?? null,
      cache: {
        capacityBytes: cs.capacityBytes,
        usedBytes: cs.usedBytes,
        CacheHitPercent: hits + misses === 0 ? 100 : (100 * hits) / (hits + misses),
        CachePercentUsed: cs.capacityBytes > 0 ? (100 * cs.usedBytes) / cs.capacityBytes : 0,
        // Written but not yet uploaded, as a share of the cache (AWS's definition).
        CachePercentDirty: cs.capacityBytes > 0 ? Math.min(100, (100 * dirty) / cs.capacityBytes) : 0,
      },
      uploadBuffer: {
        capacityBytes: logCap,
        usedBytes: logUsed,
        UploadBufferPercentUsed: (100 * logUsed) / logCap,
        QueuedWrites: dirty,
        WritesWaitingForBuffer: waiting,
        keptBytes: kept,
        bandwidthBytesPerSec: this.bandwidth.effectiveBytesPerSec,
      },
      volumes,
    };
  }
}

/** Latency figures of a volume from its stats filter, in ms. */
function latencyMetrics(stats: StatsFilter | undefined): Pick<VolumeInfo['metrics'], 'ReadTime' | 'WriteTime' | 'ReadLatencyP50Ms' | 'ReadLatencyP99Ms' | 'WriteLatencyP50Ms' | 'WriteLatencyP99Ms'> {
  const snap = stats?.snapshot();
  const r = snap?.byOp.read.latency;
  const w = snap?.byOp.write.latency;
  const avg = (l: typeof r): number => (l && l.count > 0 ? (l.sumSeconds / l.count) * 1000 : 0);
  const q = (l: typeof r, p: number): number => (l ? latencyQuantile(l, p) * 1000 : 0);
  return {
    ReadTime: avg(r),
    WriteTime: avg(w),
    ReadLatencyP50Ms: q(r, 0.5),
    ReadLatencyP99Ms: q(r, 0.99),
    WriteLatencyP50Ms: q(w, 0.5),
    WriteLatencyP99Ms: q(w, 0.99),
  };
}

/** Fill a recovered stored volume's primary disk from the store, several ranged GETs at a time. */
async function restorePrimary(volume: Volume, logger: Logger): Promise<void> {
  const runs = [...volume.remote.map.mappedRuns()];
  const total = runs.reduce((s, r) => s + r.count, 0);
  let done = 0;
  let next = 0;
  let lastReport = 0;
  const worker = async (): Promise<void> => {
    while (next < runs.length) {
      const r = runs[next++]!;
      const data = await volume.remote.readObjectBlocks(r.objNo, r.off, r.count);
      await volume.writeThroughToPrimary(r.firstBlock * BLOCK_SIZE, data);
      done += r.count;
      if (done - lastReport >= 25_600 || done === total) {
        lastReport = done;
        logger.info('restoring stored volume', { volume: volume.name, blocksDone: done, blocksTotal: total });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, runs.length) }, worker));
}

/** The volume's iSCSI target name: its own, else the default for its name (records from before target names were kept). */
function iscsiTargetNameOf(record: LocalVolumeRecord): string {
  return record.iscsiTargetName ?? targetNameOf(record.name);
}
