// A stand-in for Electron's main-process API: just enough to run the built out/main/index.js
// under plain Node. utilityProcess is emulated with a Node fork (the engine process speaks
// process.send when it has no parentPort). Everything the app does is recorded in `stub`.
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const stub = { handlers: new Map(), appEvents: new Map(), windows: [], sent: [], tooltips: [], errorBoxes: [], forks: [], exitCode: null, onExit: null };

export const app = {
  enableSandbox: () => void (stub.sandboxEnabled = true),
  on: (event, listener) => void stub.appEvents.set(event, listener),
  requestSingleInstanceLock: () => true,
  whenReady: () => Promise.resolve(),
  isPackaged: false,
  getAppPath: () => fileURLToPath(new URL('../../../../', import.meta.url)),
  getVersion: () => '0.0.0-test',
  quit: () => undefined,
  exit: (code) => {
    stub.exitCode = code;
    stub.onExit?.(code);
  },
};

export const session = {
  defaultSession: {
    webRequest: { onHeadersReceived: (fn) => void (stub.onHeadersReceived = fn) },
    setPermissionRequestHandler: (fn) => void (stub.permissionRequest = fn),
    setPermissionCheckHandler: (fn) => void (stub.permissionCheck = fn),
    setDevicePermissionHandler: () => undefined,
  },
};

let nextId = 1;
export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.visible = false;
    this.url = '';
    this.webContents = Object.assign(new EventEmitter(), {
      id: nextId++,
      getURL: () => this.url,
      isDestroyed: () => false,
      send: (channel, message) => stub.sent.push({ channel, event: message.event }),
      setWindowOpenHandler: () => undefined,
    });
    stub.windows.push(this);
  }
  async loadFile(path) {
    if (!existsSync(path)) throw new Error(`ERR_FILE_NOT_FOUND ${path}`);
    this.url = pathToFileURL(path).href;
    setImmediate(() => this.emit('ready-to-show'));
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  isVisible() {
    return this.visible;
  }
  isMinimized() {
    return false;
  }
  restore() {}
  focus() {}
  isDestroyed() {
    return false;
  }
  close() {
    let prevented = false;
    this.emit('close', { preventDefault: () => void (prevented = true) });
    if (!prevented) this.emit('closed');
  }
}

export class Tray {
  on() {}
  setImage() {}
  setToolTip(text) {
    stub.tooltips.push(text);
  }
  setContextMenu() {}
  displayBalloon() {}
  destroy() {
    stub.trayDestroyed = true;
  }
}

export const Menu = { buildFromTemplate: (template) => template };
export const nativeImage = {
  createFromPath: (path) => {
    if (!existsSync(path)) throw new Error(`no icon at ${path}`);
    return { path };
  },
};
export const dialog = { showErrorBox: (title, message) => void stub.errorBoxes.push(`${title}: ${message}`) };
export class Notification {
  static isSupported() {
    return false;
  }
}
export const shell = { openExternal: async () => undefined };
export const ipcMain = {
  handle: (channel, listener) => {
    if (stub.handlers.has(channel)) throw new Error(`a second handler for ${channel}`);
    stub.handlers.set(channel, listener);
  },
};
export const utilityProcess = {
  fork: (modulePath, args, options) => {
    stub.forks.push({ modulePath, args, options });
    const child = fork(modulePath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const up = Object.assign(new EventEmitter(), {
      get pid() {
        return child.pid;
      },
      stdout: child.stdout,
      stderr: child.stderr,
      postMessage: (m) => child.send(m),
      kill: () => child.kill('SIGTERM'),
    });
    child.on('spawn', () => up.emit('spawn'));
    child.on('message', (m) => up.emit('message', m));
    child.on('exit', (code) => up.emit('exit', code ?? 1));
    return up;
  },
};
