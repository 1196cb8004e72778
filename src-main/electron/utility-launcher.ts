/**
 * The desktop app's EngineLauncher: the engine runs as an Electron utilityProcess (a Node
 * child that Electron manages, no ELECTRON_RUN_AS_NODE needed), speaking the messages of
 * engine-process-messages.ts over its parentPort. The engine's stdout and stderr are piped
 * and passed on to main's own, so its log lines land where main's do.
 */
import { utilityProcess } from 'electron';
import type { EngineProcessMessage, SupervisorMessage } from '../../src-gateway-engine/index.js';
import type { EngineChild, EngineLauncher } from '../supervisor/engine-launcher.js';

/** The part of an Electron UtilityProcess the adapter uses (tests pass a fake). */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'spawn', listener: () => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
}

/** Where the engine's output goes. */
export interface EngineOutput {
  stdout(chunk: Buffer | string): void;
  stderr(chunk: Buffer | string): void;
}

const mainOutput: EngineOutput = {
  // A desktop launch may have no usable stdout; losing an engine line must not crash main.
  stdout: (chunk) => void safeWrite(process.stdout, chunk),
  stderr: (chunk) => void safeWrite(process.stderr, chunk),
};

function safeWrite(stream: NodeJS.WritableStream, chunk: Buffer | string): void {
  try {
    stream.write(chunk);
  } catch {
    // nowhere to write
  }
}

/** Start engine-process.js as a utilityProcess. */
export const utilityProcessLauncher: EngineLauncher = (entryPath) =>
  adaptUtilityProcess(utilityProcess.fork(entryPath, [], { serviceName: 'Tidegate engine', stdio: 'pipe' }));

/** An EngineChild over a utility process: messages queued until it has spawned, exit reported once (a code, never a signal). */
export function adaptUtilityProcess(child: UtilityProcessLike, output: EngineOutput = mainOutput): EngineChild {
  let spawned = false;
  let exit: { code: number } | null = null;
  const queue: SupervisorMessage[] = [];
  const exitListeners: Array<(code: number | null, signal: string | null) => void> = [];

  child.stdout?.on('data', (chunk: Buffer | string) => output.stdout(chunk));
  child.stderr?.on('data', (chunk: Buffer | string) => output.stderr(chunk));
  child.on('spawn', () => {
    spawned = true;
    for (const m of queue.splice(0)) child.postMessage(m);
  });
  child.on('exit', (code) => {
    if (exit !== null) return;
    exit = { code };
    queue.length = 0;
    for (const l of exitListeners.splice(0)) l(code, null);
  });

  return {
    get pid() {
      return child.pid ?? null;
    },
    send(message) {
      if (exit !== null) return; // nobody to tell
      if (spawned) child.postMessage(message);
      else queue.push(message);
    },
    onMessage(listener) {
      child.on('message', (m) => {
        if (typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string') listener(m as EngineProcessMessage);
      });
    },
    onExit(listener) {
      if (exit !== null) {
        const { code } = exit;
        queueMicrotask(() => listener(code, null));
      } else exitListeners.push(listener);
    },
    kill(signal) {
      if (exit !== null) return;
      // utilityProcess.kill() is SIGTERM on POSIX (TerminateProcess on Windows); SIGKILL needs the pid.
      if (signal === 'SIGKILL' && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
          return;
        } catch {
          // already gone, or not ours to signal: fall back to Electron's kill
        }
      }
      child.kill();
    },
  };
}
