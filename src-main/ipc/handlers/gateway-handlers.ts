/** `app.info` and `gateway.snapshot`: what the console shows on every page. */
import type { GatewaySnapshot } from '../ipc-contract.js';
import type { ConsoleDeps, RegisterHandler } from './console-deps.js';

/** How long a status call may take before the snapshot reports the engine without it. */
const STATUS_TIMEOUT_MS = 5_000;

export function registerGatewayHandlers(register: RegisterHandler, deps: ConsoleDeps): void {
  register('app.info', async () => deps.appInfo);
  register('gateway.snapshot', () => gatewaySnapshot(deps));
}

/** The engine process's state and, while it runs, its status. */
export async function gatewaySnapshot(deps: ConsoleDeps): Promise<GatewaySnapshot> {
  const engine = deps.engineProcess.state;
  if (engine.state !== 'running') return { engine, status: null };
  try {
    return { engine, status: await deps.engine('status', {}, STATUS_TIMEOUT_MS) };
  } catch {
    // The engine is between states (stopping, just died): the process state says which.
    return { engine: deps.engineProcess.state, status: null };
  }
}
