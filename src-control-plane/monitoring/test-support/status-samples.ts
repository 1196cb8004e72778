/** Test helpers: status samples, volumes and gateway records for the monitor's tests. */
import type { StatusSample } from '../../../src-gateway-engine/control/control-wire.js';
import type { GatewayRecord } from '../../state/control-plane-state.js';

/** One volume of a sample. */
export type SampleVolume = StatusSample['volumes'][number];

/** A healthy volume named `name`, with `overrides`. */
export function sampleVolume(name: string, overrides: Partial<SampleVolume> = {}): SampleVolume {
  return {
    name,
    state: 'available',
    error: null,
    TimeSinceLastRecoveryPoint: 0,
    QueuedWrites: 0,
    UploadBufferPercentUsed: 0,
    ReadBytes: 0,
    WriteBytes: 0,
    ReadOps: 0,
    WriteOps: 0,
    ...overrides,
  };
}

/** What a test may set on a sample: the measured values flat, the rest as in StatusSample. */
export interface SampleOverrides {
  at?: string;
  version?: string;
  uploadBufferPercent?: number;
  cacheDirtyPercent?: number;
  ioWaitPercent?: number;
  volumes?: SampleVolume[];
  errors?: StatusSample['errors'];
}

/** A healthy sample (nothing near a threshold) with `o` applied. */
export function statusSample(o: SampleOverrides = {}): StatusSample {
  return {
    at: o.at ?? '2030-01-01T00:00:00.000Z',
    version: o.version ?? '1.0.0',
    IoWaitPercent: o.ioWaitPercent ?? 1,
    cache: { capacityBytes: 1 << 30, usedBytes: 1 << 20, CacheHitPercent: 90, CachePercentUsed: 10, CachePercentDirty: o.cacheDirtyPercent ?? 5 },
    uploadBuffer: {
      capacityBytes: 1 << 30,
      usedBytes: 0,
      UploadBufferPercentUsed: o.uploadBufferPercent ?? 5,
      QueuedWrites: 0,
      WritesWaitingForBuffer: 0,
      keptBytes: 0,
      bandwidthBytesPerSec: 0,
    },
    volumes: o.volumes ?? [sampleVolume('vol1')],
    errors: o.errors ?? [],
  };
}

/** A gateway record named `name` with id `id`. */
export function gatewayRecord(id: string, name: string, o: Partial<GatewayRecord> = {}): GatewayRecord {
  return {
    id,
    accountId: 'acct-1',
    name,
    timezone: 'Europe/Paris',
    publicKey: 'pk-' + id,
    metadata: { version: '1.0.0', host: 'host-' + id, platform: 'linux', capacityBytes: 1e12, localGatewayId: 'local-' + id },
    activatedAt: '2030-01-01T00:00:00.000Z',
    lastSeenAt: null,
    ...o,
  };
}
