export type { BlockDevice, BlockExtent, WriteOptions, WriteZeroesOptions } from './block-device.js';
export { CheckedDevice, DEFAULT_MAX_REQUEST_BYTES, type CheckedDeviceOptions } from './checked-device.js';
export { DEVICE_OP_KINDS, type DeviceOpKind } from './device-op-kind.js';
export { FaultFilter, type FaultConfig, type FaultFilterOptions } from './fault-filter.js';
export {
  LATENCY_BUCKET_BOUNDS_SECONDS,
  LatencyHistogram,
  latencyQuantile,
  type LatencySnapshot,
} from './latency-histogram.js';
export { MemoryDevice, type MemoryDeviceOptions } from './memory-device.js';
export { SeededRandom } from './seeded-random.js';
export { StatsFilter, type DeviceOpStats, type DeviceStatsSnapshot, type StatsFilterOptions } from './stats-filter.js';
