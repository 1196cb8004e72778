import { describe, expect, it } from 'vitest';
import { totalmem } from 'node:os';
import { ErrorCode } from '../errors/index.js';
import { ENGINE_DEFAULTS } from './defaults.js';
import { EngineConfigError, validateEngineConfig, type EngineConfigInput } from './engine-config.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const minimal: EngineConfigInput = { gatewayId: 'sgw-12A3456B', dataDir: '/var/lib/tidegate' };

function issuesOf(input: unknown): string[] {
  try {
    validateEngineConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(EngineConfigError);
    expect((err as EngineConfigError).code).toBe(ErrorCode.InvalidArgument);
    return (err as EngineConfigError).issues.map((i) => i.message);
  }
  throw new Error('expected validation to fail');
}

describe('validateEngineConfig', () => {
  it('fills every default', () => {
    expect(validateEngineConfig(minimal)).toEqual({
      gatewayId: 'sgw-12A3456B',
      dataDir: '/var/lib/tidegate',
      store: { kind: 'local', url: 'file:///var/lib/tidegate/store', root: '/var/lib/tidegate/store' },
      nbd: { host: '127.0.0.1', port: 10809 },
      iscsi: { host: '127.0.0.1', port: 3260 },
      metrics: { host: '127.0.0.1', port: 9109 },
      writeLog: { capacityBytes: 4 * GiB, segmentBytes: 64 * MiB, syncPolicy: 'flush', keptFilesMaxBytes: Math.floor(totalmem() / 16) },
      cache: { capacityBytes: 2 * GiB, blockSize: 4096 },
      upload: { concurrency: 4, objectBytes: 8 * MiB, bandwidthBytesPerSec: 0, retryBaseMs: 200, retryMaxMs: 30_000, deferWhileBusySeconds: 30 },
      protocols: { busyPollMicroseconds: 50 },
      logLevel: 'info',
      control: {
        embeddedUrl: null,
        embeddedCaFile: null,
        heartbeatMs: 10_000,
        reconnectBaseMs: 500,
        reconnectMaxMs: 30_000,
        reconnectResetMs: 60_000,
        statusIntervalMs: 10_000,
        claimPollMs: 2_000,
        requestTimeoutMs: 15_000,
      },
      explicit: { cacheCapacityBytes: false, writeLogCapacityBytes: false, uploadBandwidthBytesPerSec: false },
    });
  });

  it('marks the runtime-adjustable settings the input gave explicitly (they win over DATA_DIR/settings.json)', () => {
    expect(validateEngineConfig({ ...minimal, cache: { capacityBytes: '1GiB' } }).explicit).toEqual({ cacheCapacityBytes: true, writeLogCapacityBytes: false, uploadBandwidthBytesPerSec: false });
    expect(validateEngineConfig({ ...minimal, writeLog: { capacityBytes: '1GiB', segmentBytes: '4MiB' }, upload: { bandwidthBytesPerSec: 0 } }).explicit).toEqual({
      cacheCapacityBytes: false,
      writeLogCapacityBytes: true,
      uploadBandwidthBytesPerSec: true,
    });
    // Other fields of the same sections do not count.
    expect(validateEngineConfig({ ...minimal, cache: { blockSize: 4096 }, writeLog: { syncPolicy: 'always' }, upload: { concurrency: 2 } }).explicit).toEqual({
      cacheCapacityBytes: false,
      writeLogCapacityBytes: false,
      uploadBandwidthBytesPerSec: false,
    });
  });

  it('validates the control section: an https origin, an absolute CA path, timings', () => {
    const c = validateEngineConfig({ ...minimal, control: { embeddedUrl: 'https://127.0.0.1:9443/', embeddedCaFile: '/var/lib/tidegate/control-plane/tls/ca.crt', heartbeatMs: 50 } });
    expect(c.control).toMatchObject({ embeddedUrl: 'https://127.0.0.1:9443', embeddedCaFile: '/var/lib/tidegate/control-plane/tls/ca.crt', heartbeatMs: 50 });
    expect(Object.isFrozen(c.control)).toBe(true);
    expect(issuesOf({ ...minimal, control: { embeddedUrl: 'http://127.0.0.1:9443' } })[0]).toMatch(/^control\.embeddedUrl must be an https/);
    expect(issuesOf({ ...minimal, control: { embeddedCaFile: 'ca.crt' } })).toEqual(['control.embeddedCaFile must be an absolute path or null (got "ca.crt")']);
    expect(issuesOf({ ...minimal, control: { heartbeatMs: 0 } })).toEqual(['control.heartbeatMs must be an integer from 10 to 3600000 (got 0)']);
    expect(issuesOf({ ...minimal, control: { reconnectBaseMs: 100, reconnectMaxMs: 50 } })).toEqual(['control.reconnectMaxMs must be at least control.reconnectBaseMs (100) (got 50)']);
    expect(issuesOf({ ...minimal, control: { heartbeat: 1 } })[0]).toMatch(/^control\.heartbeat is not a known setting/);
  });

  it('accepts a full config with size strings, address strings and null listeners', () => {
    const c = validateEngineConfig({
      gatewayId: 'gw1',
      dataDir: '/data',
      store: 's3://backups/office/?endpoint=http://127.0.0.1:7480&region=us-east-1&forcePathStyle=true',
      nbd: '[::]:10809',
      metrics: null,
      writeLog: { capacityBytes: '10GiB', segmentBytes: '32MiB', syncPolicy: 'always', keptFilesMaxBytes: '512MiB' },
      cache: { capacityBytes: '500GB', blockSize: '64KiB' },
      upload: { concurrency: 8, objectBytes: '16MiB', bandwidthBytesPerSec: '10MB', retryBaseMs: 100, retryMaxMs: 60_000, deferWhileBusySeconds: 0 },
      protocols: { busyPollMicroseconds: 0 },
      logLevel: 'debug',
    });
    expect(c.store).toMatchObject({ kind: 's3', bucket: 'backups', prefix: 'office/', endpoint: 'http://127.0.0.1:7480', region: 'us-east-1', forcePathStyle: true });
    expect(c.nbd).toEqual({ host: '::', port: 10809 });
    expect(c.metrics).toBeNull();
    expect(c.writeLog).toEqual({ capacityBytes: 10 * GiB, segmentBytes: 32 * MiB, syncPolicy: 'always', keptFilesMaxBytes: 512 * MiB });
    expect(validateEngineConfig({ ...minimal, writeLog: { keptFilesMaxBytes: 0 } }).writeLog.keptFilesMaxBytes).toBe(0); // recycling off
    expect(c.cache).toEqual({ capacityBytes: 500_000_000_000, blockSize: 65536 });
    expect(c.upload.bandwidthBytesPerSec).toBe(10_000_000);
    expect(c.upload.deferWhileBusySeconds).toBe(0);
    expect(c.protocols.busyPollMicroseconds).toBe(0);
    expect(c.logLevel).toBe('debug');
  });

  it('merges partial address objects over the default, and ":port" keeps the default host', () => {
    expect(validateEngineConfig({ ...minimal, nbd: { port: 10810 } }).nbd).toEqual({ host: '127.0.0.1', port: 10810 });
    expect(validateEngineConfig({ ...minimal, nbd: { host: '0.0.0.0' } }).nbd).toEqual({ host: '0.0.0.0', port: 10809 });
    expect(validateEngineConfig({ ...minimal, metrics: ':9200' }).metrics).toEqual({ host: '127.0.0.1', port: 9200 });
    expect(validateEngineConfig({ ...minimal, nbd: '0' }).nbd).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('s3 prefix defaults to ""', () => {
    expect(validateEngineConfig({ ...minimal, store: 's3://bucket-b' }).store).toMatchObject({ kind: 's3', bucket: 'bucket-b', prefix: '' });
  });

  it('re-parses a parsed store from its url, so fields cannot disagree with it', () => {
    const forged = { kind: 'local', url: 'file:///srv/a', root: '/srv/b' };
    expect(validateEngineConfig({ ...minimal, store: forged }).store).toMatchObject({ root: '/srv/a' });
  });

  it('returns a deep-frozen copy, never the input', () => {
    const input = { ...minimal, store: { url: 'file:///srv/objects' }, nbd: { host: '127.0.0.1', port: 1 } };
    const c = validateEngineConfig(input);
    expect(Object.isFrozen(c)).toBe(true);
    for (const section of [c.store, c.nbd, c.metrics, c.writeLog, c.cache, c.upload]) expect(Object.isFrozen(section)).toBe(true);
    expect(() => {
      (c.writeLog as { capacityBytes: number }).capacityBytes = 1;
    }).toThrow(TypeError);
    // The caller's objects are untouched and unfrozen.
    expect(Object.isFrozen(input.store)).toBe(false);
    expect(c.store).not.toBe(input.store);
    // Defaults are not shared with (or frozen by) results.
    expect(c.writeLog).not.toBe(ENGINE_DEFAULTS.writeLog);
  });

  it('names the path of each bad field', () => {
    expect(issuesOf({ ...minimal, writeLog: { capacityBytes: -1 } })).toEqual([
      'writeLog.capacityBytes must be a positive integer (a number of bytes or a size string like "4GiB") (got -1)',
    ]);
    expect(issuesOf({ ...minimal, writeLog: { capacityBytes: 1.5 } })[0]).toMatch(/^writeLog\.capacityBytes must be a positive integer/);
    expect(issuesOf({ ...minimal, writeLog: { capacityBytes: 0 } })[0]).toMatch(/^writeLog\.capacityBytes must be a positive integer/);
    expect(issuesOf({ ...minimal, writeLog: { capacityBytes: '4XB' } })[0]).toMatch(
      /^writeLog\.capacityBytes must be a positive integer .*invalid size "4XB": unknown unit "XB"/,
    );
    expect(issuesOf({ ...minimal, writeLog: { segmentBytes: 5000 } })[0]).toBe('writeLog.segmentBytes must be a multiple of 4096 (got 5000)');
    expect(issuesOf({ ...minimal, writeLog: { keptFilesMaxBytes: -1 } })[0]).toMatch(/^writeLog\.keptFilesMaxBytes must be a non-negative integer/);
    expect(issuesOf({ ...minimal, writeLog: { segmentBytes: 1024 } })[0]).toBe('writeLog.segmentBytes must be at least 4096 (got 1024)');
    expect(issuesOf({ ...minimal, writeLog: { syncPolicy: 'sometimes' } })[0]).toBe(
      'writeLog.syncPolicy must be one of "flush", "always" (got "sometimes")',
    );
    expect(issuesOf({ ...minimal, cache: { blockSize: 3000 } })[0]).toBe('cache.blockSize must be at least 4096 (got 3000)');
    expect(issuesOf({ ...minimal, cache: { blockSize: 12288 } })[0]).toBe('cache.blockSize must be a power of two (got 12288)');
    expect(issuesOf({ ...minimal, cache: { blockSize: '2MiB' } })[0]).toBe('cache.blockSize must be at most 1048576 (got "2MiB")');
    expect(issuesOf({ ...minimal, upload: { concurrency: 0 } })[0]).toBe('upload.concurrency must be an integer from 1 to 64 (got 0)');
    expect(issuesOf({ ...minimal, upload: { concurrency: '4' } })[0]).toBe('upload.concurrency must be an integer from 1 to 64 (got "4")');
    expect(issuesOf({ ...minimal, upload: { bandwidthBytesPerSec: -5 } })[0]).toMatch(/^upload\.bandwidthBytesPerSec must be a non-negative integer/);
    expect(issuesOf({ ...minimal, upload: { objectBytes: '129MiB' } })[0]).toBe('upload.objectBytes must be at most 134217728 (got "129MiB")');
    expect(issuesOf({ ...minimal, nbd: { port: 70000 } })[0]).toBe('nbd.port must be an integer from 0 to 65535 (got 70000)');
    expect(issuesOf({ ...minimal, nbd: { host: 'bad host' } })[0]).toBe('nbd.host must be an IP address or host name (got "bad host")');
    expect(issuesOf({ ...minimal, metrics: 'localhost' })[0]).toMatch(/^metrics must be "host:port".*missing port/);
    expect(issuesOf({ ...minimal, metrics: 9109 })[0]).toBe('metrics must be an object (got 9109)');
    expect(issuesOf({ ...minimal, logLevel: 'trace' })[0]).toBe('logLevel must be one of debug, info, warn, error (got "trace")');
  });

  it('checks required fields', () => {
    expect(issuesOf({})).toEqual(['gatewayId is required', 'dataDir is required']);
    expect(issuesOf({ ...minimal, dataDir: 'relative/dir' })).toEqual(['dataDir must be an absolute path (got "relative/dir")']);
    expect(issuesOf({ ...minimal, gatewayId: '' })[0]).toMatch(/^gatewayId must be 1-128 letters/);
    expect(issuesOf({ ...minimal, gatewayId: 'has space' })[0]).toMatch(/^gatewayId must be/);
  });

  it('checks the store', () => {
    expect(issuesOf({ ...minimal, store: 'ftp://x/y' })[0]).toMatch(/^store .*ftp/);
    expect(issuesOf({ ...minimal, store: { kind: 'file' } })[0]).toMatch(/^store must be a store URL/);
    expect(issuesOf({ ...minimal, store: 's3://' })[0]).toMatch(/^store /);
    expect(issuesOf({ ...minimal, store: [] })[0]).toMatch(/^store must be a store URL/);
  });

  it('rejects unknown keys (typos) outside store', () => {
    expect(issuesOf({ ...minimal, writelog: {} })[0]).toMatch(/^writelog is not a known setting \(known: gatewayId, dataDir/);
    expect(issuesOf({ ...minimal, writeLog: { capacityByte: 1 } })[0]).toMatch(/^writeLog\.capacityByte is not a known setting/);
    expect(issuesOf({ ...minimal, nbd: { host: '127.0.0.1', prot: 1 } })[0]).toMatch(/^nbd\.prot is not a known setting/);
  });

  it('checks fields against each other', () => {
    expect(issuesOf({ ...minimal, writeLog: { capacityBytes: '64MiB', segmentBytes: '64MiB' } })).toEqual([
      `writeLog.capacityBytes must hold at least two segments (2 × writeLog.segmentBytes = ${128 * MiB}) (got ${64 * MiB})`,
    ]);
    expect(issuesOf({ ...minimal, cache: { capacityBytes: 4096, blockSize: 8192 } })[0]).toBe('cache.capacityBytes must be at least cache.blockSize (8192) (got 4096)');
    expect(issuesOf({ ...minimal, upload: { retryBaseMs: 1000, retryMaxMs: 500 } })[0]).toBe(
      'upload.retryMaxMs must be at least upload.retryBaseMs (1000) (got 500)',
    );
    expect(issuesOf({ ...minimal, upload: { deferWhileBusySeconds: -1 } })[0]).toBe('upload.deferWhileBusySeconds must be an integer from 0 to 3600 (got -1)');
    expect(issuesOf({ ...minimal, protocols: { busyPollMicroseconds: 2.5 } })[0]).toBe('protocols.busyPollMicroseconds must be an integer from 0 to 1000 (got 2.5)');
    expect(issuesOf({ ...minimal, protocols: { busyPollMicroseconds: 5000 } })[0]).toBe('protocols.busyPollMicroseconds must be an integer from 0 to 1000 (got 5000)');
    expect(issuesOf({ ...minimal, protocols: { spin: true } })[0]).toMatch(/^protocols\.spin /);
    expect(issuesOf({ ...minimal, nbd: '0.0.0.0:9000', metrics: '127.0.0.1:9000' })[0]).toBe('metrics.port must differ from nbd.port (both 9000)');
    // Port 0 (ephemeral) never conflicts.
    expect(validateEngineConfig({ ...minimal, nbd: '127.0.0.1:0', metrics: '127.0.0.1:0' }).metrics).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('reports every problem at once in one clear message', () => {
    let caught: unknown;
    try {
      validateEngineConfig({ gatewayId: 'gw', dataDir: '/d', writeLog: { capacityBytes: -1, syncPolicy: 'x' }, upload: { concurrency: 99 } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EngineConfigError);
    const e = caught as EngineConfigError;
    expect(e.issues.map((i) => i.path)).toEqual(['writeLog.capacityBytes', 'writeLog.syncPolicy', 'upload.concurrency']);
    expect(e.message).toMatch(/^invalid engine config: 3 problems: writeLog\.capacityBytes must be a positive integer/);
    expect(e.message).not.toContain('\n');
    expect(Object.isFrozen(e.issues)).toBe(true);
  });

  it('rejects non-objects', () => {
    expect(issuesOf(null)).toEqual(['config must be an object (got null)']);
    expect(issuesOf('x')).toEqual(['config must be an object (got "x")']);
    expect(issuesOf(new Map())).toEqual(['config must be a plain object (got an object)']);
    expect(issuesOf({ ...minimal, writeLog: 'big' })).toEqual(['writeLog must be an object (got "big")']);
  });
});
