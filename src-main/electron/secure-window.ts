/**
 * Window security in one place (the decisions live in window-policy.ts, content-security-policy.ts
 * and sender-trust.ts; this file only applies them): every renderer sandboxed, every
 * webContents guarded (no webviews, no new windows, no navigation away, links to the system
 * browser), our CSP on every response, every permission denied, and the console windows
 * registered as the only trusted IPC senders.
 */
import { app, BrowserWindow, session, shell, type IpcMainInvokeEvent, type Session, type WebContents } from 'electron';
import { withContentSecurityPolicy } from './content-security-policy.js';
import { SenderTrust } from './sender-trust.js';
import { externalUrlToOpen, isAllowedNavigation, windowWebPreferences } from './window-policy.js';

/** Call once before 'ready': sandbox every renderer and guard every webContents the app ever creates. */
export function hardenApp(): void {
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));
}

/** Call once after 'ready': our CSP on every response of the session; every permission request and check denied. */
export function hardenSession(ses: Session = session.defaultSession): void {
  ses.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) }));
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
}

function guardWebContents(contents: WebContents): void {
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event) => {
    if (event.isSameDocument || isAllowedNavigation(contents.getURL(), event.url)) return;
    event.preventDefault();
    openExternally(event.url); // a plain link to the docs opens in the browser, not in place of the console
  });
  contents.on('will-redirect', (event) => {
    if (event.isSameDocument || isAllowedNavigation(contents.getURL(), event.url)) return;
    event.preventDefault();
  });
}

function openExternally(url: string): void {
  const target = externalUrlToOpen(url);
  if (target !== null) void shell.openExternal(target).catch(() => undefined);
}

/** Where the console's files are. */
export interface ConsoleWindowFiles {
  /** The sandboxed preload bundle (CommonJS). */
  preloadPath: string;
  /** The renderer's index.html; the only document the windows may show. */
  rendererIndexPath: string;
  iconPath?: string;
}

/** The console windows: created with the secure preferences, and the only IPC senders trusted. */
export class ConsoleWindows {
  readonly #files: ConsoleWindowFiles;
  readonly #trust: SenderTrust;
  readonly #windows = new Set<BrowserWindow>();

  constructor(files: ConsoleWindowFiles) {
    this.#files = files;
    this.#trust = new SenderTrust(files.rendererIndexPath);
  }

  /** Open a console window (shown once its first paint is ready); `onLoadFailed` hears why the renderer could not load. */
  create(size: { width: number; height: number; minWidth: number; minHeight: number }, onLoadFailed: (err: Error) => void): BrowserWindow {
    const win = new BrowserWindow({
      ...size,
      show: false,
      title: 'Tidegate',
      backgroundColor: '#0f1b24',
      autoHideMenuBar: true,
      ...(this.#files.iconPath !== undefined ? { icon: this.#files.iconPath } : {}),
      webPreferences: windowWebPreferences(this.#files.preloadPath),
    });
    const contents = win.webContents;
    this.#trust.add(contents);
    this.#windows.add(win);
    contents.once('destroyed', () => this.#trust.forget(contents));
    win.once('closed', () => this.#windows.delete(win));
    win.once('ready-to-show', () => win.show());
    win.loadFile(this.#files.rendererIndexPath).catch((err: Error) => {
      onLoadFailed(err);
      if (!win.isDestroyed()) win.show();
    });
    return win;
  }

  /** The console windows still open. */
  all(): BrowserWindow[] {
    return [...this.#windows].filter((w) => !w.isDestroyed());
  }

  /** For createTrustedRegistrar: a call from the top frame of one of our windows showing our renderer. */
  isTrustedSender = (event: IpcMainInvokeEvent): boolean => this.#trust.isTrustedSender(event);

  /** For createEventEmitter: one of our windows showing our renderer now. */
  isTrustedContents = (contents: { id: number; getURL(): string }): boolean => this.#trust.isTrustedContents(contents);
}
