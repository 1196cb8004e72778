/**
 * What the console's handlers need, passed in by whoever serves the console (the Electron
 * main process or the headless server), so handlers are tested without either.
 */
import type { CommandParams, CommandResult, EngineCommand } from '../../../src-gateway-engine/index.js';
import type { AppInfo, EngineProcessState, IpcEventMap, IpcEventName, IpcInvokeChannel, IpcRequest, IpcResult } from '../ipc-contract.js';

/** Calls the engine's command API (over the command socket in the data dir). */
export type EngineCaller = <M extends EngineCommand>(method: M, params: CommandParams<M>, timeoutMs?: number) => Promise<CommandResult<M>>;

/** Registers one handler for a channel (Electron: a trusted ipcMain.handle; headless: an HTTP route). */
export type RegisterHandler = <C extends IpcInvokeChannel>(channel: C, handler: (req: IpcRequest<C>) => Promise<IpcResult<C>>) => void;

/** Pushes an event to every console window or browser. */
export type EmitEvent = <E extends IpcEventName>(event: E, payload: IpcEventMap[E]) => void;

export interface ConsoleDeps {
  engine: EngineCaller;
  /** The engine process's state and its changes. */
  engineProcess: { readonly state: EngineProcessState; onStateChange(listener: (s: EngineProcessState) => void): () => void };
  appInfo: AppInfo;
  /** Diagnostics about the host and the console process, for the support bundle. */
  hostInfo?: () => Record<string, unknown>;
}
