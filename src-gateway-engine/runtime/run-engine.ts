/**
 * Run an engine in this process: start it, serve the command socket, and stop cleanly
 * (flushing every write log) on SIGINT/SIGTERM. Used by `tidegate serve` and by the forked
 * engine process.
 */
import { Engine, type EngineHooks } from '../engine.js';
import type { EngineConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { serveCommandSocket } from './command-socket.js';

export interface RunEngineOptions {
  config: EngineConfig;
  logger: Logger;
  hooks?: EngineHooks;
  /** Install SIGINT/SIGTERM handlers that stop the engine and exit. */
  handleSignals?: boolean;
  /** Runs after the engine closed (e.g. stopping an embedded control plane the engine was connected to). */
  afterStop?: () => Promise<void>;
}

export interface RunningEngine {
  engine: Engine;
  stop(): Promise<void>;
}

/** Start the engine and its command socket. */
export async function runEngine(opts: RunEngineOptions): Promise<RunningEngine> {
  const engine = await Engine.start(opts.config, opts.logger, opts.hooks);
  let socket: { close(): Promise<void> };
  try {
    socket = await serveCommandSocket(opts.config.dataDir, engine.commands);
  } catch (err) {
    await engine.close();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await socket.close();
      await engine.close();
      await opts.afterStop?.();
    })());
  if (opts.handleSignals) {
    const onSignal = (sig: NodeJS.Signals): void => {
      opts.logger.info('stopping on signal', { signal: sig });
      void stop().then(
        () => process.exit(0),
        (err) => {
          opts.logger.error('clean stop failed', { error: err });
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { engine, stop };
}
