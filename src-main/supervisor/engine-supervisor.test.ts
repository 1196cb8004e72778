import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineConfigInput, EngineProcessMessage, SupervisorMessage } from '../../src-gateway-engine/index.js';
import type { EngineProcessState } from '../ipc/ipc-contract.js';
import type { EngineChild } from './engine-launcher.js';
import { EngineStartError, EngineSupervisor, type EngineSupervisorOptions } from './engine-supervisor.js';

/** An engine process in memory: the test says when it is ready, fails or exits. */
class FakeChild implements EngineChild {
  readonly sent: SupervisorMessage[] = [];
  readonly kills: Array<'SIGTERM' | 'SIGKILL'> = [];
  exited = false;
  readonly #messageListeners: Array<(m: EngineProcessMessage) => void> = [];
  readonly #exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  #exit: [number | null, string | null] | null = null;

  constructor(
    readonly pid: number,
    readonly entryPath: string,
  ) {}

  send(message: SupervisorMessage): void {
    if (!this.exited) this.sent.push(message);
  }
  onMessage(listener: (m: EngineProcessMessage) => void): void {
    this.#messageListeners.push(listener);
  }
  onExit(listener: (code: number | null, signal: string | null) => void): void {
    if (this.#exit !== null) listener(...this.#exit);
    else this.#exitListeners.push(listener);
  }
  kill(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.kills.push(signal);
    if (signal === 'SIGKILL') this.exit(null, 'SIGKILL');
  }

  ready(addresses = { nbd: '127.0.0.1:10809', iscsi: null, metrics: null } as { nbd: string | null; iscsi: string | null; metrics: string | null }): void {
    this.#message({ type: 'ready', pid: this.pid, addresses });
  }
  startFailed(code: string, message: string): void {
    this.#message({ type: 'start-failed', error: { code, message } });
  }
  exit(code: number | null, signal: string | null = null): void {
    if (this.exited) return;
    this.exited = true;
    this.#exit = [code, signal];
    for (const l of this.#exitListeners) l(code, signal);
  }
  #message(m: EngineProcessMessage): void {
    if (this.exited) throw new Error('a dead process sends nothing');
    for (const l of this.#messageListeners) l(m);
  }
}

const CONFIG: EngineConfigInput = { gatewayId: 'gw-test', dataDir: '/nowhere' } as EngineConfigInput;
const ENTRY = '/opt/tidegate/engine-process.js';

let children: FakeChild[];
let logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;

function supervisor(o: Partial<EngineSupervisorOptions> = {}): EngineSupervisor {
  let nextPid = 1000;
  return new EngineSupervisor({
    launcher: (entryPath) => {
      const c = new FakeChild(nextPid++, entryPath);
      children.push(c);
      return c;
    },
    entryPath: ENTRY,
    config: CONFIG,
    log: {
      info: (msg, fields) => logs.push({ level: 'info', msg, fields }),
      warn: (msg, fields) => logs.push({ level: 'warn', msg, fields }),
      error: (msg, fields) => logs.push({ level: 'error', msg, fields }),
    },
    startTimeoutMs: 10_000,
    stopTimeoutMs: 5_000,
    restartDelayMs: { initial: 100, max: 800 },
    stableAfterMs: 60_000,
    ...o,
  });
}

const last = (): FakeChild => children[children.length - 1]!;

/** Start and make the first engine ready. */
async function started(s: EngineSupervisor): Promise<FakeChild> {
  const p = s.start();
  last().ready();
  await p;
  return last();
}

/** Whether a promise has settled by now (after pending microtasks). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

/** Crash the running engine and return the delay after which the next one was launched. */
async function crashAndMeasureDelay(s: EngineSupervisor, child: FakeChild, maxMs = 10_000): Promise<number> {
  const before = children.length;
  child.exit(1);
  expect(s.state.state).toBe('restarting');
  let waited = 0;
  while (children.length === before) {
    if (waited >= maxMs) throw new Error(`no relaunch within ${maxMs} ms`);
    await vi.advanceTimersByTimeAsync(1);
    waited++;
  }
  return waited;
}

beforeEach(() => {
  vi.useFakeTimers();
  children = [];
  logs = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('EngineSupervisor start', () => {
  it('launches the entry, sends the config, and resolves only once the engine is ready', async () => {
    const s = supervisor();
    expect(s.state).toMatchObject({ state: 'stopped', pid: null, restarts: 0, lastExit: null, lastError: null });
    expect(s.addresses).toBeNull();
    const p = s.start();
    expect(children).toHaveLength(1);
    expect(last().entryPath).toBe(ENTRY);
    expect(last().sent).toEqual([{ type: 'start', config: CONFIG }]);
    expect(s.state).toMatchObject({ state: 'starting', pid: 1000 });
    expect(await settled(p)).toBe(false);
    last().ready({ nbd: '127.0.0.1:1', iscsi: '127.0.0.1:2', metrics: '127.0.0.1:3' });
    await expect(p).resolves.toBeUndefined();
    expect(s.state).toMatchObject({ state: 'running', pid: 1000, restarts: 0, lastError: null });
    expect(s.addresses).toEqual({ nbd: '127.0.0.1:1', iscsi: '127.0.0.1:2', metrics: '127.0.0.1:3' });
  });

  it('refuses a second start while an engine runs', async () => {
    const s = supervisor();
    await started(s);
    await expect(s.start()).rejects.toThrow(/already running/);
    expect(children).toHaveLength(1);
  });

  it('rejects with the engine code on a first-start start-failed, and does not restart', async () => {
    const s = supervisor();
    const p = s.start();
    last().startFailed('ADDRESS_IN_USE', 'port 10809 is in use');
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineStartError);
    expect(err).toMatchObject({ name: 'EngineStartError', code: 'ADDRESS_IN_USE', message: 'port 10809 is in use' });
    expect(s.state.state).toBe('failed');
    expect(s.state.lastError).toContain('port 10809 is in use');
    // The engine exits after start-failed (engine-process.ts); still no restart, however long we wait.
    last().exit(1);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(children).toHaveLength(1);
    expect(s.state.state).toBe('failed');
    expect(s.state.restarts).toBe(0);
    expect(s.state.lastExit).toMatchObject({ code: 1, signal: null });
  });

  it('rejects when the engine exits while starting, and does not restart', async () => {
    const s = supervisor();
    const p = s.start();
    last().exit(null, 'SIGSEGV');
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineStartError);
    expect((err as EngineStartError).code).toBe('ENGINE_EXITED');
    expect((err as Error).message).toContain('signal SIGSEGV');
    expect(s.state).toMatchObject({ state: 'failed', pid: null, restarts: 0 });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(children).toHaveLength(1);
  });

  it('kills an engine that does not become ready within startTimeoutMs', async () => {
    const s = supervisor({ startTimeoutMs: 2_000 });
    const p = s.start();
    const caught = p.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(last().kills).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    const err = await caught;
    expect((err as EngineStartError).code).toBe('ENGINE_START_TIMEOUT');
    expect(last().kills).toEqual(['SIGKILL']);
    expect(s.state.state).toBe('failed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(1);
  });
});

describe('EngineSupervisor restarts', () => {
  it('restarts an engine that exits unexpectedly after the backoff delay', async () => {
    const s = supervisor();
    const first = await started(s);
    first.exit(3);
    expect(s.state).toMatchObject({ state: 'restarting', pid: null, restarts: 1 });
    expect(s.state.lastExit).toMatchObject({ code: 3, signal: null });
    expect(s.state.lastError).toMatch(/exited unexpectedly \(exit code 3\)/);
    expect(logs.some((l) => l.level === 'warn' && /restarting in 100 ms/.test(l.msg))).toBe(true);
    await vi.advanceTimersByTimeAsync(99);
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(2);
    expect(s.state.state).toBe('starting');
    expect(last().sent).toEqual([{ type: 'start', config: CONFIG }]);
    last().ready({ nbd: null, iscsi: '127.0.0.1:3260', metrics: null });
    await vi.advanceTimersByTimeAsync(0);
    expect(s.state).toMatchObject({ state: 'running', pid: 1001, restarts: 1, lastError: null });
    expect(s.addresses).toEqual({ nbd: null, iscsi: '127.0.0.1:3260', metrics: null });
  });

  it('doubles the backoff on each quick exit and caps it at the maximum', async () => {
    const s = supervisor({ restartDelayMs: { initial: 100, max: 500 } });
    let child = await started(s);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      delays.push(await crashAndMeasureDelay(s, child));
      child = last();
      child.ready();
      await vi.advanceTimersByTimeAsync(0);
      expect(s.state.state).toBe('running');
    }
    expect(delays).toEqual([100, 200, 400, 500, 500]);
    expect(s.state.restarts).toBe(5);
  });

  it('resets the backoff once an engine has run for stableAfterMs', async () => {
    const s = supervisor({ stableAfterMs: 5_000 });
    let child = await started(s);
    expect(await crashAndMeasureDelay(s, child)).toBe(100);
    last().ready();
    child = last();
    await vi.advanceTimersByTimeAsync(0);
    expect(await crashAndMeasureDelay(s, child)).toBe(200);
    last().ready();
    child = last();
    await vi.advanceTimersByTimeAsync(4_000); // not stable yet
    expect(await crashAndMeasureDelay(s, child)).toBe(400);
    last().ready();
    child = last();
    await vi.advanceTimersByTimeAsync(5_000); // stable
    expect(await crashAndMeasureDelay(s, child)).toBe(100);
  });

  it('keeps backing off when relaunched engines die before becoming ready, even long after the last ready', async () => {
    const s = supervisor({ stableAfterMs: 5_000 });
    const child = await started(s);
    await vi.advanceTimersByTimeAsync(60_000); // it ran long: the first restart is quick
    expect(await crashAndMeasureDelay(s, child)).toBe(100);
    // Each new engine crashes while starting (e.g. its disk is gone): the delays must grow.
    expect(await crashAndMeasureDelay(s, last())).toBe(200);
    expect(await crashAndMeasureDelay(s, last())).toBe(400);
    expect(await crashAndMeasureDelay(s, last())).toBe(800);
    expect(s.state.restarts).toBe(4);
  });

  it('keeps trying after a relaunched engine reports start-failed and exits', async () => {
    const s = supervisor();
    const child = await started(s);
    child.exit(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(children).toHaveLength(2);
    last().startFailed('IO_ERROR', 'cache disk missing');
    await vi.advanceTimersByTimeAsync(0);
    expect(logs.some((l) => l.level === 'error' && l.msg === 'engine restart failed' && l.fields?.error === 'cache disk missing')).toBe(true);
    expect(s.state.lastError).toContain('IO_ERROR');
    last().exit(1);
    expect(s.state.state).toBe('restarting');
    await vi.advanceTimersByTimeAsync(200);
    expect(children).toHaveLength(3);
    last().ready();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.state).toMatchObject({ state: 'running', restarts: 2, lastError: null });
  });
});

describe('EngineSupervisor stop', () => {
  it('sends stop, waits for the engine to exit, ends stopped, and never restarts it', async () => {
    const s = supervisor();
    const child = await started(s);
    const p = s.stop();
    expect(child.sent.at(-1)).toEqual({ type: 'stop' });
    expect(s.state.state).toBe('stopping');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await settled(p)).toBe(false);
    expect(s.stop()).toBe(p); // one stop, however often asked
    child.exit(0);
    await p;
    expect(s.state).toMatchObject({ state: 'stopped', pid: null, restarts: 0 });
    expect(child.kills).toEqual([]);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(children).toHaveLength(1);
  });

  it('kills an engine that does not stop within stopTimeoutMs', async () => {
    const s = supervisor({ stopTimeoutMs: 3_000 });
    const child = await started(s);
    const p = s.stop();
    await vi.advanceTimersByTimeAsync(2_999);
    expect(child.kills).toEqual([]);
    expect(await settled(p)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(child.kills).toEqual(['SIGKILL']);
    await p;
    expect(s.state.state).toBe('stopped');
    expect(logs.some((l) => l.level === 'error' && /did not stop in time/.test(l.msg))).toBe(true);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(children).toHaveLength(1);
  });

  it('cancels a pending restart', async () => {
    const s = supervisor({ restartDelayMs: { initial: 1_000, max: 1_000 } });
    const child = await started(s);
    child.exit(1);
    expect(s.state.state).toBe('restarting');
    await s.stop();
    expect(s.state.state).toBe('stopped');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(1);
  });

  it('with no engine running, is simply stopped', async () => {
    const s = supervisor();
    await s.stop();
    expect(s.state.state).toBe('stopped');
    expect(children).toHaveLength(0);
  });

  it('ends stopped (not failed) when stopped while the first start is under way', async () => {
    const s = supervisor();
    const p = s.start();
    const caught = p.catch((e: unknown) => e);
    const stopped = s.stop();
    expect(last().sent.at(-1)).toEqual({ type: 'stop' });
    last().exit(0);
    await stopped;
    expect(await caught).toBeInstanceOf(EngineStartError);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.state.state).toBe('stopped');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(1);
  });
});

describe('EngineSupervisor state', () => {
  it('tells listeners every change, and stops telling after unsubscribe', async () => {
    const s = supervisor();
    const seen: EngineProcessState[] = [];
    const unsubscribe = s.onStateChange((st) => seen.push(st));
    const child = await started(s);
    child.exit(null, 'SIGKILL');
    await vi.advanceTimersByTimeAsync(100);
    last().ready();
    await vi.advanceTimersByTimeAsync(0);
    const states = seen.map((x) => x.state).filter((x, i, a) => i === 0 || a[i - 1] !== x);
    expect(states).toEqual(['starting', 'running', 'restarting', 'starting', 'running']);
    expect(seen.at(-1)).toEqual(s.state);
    const restarting = seen.find((x) => x.state === 'restarting')!;
    expect(restarting.lastExit).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(restarting.lastError).toContain('signal SIGKILL');
    unsubscribe();
    const n = seen.length;
    const stopping = s.stop();
    last().exit(0);
    await stopping;
    expect(seen).toHaveLength(n);
  });

  it('hands out copies: changing one does not change the supervisor', async () => {
    const s = supervisor();
    await started(s);
    const st = s.state;
    st.state = 'failed';
    st.restarts = 99;
    expect(s.state).toMatchObject({ state: 'running', restarts: 0 });
  });

  it('stamps `since` when the state changes, not on other changes', async () => {
    const s = supervisor();
    const p = s.start();
    const startingSince = s.state.since;
    await vi.advanceTimersByTimeAsync(5_000);
    last().ready();
    await p;
    const runningSince = s.state.since;
    expect(Date.parse(runningSince) - Date.parse(startingSince)).toBe(5_000);
    await vi.advanceTimersByTimeAsync(1_000);
    last().exit(1);
    expect(Date.parse(s.state.since) - Date.parse(runningSince)).toBe(1_000);
  });
});
