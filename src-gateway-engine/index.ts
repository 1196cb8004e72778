/**
 * The engine's public surface: the only module other packages (src-main) may import.
 */
export { Engine, MAX_CACHED_VOLUME_BYTES, MAX_STORED_VOLUME_BYTES, type EngineHooks } from './engine.js';
export { runEngine, type RunEngineOptions, type RunningEngine } from './runtime/run-engine.js';
export { callEngine, commandSocketPath } from './runtime/command-socket.js';
export type * from './runtime/engine-commands.js';
export { validateEngineConfig, parseSize, formatSize, parseHostPort, type EngineConfig, type EngineConfigInput } from './config/index.js';
export { parseStoreUrl } from './objectstore/index.js';
export { createLogger, type Logger } from './log/index.js';
export { ErrorCode, TidegateError, hasCode } from './errors/index.js';
