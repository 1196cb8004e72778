/**
 * Defaults for every optional engine config field. `store` has no constant default: when
 * omitted it is a local folder `<dataDir>/store` (see `defaultStorePath`).
 */
import { totalmem } from 'node:os';
import { join } from 'node:path';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** NBD listens on loopback by default; expose it deliberately. */
export const DEFAULT_NBD_HOST = '127.0.0.1';
export const DEFAULT_NBD_PORT = 10809;
/** iSCSI listens on loopback by default, on the IANA port. */
export const DEFAULT_ISCSI_HOST = '127.0.0.1';
export const DEFAULT_ISCSI_PORT = 3260;
/** Prometheus metrics on loopback by default. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';
export const DEFAULT_METRICS_PORT = 9109;

/** Deep-frozen defaults of the optional sections. */
export const ENGINE_DEFAULTS = Object.freeze({
  nbd: Object.freeze({ host: DEFAULT_NBD_HOST, port: DEFAULT_NBD_PORT }),
  iscsi: Object.freeze({ host: DEFAULT_ISCSI_HOST, port: DEFAULT_ISCSI_PORT }),
  metrics: Object.freeze({ host: DEFAULT_METRICS_HOST, port: DEFAULT_METRICS_PORT }),
  writeLog: Object.freeze({
    capacityBytes: 4 * GiB,
    segmentBytes: 64 * MiB,
    syncPolicy: 'flush' as const,
    // Uploaded segments' files kept for reuse stay in the page cache: a sixteenth of memory at most.
    keptFilesMaxBytes: Math.floor(totalmem() / 16),
  }),
  cache: Object.freeze({
    capacityBytes: 2 * GiB,
    blockSize: 4096,
  }),
  upload: Object.freeze({
    concurrency: 4,
    objectBytes: 8 * MiB,
    bandwidthBytesPerSec: 0,
    retryBaseMs: 200,
    retryMaxMs: 30_000,
    // As long as the kernel lets a dirty page wait (vm.dirty_expire_centisecs).
    deferWhileBusySeconds: 30,
  }),
  protocols: Object.freeze({
    // Linux's own recommendation for SO_BUSY_POLL; a loopback QD1 client answers in ~40 µs.
    busyPollMicroseconds: 50,
  }),
  logLevel: 'info' as const,
  control: Object.freeze({
    embeddedUrl: null,
    embeddedCaFile: null,
    heartbeatMs: 10_000,
    reconnectBaseMs: 500,
    reconnectMaxMs: 30_000,
    reconnectResetMs: 60_000,
    statusIntervalMs: 10_000,
    claimPollMs: 2_000,
    requestTimeoutMs: 15_000,
  }),
});

/** The local-folder store used when `store` is omitted. */
export function defaultStorePath(dataDir: string): string {
  return join(dataDir, 'store');
}
