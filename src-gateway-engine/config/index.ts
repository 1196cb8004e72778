export {
  EngineConfigError,
  validateEngineConfig,
  type CacheConfig,
  type ConfigIssue,
  type ControlConfig,
  type EngineConfig,
  type EngineConfigInput,
  type ExplicitSettings,
  type HostPortInput,
  type SizeInput,
  type StoreConfig,
  type SyncPolicy,
  type UploadConfig,
  type WriteLogConfig,
} from './engine-config.js';
export {
  DEFAULT_METRICS_HOST,
  DEFAULT_METRICS_PORT,
  DEFAULT_NBD_HOST,
  DEFAULT_NBD_PORT,
  ENGINE_DEFAULTS,
  defaultStorePath,
} from './defaults.js';
export { formatHostPort, isValidHost, isValidPort, parseHostPort, type HostPort } from './host-port.js';
export { formatSize, parseSize } from './size.js';
export { VOLUME_NAME_MAX_LENGTH, isValidVolumeName, validateVolumeName } from './volume-name.js';
