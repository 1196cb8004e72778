/**
 * The console's handlers without a door: an in-memory `register` (a Map), a recording
 * `emit`, and a scripted engine that records every call. For the handlers' unit tests.
 */
import { ErrorCode, TidegateError, type CommandParams, type CommandResult, type EngineCommand } from '../../../../src-gateway-engine/index.js';
import type { AppInfo, EngineProcessState, IpcEventMap, IpcEventName } from '../../ipc-contract.js';
import type { ConsoleDeps, EmitEvent, EngineCaller, RegisterHandler } from '../console-deps.js';
import { registerConsoleHandlers } from '../index.js';

export type EngineScript = { [M in EngineCommand]?: (params: CommandParams<M>) => CommandResult<M> | Promise<CommandResult<M>> };

export interface EngineCall {
  method: EngineCommand;
  params: unknown;
  timeoutMs: number | undefined;
}

export const APP_INFO: AppInfo = {
  version: '0.1.0-test',
  shell: 'headless',
  dataDir: '/nonexistent/tidegate-data',
  embeddedControlPlaneUrl: 'https://127.0.0.1:9443',
  hostTimezone: 'Europe/Paris',
};

/** The engine process, as the supervisor would show it; `set` changes it and tells listeners. */
export class FakeEngineProcess {
  #state: EngineProcessState = { state: 'running', pid: 4242, restarts: 0, since: '2026-01-01T00:00:00.000Z', lastExit: null, lastError: null };
  readonly listeners = new Set<(s: EngineProcessState) => void>();
  get state(): EngineProcessState {
    return { ...this.#state };
  }
  onStateChange(listener: (s: EngineProcessState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(patch: Partial<EngineProcessState>): void {
    this.#state = { ...this.#state, ...patch };
    for (const l of this.listeners) l(this.state);
  }
}

/** A scripted engine caller: answers from `script`, records every call, and fails loudly on an unscripted method. */
export function fakeEngine(script: EngineScript): { engine: EngineCaller; calls: EngineCall[]; script: EngineScript } {
  const calls: EngineCall[] = [];
  const engine = (async (method: EngineCommand, params: unknown, timeoutMs?: number) => {
    calls.push({ method, params, timeoutMs });
    const fn = script[method] as ((p: unknown) => unknown) | undefined;
    if (fn === undefined) throw new TidegateError(ErrorCode.NotSupported, `the test engine has no answer for ${method}`);
    return fn(params);
  }) as EngineCaller;
  return { engine, calls, script };
}

export interface Harness {
  handlers: Map<string, (req: unknown) => Promise<unknown>>;
  /** Channels in the order they were registered (a channel registered twice shows twice). */
  registered: string[];
  events: Array<{ event: IpcEventName; payload: IpcEventMap[IpcEventName] }>;
  calls: EngineCall[];
  script: EngineScript;
  engineProcess: FakeEngineProcess;
  deps: ConsoleDeps;
  /** Call a channel's handler as a door would. */
  call(channel: string, req?: unknown): Promise<unknown>;
}

/** Every handler registered with a scripted engine. */
export function consoleHarness(o: { engine?: EngineScript; appInfo?: Partial<AppInfo>; hostInfo?: () => Record<string, unknown> } = {}): Harness {
  const handlers = new Map<string, (req: unknown) => Promise<unknown>>();
  const registered: string[] = [];
  const register: RegisterHandler = (channel, handler) => {
    registered.push(channel);
    handlers.set(channel, handler as (req: unknown) => Promise<unknown>);
  };
  const events: Harness['events'] = [];
  const emit: EmitEvent = (event, payload) => {
    events.push({ event, payload: structuredClone(payload) });
  };
  const { engine, calls, script } = fakeEngine(o.engine ?? {});
  const engineProcess = new FakeEngineProcess();
  const deps: ConsoleDeps = { engine, engineProcess, appInfo: { ...APP_INFO, ...o.appInfo }, ...(o.hostInfo ? { hostInfo: o.hostInfo } : {}) };
  registerConsoleHandlers(register, emit, deps);
  return {
    handlers,
    registered,
    events,
    calls,
    script,
    engineProcess,
    deps,
    call: (channel, req) => {
      const h = handlers.get(channel);
      if (h === undefined) throw new Error(`no handler for ${channel}`);
      return h(req);
    },
  };
}

/** A volume as the engine lists it. */
export function volumeInfo(name: string, queuedWrites = 0): CommandResult<'volume.list'>[number] {
  return {
    name,
    volumeId: `vol-${name}`,
    mode: 'cached',
    sizeBytes: 1 << 30,
    diskPath: null,
    state: 'available',
    error: null,
    nbdExport: name,
    iscsi: { targetName: `iqn.2026-11.dev.tidegate:${name}`, chapUser: null, mutualChapUser: null, allowedInitiators: [], sessions: 0 },
    clients: [],
    recoveryPoint: { headNo: 1, lastSeq: 1, committedAt: '2026-01-01T00:00:00.000Z' },
    metrics: { QueuedWrites: queuedWrites } as CommandResult<'volume.list'>[number]['metrics'],
  };
}
