/**
 * EngineLauncher for headless mode: the engine as a forked Node process. Its stdout and
 * stderr (the engine's JSON log lines) pass through to ours.
 */
import { fork } from 'node:child_process';
import type { EngineProcessMessage } from '../../src-gateway-engine/index.js';
import type { EngineChild, EngineLauncher } from './engine-launcher.js';

/** Fork the engine process entry with Node. */
export const forkLauncher: EngineLauncher = (entryPath) => {
  const child = fork(entryPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  // A send to a child that just died must not crash the supervisor; its exit event says what happened.
  child.on('error', () => undefined);
  const engineChild: EngineChild = {
    get pid() {
      return child.pid ?? null;
    },
    send: (message) => {
      if (child.connected) child.send(message, (err) => void err);
    },
    onMessage: (listener) => child.on('message', (m) => listener(m as EngineProcessMessage)),
    onExit: (listener) => {
      if (child.exitCode !== null || child.signalCode !== null) listener(child.exitCode, child.signalCode);
      else child.once('exit', (code, signal) => listener(code, signal));
    },
    kill: (signal) => {
      child.kill(signal);
    },
  };
  return engineChild;
};
