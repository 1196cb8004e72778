/**
 * The console window's security decisions, in one place and free of Electron so tests can call
 * them: the webPreferences every window gets, which navigations are allowed (none but within
 * the same document), and which links may leave for the system browser (http and https only).
 * secure-window.ts applies them.
 */
import type { WebPreferences } from 'electron';

/** The webPreferences of every console window: sandboxed, isolated, no Node, no webviews. */
export function windowWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
    // A dropped file must not replace the console; a page must not loop alert() dialogs.
    navigateOnDragDrop: false,
    safeDialogs: true,
  };
}

/** True only for a move within the same document (a fragment change); every other navigation is refused. */
export function isAllowedNavigation(from: string, to: string): boolean {
  const a = parse(from);
  const b = parse(to);
  if (a === null || b === null) return false;
  return a.href.slice(0, a.href.length - a.hash.length) === b.href.slice(0, b.href.length - b.hash.length);
}

/** The URL to hand to the system browser, or null: only http(s), without credentials. */
export function externalUrlToOpen(url: string): string | null {
  const u = parse(url);
  if (u === null || (u.protocol !== 'https:' && u.protocol !== 'http:')) return null;
  if (u.username !== '' || u.password !== '') return null; // user:pass@ links are a phishing classic
  return u.href;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
