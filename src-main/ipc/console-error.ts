/**
 * Errors as the console sees them: a stable code and a sentence. Handlers throw ConsoleError
 * for the console's own checks; engine and control-plane errors keep their own codes (a
 * control plane's refusal keeps its specific code, e.g. ACTIVATION_KEY_EXPIRED).
 */
import { ControlPlaneError, TidegateError } from '../../src-gateway-engine/index.js';
import type { ConsoleErrorBody } from './ipc-contract.js';

/** A request the console refused before anything ran. */
export class ConsoleError extends Error {
  override readonly name = 'ConsoleError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The body a door (Electron IPC, headless HTTP) sends back for a failed call. */
export function toConsoleErrorBody(err: unknown): ConsoleErrorBody {
  if (err instanceof ControlPlaneError && err.controlCode !== null) return { code: err.controlCode, message: err.message };
  if (err instanceof TidegateError || err instanceof ConsoleError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
