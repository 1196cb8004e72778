/**
 * Messages between a supervisor (src-main) and a supervised engine process
 * (engine-process.ts), over the child's IPC channel: Node's `process.send` for a forked
 * process, `process.parentPort` for an Electron utilityProcess. Commands do not travel here:
 * once ready, the supervisor and every other door use the command socket in the data dir.
 *
 * supervisor → engine: start (once) … stop (flush every write log, release ports, exit 0).
 * engine → supervisor: ready | start-failed (then exit 1) … stopped (just before exit 0).
 */
import { fileURLToPath } from 'node:url';
import type { EngineConfigInput } from '../config/index.js';

export type SupervisorMessage =
  | { type: 'start'; config: EngineConfigInput }
  | { type: 'stop' };

export type EngineProcessMessage =
  | { type: 'ready'; pid: number; addresses: { nbd: string | null; iscsi: string | null; metrics: string | null } }
  | { type: 'start-failed'; error: { code: string; message: string } }
  | { type: 'stopped' };

/** Path of the compiled engine process entry, for a supervisor running from the compiled tree (out/node). */
export function engineProcessEntryPath(): string {
  return fileURLToPath(new URL('./engine-process.js', import.meta.url));
}
