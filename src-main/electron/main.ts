/**
 * The desktop app (Electron main). It plays the same part as the headless console
 * (../headless/headless-gateway.ts). It runs the embedded control plane. It supervises the
 * engine, here as a utilityProcess. It serves the console to its own window, through the same
 * handlers, over trusted IPC.
 *
 * Lifecycle: one instance per user; a second launch focuses the first one's window and quits.
 * Closing the window only hides it, because the gateway keeps serving volumes. The tray icon
 * shows the engine's state and has Open console and Quit. Quit (from the tray, the app menu or
 * the OS) stops the engine cleanly first, flushing every write log, then exits.
 */
import { app, dialog, Notification, type BrowserWindow } from 'electron';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertDataDirFree, callEngine, createLogger, engineProcessEntryPath, validateEngineConfig } from '../../src-gateway-engine/index.js';
import { embeddedControlPlaneDir, startControlPlane, validateControlPlaneConfig, type RunningControlPlane } from '../../src-control-plane/index.js';
import { defaultDataDir } from '../cli/data-dirs.js';
import { loadGatewayId } from '../cli/gateway-identity.js';
import { createEventEmitter, createTrustedRegistrar } from '../ipc/electron-ipc.js';
import { registerConsoleHandlers, startLiveUpdates, type ConsoleDeps } from '../ipc/handlers/index.js';
import { EngineSupervisor } from '../supervisor/engine-supervisor.js';
import { desktopArgs, desktopEngineConfig, desktopListener } from './desktop-gateway-config.js';
import { createGatewayTray } from './gateway-tray.js';
import { ConsoleWindows, hardenApp, hardenSession } from './secure-window.js';
import { utilityProcessLauncher } from './utility-launcher.js';

// out/main/index.js; the preload and the renderer are built beside it (electron.vite.config.ts).
const here = dirname(fileURLToPath(import.meta.url));
const log = createLogger({ level: 'info' });
const WINDOW_SIZE = { width: 1280, height: 800, minWidth: 960, minHeight: 600 };

hardenApp();
if (!app.requestSingleInstanceLock()) {
  app.quit(); // the running instance shows its window (its 'second-instance' handler)
} else {
  // With no window open the app lives on in the tray: never quit just because the window closed.
  app.on('window-all-closed', () => undefined);
  app
    .whenReady()
    .then(startDesktop)
    .catch((err: unknown) => fatal('Tidegate could not start', err));
}

