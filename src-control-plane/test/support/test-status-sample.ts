/** A plausible status sample for tests (control-wire.ts StatusSample). */
import type { StatusSample } from '../../../src-gateway-engine/control/control-wire.js';

/** A healthy sample taken at `at`. */
export function testStatusSample(at: Date, version = '0.1.0'): StatusSample {
  return {
    at: at.toISOString(),
    version,
    IoWaitPercent: 0,
    cache: { capacityBytes: 1 << 30, usedBytes: 0, CacheHitPercent: 100, CachePercentUsed: 0, CachePercentDirty: 0 },
    uploadBuffer: { capacityBytes: 1 << 30, usedBytes: 0, UploadBufferPercentUsed: 0, QueuedWrites: 0, WritesWaitingForBuffer: 0, keptBytes: 0, bandwidthBytesPerSec: 0 },
    volumes: [],
    errors: [],
  };
}
