/**
 * Every handler of the console's IPC contract, registered through the function a door
 * provides (Electron's trusted ipcMain wrapper, or the headless server's routes). They call the
 * engine's one command API; nothing here knows which door it serves.
 */
import type { ConsoleDeps, EmitEvent, RegisterHandler } from './console-deps.js';
import { registerActivationHandlers } from './activation-handlers.js';
import { registerDiagnosticsHandlers } from './diagnostics-handlers.js';
import { registerGatewayHandlers } from './gateway-handlers.js';
import { registerMetricsHandlers } from './metrics-handlers.js';
import { registerStorageHandlers } from './storage-handlers.js';
import { registerVolumeHandlers } from './volume-handlers.js';

export type { ConsoleDeps, EmitEvent, EngineCaller, RegisterHandler } from './console-deps.js';
export { startLiveUpdates, type LiveUpdateOptions } from './live-updates.js';

/** Register every channel of IPC_INVOKE_CHANNELS. */
export function registerConsoleHandlers(register: RegisterHandler, emit: EmitEvent, deps: ConsoleDeps): void {
  registerGatewayHandlers(register, deps);
  registerActivationHandlers(register, deps);
  registerVolumeHandlers(register, emit, deps);
  registerStorageHandlers(register, deps);
  registerMetricsHandlers(register, deps);
  registerDiagnosticsHandlers(register, deps);
}
