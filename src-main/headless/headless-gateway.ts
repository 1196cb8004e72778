/**
 * `tidegate serve --console HOST:PORT`: the gateway the headless way. This process plays
 * Electron main's part — it supervises the engine as a forked process (restarted if it dies),
 * keeps the embedded control plane, and serves the console to a browser over HTTP and a
 * WebSocket, through the same handlers as the desktop app.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callEngine, engineProcessEntryPath, type EngineConfigInput } from '../../src-gateway-engine/index.js';
import { ensureTlsMaterial, type RunningControlPlane } from '../../src-control-plane/index.js';
import { registerConsoleHandlers, startLiveUpdates, type ConsoleDeps } from '../ipc/handlers/index.js';
import { EngineSupervisor, type SupervisorLog } from '../supervisor/engine-supervisor.js';
import { forkLauncher } from '../supervisor/fork-launcher.js';
import { startConsoleServer, isLoopbackAddress } from './console-server.js';
import { loadOrCreateConsoleToken } from './console-token.js';

export interface HeadlessGatewayOptions {
  dataDir: string;
  /** The engine's configuration (validated by the caller), sent to every engine process. */
  engineConfig: EngineConfigInput;
  console: { host: string; port: number };
  /** Already running; stopped with the rest. */
  embeddedControlPlane: RunningControlPlane | null;
  log: SupervisorLog;
}

export interface RunningHeadlessGateway {
  consoleUrl: string;
  supervisor: EngineSupervisor;
  stop(): Promise<void>;
}

/** The built renderer, next to the compiled tree (out/renderer). */
export function rendererDir(): string {
  return fileURLToPath(new URL('../../../renderer/', import.meta.url));
}

/** Start the supervised engine, then the console; rejects (with everything stopped) if the engine cannot start. */
export async function startHeadlessGateway(o: HeadlessGatewayOptions): Promise<RunningHeadlessGateway> {
  const supervisor = new EngineSupervisor({ launcher: forkLauncher, entryPath: engineProcessEntryPath(), config: o.engineConfig, log: o.log });
  await supervisor.start();
  let server;
  try {
    const loopback = isLoopbackAddress(o.console.host);
    const tls = loopback ? undefined : await ensureTlsMaterial(join(o.dataDir, 'console-tls'), [hostname(), ...(o.console.host === '0.0.0.0' || o.console.host === '::' ? [] : [o.console.host])]);
    server = await startConsoleServer({
      host: o.console.host,
      port: o.console.port,
      rendererDir: rendererDir(),
      token: await loadOrCreateConsoleToken(o.dataDir),
      ...(tls ? { tls: { certPem: tls.certPem, keyPem: tls.keyPem } } : {}),
    });
  } catch (err) {
    await supervisor.stop();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') throw new Error(`the console cannot listen on ${o.console.host}:${o.console.port} (${e.code}); choose another with --console HOST:PORT`);
    throw err;
  }
  const deps: ConsoleDeps = {
    engine: (method, params, timeoutMs) => callEngine(o.dataDir, method, params, timeoutMs),
    engineProcess: supervisor,
    appInfo: {
      version: packageVersion(),
      shell: 'headless',
      dataDir: o.dataDir,
      embeddedControlPlaneUrl: o.embeddedControlPlane?.url ?? null,
      hostTimezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    },
    hostInfo: () => ({ hostname: hostname(), platform: process.platform, arch: process.arch, node: process.versions.node, consolePid: process.pid, consoleMemory: process.memoryUsage() }),
  };
  registerConsoleHandlers(server.register, server.emit, deps);
  const stopLive = startLiveUpdates(deps, server.emit, { isWatched: () => server.watchers > 0 });
  let stopping: Promise<void> | undefined;
  return {
    consoleUrl: server.url,
    supervisor,
    stop: () =>
      (stopping ??= (async () => {
        stopLive();
        await server.close();
        await supervisor.stop();
        await o.embeddedControlPlane?.close();
      })()),
  };
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
