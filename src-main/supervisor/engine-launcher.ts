/**
 * How the supervisor starts an engine process: a forked Node process when headless
 * (fork-launcher.ts), an Electron utilityProcess in the desktop app (electron/utility-launcher.ts).
 * Both speak the messages of the engine's engine-process-messages.ts.
 */
import type { EngineProcessMessage, SupervisorMessage } from '../../src-gateway-engine/index.js';

/** One running engine process, as the supervisor sees it. */
export interface EngineChild {
  readonly pid: number | null;
  send(message: SupervisorMessage): void;
  onMessage(listener: (message: EngineProcessMessage) => void): void;
  /** Called once, when the process has exited. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Ask the OS to end the process (SIGTERM), or kill it (SIGKILL). */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

/** Starts the engine process entry (engine's runtime/engine-process.js) as a child. */
export type EngineLauncher = (entryPath: string) => EngineChild;