async function startDesktop(): Promise<void> {
  hardenSession();
  const iconDir = app.isPackaged ? join(process.resourcesPath, 'icons') : join(app.getAppPath(), 'resources', 'icons');
  const args = desktopArgs(process.argv.slice(1));
  const dataDir = resolve(args.dataDir ?? defaultDataDir());

  // The same order as `tidegate serve`: a bad setting or a busy data dir stops us before anything listens.
  validateEngineConfig(desktopEngineConfig({ args, dataDir, gatewayId: 'gw-unset', embedded: null }));
  const controlPlaneListen = desktopListener(args, 'control-plane');
  const gatewayId = await loadGatewayId(dataDir);
  await assertDataDirFree(dataDir);
  const embedded = controlPlaneListen === null ? null : await startEmbeddedControlPlane(dataDir, controlPlaneListen);
  const engineConfig = desktopEngineConfig({ args, dataDir, gatewayId, embedded });
  const supervisor = new EngineSupervisor({ launcher: utilityProcessLauncher, entryPath: engineProcessEntryPath(), config: engineConfig, log });

  const windows = new ConsoleWindows({
    preloadPath: join(here, '..', 'preload', 'index.cjs'),
    rendererIndexPath: join(here, '..', 'renderer', 'index.html'),
    iconPath: join(iconDir, 'app-256.png'),
  });
  const register = createTrustedRegistrar(windows.isTrustedSender, { onRejected: (channel, reason) => log.warn('refused a console call', { channel, reason }) });
  const emit = createEventEmitter(() => windows.all(), windows.isTrustedContents);
  const deps: ConsoleDeps = {
    engine: (method, params, timeoutMs) => callEngine(dataDir, method, params, timeoutMs),
    engineProcess: supervisor,
    appInfo: {
      version: app.getVersion(),
      shell: 'electron',
      dataDir,
      embeddedControlPlaneUrl: embedded?.url ?? null,
      hostTimezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    },
    hostInfo: () => ({
      hostname: hostname(),
      platform: process.platform,
      arch: process.arch,
      electron: process.versions.electron,
      node: process.versions.node,
      consolePid: process.pid,
      consoleMemory: process.memoryUsage(),
    }),
  };
  // Handlers first: the renderer's first calls must find them.
  registerConsoleHandlers(register, emit, deps);
  const stopLive = startLiveUpdates(deps, emit, { isWatched: () => windows.all().some((w) => w.isVisible()) });

  let quitting: Promise<void> | null = null;
  let toldAboutTray = false;

  const openConsole = (): void => {
    const win = windows.all()[0] ?? createWindow();
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  const createWindow = (): BrowserWindow => {
    const win = windows.create(WINDOW_SIZE, (err) => {
      log.error('the console could not be loaded', { error: err.message });
      dialog.showErrorBox('The Tidegate console could not be loaded', `${err.message}\n\nThe gateway keeps running; the tray icon can quit it.`);
    });
    win.on('close', (event) => {
      if (quitting !== null) return;
      // Closing the window must not stop the gateway: hide it, and say so the first time.
      event.preventDefault();
      win.hide();
      if (!toldAboutTray) {
        toldAboutTray = true;
        tellStillRunning();
      }
    });
    return win;
  };

  const tellStillRunning = (): void => {
    const title = 'Tidegate is still running';
    const body = 'The gateway keeps serving your volumes. Open the console or quit from the Tidegate icon in the tray.';
    if (tray.balloon(title, body)) return;
    if (Notification.isSupported()) new Notification({ title, body, silent: true }).show();
  };

  const quit = (): Promise<void> =>
    (quitting ??= (async () => {
      log.info('quitting: stopping the engine (flushing every write log)');
      stopLive();
      for (const w of windows.all()) w.hide();
      try {
        await supervisor.stop();
      } catch (err) {
        log.error('the engine did not stop cleanly', { error: err instanceof Error ? err.message : String(err) });
      }
      await embedded?.close().catch(() => undefined);
      tray.destroy();
      app.exit(0); // skips before-quit, which would bring us back here
    })());

  const tray = createGatewayTray(supervisor.state, { iconDir, openConsole, quit: () => void quit() });
  supervisor.onStateChange((s) => tray.update(s));

  app.on('second-instance', openConsole);
  app.on('activate', openConsole); // macOS: a click on the dock icon
  app.on('before-quit', (event) => {
    // Cmd+Q, the app menu, the OS asking: every quit goes through the clean stop.
    event.preventDefault();
    void quit();
  });

  createWindow();
  // The window opens at once and shows the engine starting; replaying a long write log can take minutes.
  supervisor.start().catch((err: unknown) => log.error('the engine did not start', { error: err instanceof Error ? err.message : String(err) }));
}

async function startEmbeddedControlPlane(dataDir: string, listen: NonNullable<ReturnType<typeof desktopListener>>): Promise<RunningControlPlane | null> {
  const config = validateControlPlaneConfig({ listen, dataDir: embeddedControlPlaneDir(dataDir), logLevel: 'info' });
  try {
    return await startControlPlane(config);
  } catch (err) {
    // Without it the gateway still serves volumes; it can join a remote control plane instead.
    log.warn('the embedded control plane did not start; continuing without it', { error: err instanceof Error ? err.message : String(err) });
    return null;
  }
}

function fatal(title: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  log.error(title, { error: message });
  dialog.showErrorBox(title, message);
  app.exit(1);
}
