/**
 * The engine process entry: what a supervisor (src-main) starts as its own process — a forked
 * Node process when headless, an Electron utilityProcess in the desktop app. It waits for one
 * `start` message with the engine's configuration, runs the engine and its command socket,
 * and stops cleanly (flushing every write log) on `stop`, on SIGTERM/SIGINT, or when its
 * parent goes away (an orphaned engine would hold the data dir and the ports forever).
 * Messages: engine-process-messages.ts.
 */
import { validateEngineConfig } from '../config/index.js';
import { TidegateError } from '../errors/index.js';
import { createLogger } from '../log/index.js';
import type { EngineProcessMessage, SupervisorMessage } from './engine-process-messages.js';
import { runEngine, type RunningEngine } from './run-engine.js';

/** Electron's utilityProcess channel to its parent (absent in a forked Node process). */
interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: EngineProcessMessage): void {
  if (parentPort) parentPort.postMessage(message);
  else if (process.send) process.send(message);
}

function onMessage(listener: (message: SupervisorMessage) => void): void {
  if (parentPort) parentPort.on('message', (e) => listener(e.data as SupervisorMessage));
  else process.on('message', (m) => listener(m as SupervisorMessage));
}

if (!parentPort && !process.send) {
  process.stderr.write('engine-process: this is started by the Tidegate supervisor (tidegate serve --console, or the desktop app), not directly\n');
  process.exit(2);
}

let running: RunningEngine | undefined;
let stopping: Promise<void> | undefined;

function stopAndExit(reason: string): void {
  stopping ??= (async () => {
    try {
      await running?.stop();
      send({ type: 'stopped' });
      process.exitCode = 0;
    } catch (err) {
      process.stderr.write(`engine-process: clean stop failed (${reason}): ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
    // Let the 'stopped' message flush before leaving.
    setTimeout(() => process.exit(), 50).unref();
  })();
}

onMessage((message) => {
  if (message.type === 'stop') return stopAndExit('stop message');
  if (message.type !== 'start' || running !== undefined) return;
  void (async () => {
    try {
      const config = validateEngineConfig(message.config);
      const logger = createLogger({ level: config.logLevel });
      running = await runEngine({ config, logger });
      const a = running.engine.addresses;
      send({ type: 'ready', pid: process.pid, addresses: { nbd: a.nbd, iscsi: a.iscsi, metrics: a.metrics } });
    } catch (err) {
      const code = err instanceof TidegateError ? err.code : 'ENGINE_START_FAILED';
      send({ type: 'start-failed', error: { code, message: err instanceof Error ? err.message : String(err) } });
      setTimeout(() => process.exit(1), 50).unref();
    }
  })();
});

process.once('SIGTERM', () => stopAndExit('SIGTERM'));
process.once('SIGINT', () => stopAndExit('SIGINT'));
// A forked child sees 'disconnect' when its parent dies or closes the channel.
process.once('disconnect', () => stopAndExit('parent went away'));
