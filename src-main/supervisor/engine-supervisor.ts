/**
 * The engine supervisor: runs the engine as its own process, restarts it when it dies, reports
 * its state, and stops it cleanly (every write log flushed) on quit.
 *
 * States:
 *   starting ──ready──▶ running ──unexpected exit──▶ restarting ──(backoff)──▶ starting …
 *   starting ──start-failed / exit── (first start) ─▶ failed      (start() rejects)
 *   any ──stop()──▶ stopping ──exit──▶ stopped
 *
 * Restarts back off (0.5 s doubling to 30 s) and never give up: a gateway heals itself when
 * the disk or port it lacked comes back. The backoff resets once an engine has run for a minute.
 * A stop waits for the engine's own clean shutdown; after `stopTimeoutMs` it is killed, which
 * loses nothing acknowledged-and-flushed (the write log replays on the next start).
 */
import type { EngineConfigInput, EngineProcessMessage } from '../../src-gateway-engine/index.js';
import type { EngineProcessState } from '../ipc/ipc-contract.js';
import type { EngineChild, EngineLauncher } from './engine-launcher.js';

/** What the supervisor logs (the engine logs for itself). */
export interface SupervisorLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface EngineSupervisorOptions {
  launcher: EngineLauncher;
  /** Compiled engine-process.js. */
  entryPath: string;
  /** Sent to every engine process it starts. */
  config: EngineConfigInput;
  log: SupervisorLog;
  /** How long an engine may take from launch to ready (replaying a long write log takes a while). */
  startTimeoutMs?: number;
  /** How long a clean stop may take before the engine is killed. */
  stopTimeoutMs?: number;
  restartDelayMs?: { initial: number; max: number };
  /** An engine that ran this long resets the restart backoff. */
  stableAfterMs?: number;
}

const DEFAULTS = {
  startTimeoutMs: 300_000,
  stopTimeoutMs: 120_000,
  restartDelayMs: { initial: 500, max: 30_000 },
  stableAfterMs: 60_000,
};

/** Raised by start() when the engine could not start; `code` is the engine's error code. */
export class EngineStartError extends Error {
  override readonly name = 'EngineStartError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Supervises one engine process at a time. */
export class EngineSupervisor {
  readonly #o: Required<EngineSupervisorOptions>;
  #state: EngineProcessState = { state: 'stopped', pid: null, restarts: 0, since: new Date().toISOString(), lastExit: null, lastError: null };
  #child: EngineChild | null = null;
  #listeners = new Set<(s: EngineProcessState) => void>();
  #restartTimer: NodeJS.Timeout | null = null;
  #delayMs: number;
  #readyAt = 0;
  /** Set once an engine became ready: before that, start() reports failures instead of restarting. */
  #everReady = false;
  #stopping: Promise<void> | null = null;
  #addresses: { nbd: string | null; iscsi: string | null; metrics: string | null } | null = null;

  constructor(options: EngineSupervisorOptions) {
    this.#o = { ...DEFAULTS, ...options } as Required<EngineSupervisorOptions>;
    this.#delayMs = this.#o.restartDelayMs.initial;
  }

  /** The engine process's state now. */
  get state(): EngineProcessState {
    return { ...this.#state };
  }

  /** Where the running engine listens (from its last ready message). */
  get addresses(): { nbd: string | null; iscsi: string | null; metrics: string | null } | null {
    return this.#addresses;
  }

  /** Called on every state change; returns the unsubscribe function. */
  onStateChange(listener: (s: EngineProcessState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Start the engine; resolves once it is ready, rejects with EngineStartError if the first start fails. */
  async start(): Promise<void> {
    if (this.#child !== null) throw new Error('the engine is already running');
    try {
      await this.#launch();
    } catch (err) {
      // Stopped while starting: the stop decides the state (stopped), not the aborted start.
      if (this.#stopping === null) this.#set({ state: 'failed', pid: null, lastError: this.#state.lastError ?? (err as Error).message });
      throw err;
    }
  }

  /** Stop the engine cleanly (it flushes every write log); kill it if it takes longer than stopTimeoutMs. */
  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  async #stop(): Promise<void> {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const child = this.#child;
    if (child === null) {
      this.#set({ state: 'stopped', pid: null });
      return;
    }
    this.#set({ state: 'stopping' });
    const exited = new Promise<void>((resolve) => child.onExit(() => resolve()));
    child.send({ type: 'stop' });
    const timer = setTimeout(() => {
      this.#o.log.error('engine did not stop in time; killing it (its write log replays on the next start)', { pid: child.pid, timeoutMs: this.#o.stopTimeoutMs });
      child.kill('SIGKILL');
    }, this.#o.stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** Launch one engine process and wait for ready (or failure). */
  #launch(): Promise<void> {
    this.#set({ state: 'starting', pid: null });
    this.#readyAt = 0; // until this engine is ready, its exit says nothing about stability
    const child = this.#o.launcher(this.#o.entryPath);
    this.#child = child;
    this.#set({ pid: child.pid });
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err: EngineStartError | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        settle(new EngineStartError('ENGINE_START_TIMEOUT', `the engine did not become ready within ${Math.round(this.#o.startTimeoutMs / 1000)} s`));
        child.kill('SIGKILL');
      }, this.#o.startTimeoutMs);
      child.onMessage((m: EngineProcessMessage) => {
        if (m.type === 'ready') {
          this.#readyAt = Date.now();
          this.#everReady = true;
          this.#addresses = m.addresses;
          this.#set({ state: 'running', pid: m.pid, lastError: null });
          this.#o.log.info('engine is running', { pid: m.pid, ...m.addresses });
          settle(null);
        } else if (m.type === 'start-failed') {
          this.#set({ lastError: `${m.error.message} [${m.error.code}]` });
          settle(new EngineStartError(m.error.code, m.error.message));
        }
      });
      child.send({ type: 'start', config: this.#o.config });
      child.onExit((code, signal) => {
        this.#child = null;
        const at = new Date().toISOString();
        this.#set({ pid: null, lastExit: { code, signal, at } });
        settle(new EngineStartError('ENGINE_EXITED', `the engine exited while starting (${describeExit(code, signal)})`));
        this.#onExit(code, signal);
      });
    });
  }

  #onExit(code: number | null, signal: string | null): void {
    if (this.#stopping !== null) {
      this.#set({ state: 'stopped' });
      return;
    }
    if (!this.#everReady) return; // the first start failed: start() reports it
    const why = `the engine exited unexpectedly (${describeExit(code, signal)})`;
    if (this.#readyAt !== 0 && Date.now() - this.#readyAt >= this.#o.stableAfterMs) this.#delayMs = this.#o.restartDelayMs.initial;
    const delay = this.#delayMs;
    this.#delayMs = Math.min(this.#delayMs * 2, this.#o.restartDelayMs.max);
    this.#o.log.warn(`${why}; restarting in ${delay} ms`, { code, signal });
    this.#set({ state: 'restarting', restarts: this.#state.restarts + 1, lastError: this.#state.lastError ?? why });
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      this.#launch().catch((err: Error) => this.#o.log.error('engine restart failed', { error: err.message }));
    }, delay);
  }

  #set(patch: Partial<EngineProcessState>): void {
    const changedState = patch.state !== undefined && patch.state !== this.#state.state;
    this.#state = { ...this.#state, ...patch, ...(changedState ? { since: new Date().toISOString() } : {}) };
    if (patch.state === 'running') this.#state.lastError = null;
    for (const l of this.#listeners) l(this.state);
  }
}

function describeExit(code: number | null, signal: string | null): string {
  return signal !== null ? `signal ${signal}` : `exit code ${code}`;
}
