/**
 * The engine's public surface: the only module other packages (src-main) may import.
 */
export { Engine, MAX_CACHED_VOLUME_BYTES, MAX_STORED_VOLUME_BYTES, type EngineHooks } from './engine.js';
export { runEngine, type RunEngineOptions, type RunningEngine } from './runtime/run-engine.js';
export { callEngine, commandSocketPath } from './runtime/command-socket.js';
export { assertDataDirFree } from './runtime/data-dir-lock.js';
export type * from './runtime/engine-commands.js';
export { engineProcessEntryPath, type EngineProcessMessage, type SupervisorMessage } from './runtime/engine-process-messages.js';
export { validateEngineConfig, parseSize, formatSize, parseHostPort, ENGINE_DEFAULTS, type EngineConfig, type EngineConfigInput, type ControlConfig } from './config/index.js';
export { parseStoreUrl } from './objectstore/index.js';
export { createLogger, LogRing, type Logger } from './log/index.js';
export { ErrorCode, TidegateError, hasCode } from './errors/index.js';
export { ControlHttpClient, type ControlHttpClientOptions, type ControlHttpRequest, type ControlHttpResponse } from './control/control-http-client.js';
export { ControlPlaneError } from './control/control-plane-error.js';
export { controlPlaneOrigin } from './control/control-plane-url.js';
export { readPinnedControlCa } from './control/activation-store.js';
export { GatewayControl, type GatewayControlOptions } from './control/gateway-control.js';
export type { RemoteCommandApi } from './control/management-connection.js';
export type * from './control/control-wire.js';
