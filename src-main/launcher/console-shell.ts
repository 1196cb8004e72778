/**
 * `npm start` decides where the console runs: in the desktop app (Electron) when it can, else
 * in the headless console (`tidegate serve --console`, opened in a browser). These are the
 * decisions, pure so they are tested; start.ts acts on them.
 */

/** Where the console runs, and why not in Electron. */
export type ConsoleShellChoice = { shell: 'electron'; path: string } | { shell: 'headless'; reason: string };

/** What the choice depends on. */
export interface ConsoleShellInputs {
  /** The Electron binary, or null with why (electron-binary.ts). */
  electronPath: string | null;
  electronMissingReason?: string;
  /** Whether electron-vite has built the desktop app (out/main, out/preload). */
  appBuilt: boolean;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** Running as root (Chromium's sandbox refuses to start as root). */
  isRoot: boolean;
}

/** Electron if it can run here, else the headless console with a one-line reason. */
export function chooseConsoleShell(i: ConsoleShellInputs): ConsoleShellChoice {
  const forced = i.env.TIDEGATE_CONSOLE;
  if (forced === 'headless') return { shell: 'headless', reason: 'TIDEGATE_CONSOLE=headless' };
  if (i.electronPath === null) return { shell: 'headless', reason: i.electronMissingReason ?? 'no Electron binary' };
  if (!i.appBuilt) return { shell: 'headless', reason: 'the desktop app is not built (run "npm run build")' };
  const hasDisplay = (name: string): boolean => (i.env[name] ?? '') !== '';
  if (i.platform === 'linux' && !hasDisplay('DISPLAY') && !hasDisplay('WAYLAND_DISPLAY')) return { shell: 'headless', reason: 'no display ($DISPLAY and $WAYLAND_DISPLAY are unset)' };
  // We will not turn Chromium's sandbox off to run as root; the browser console needs no sandbox of ours.
  if (i.platform === 'linux' && i.isRoot) return { shell: 'headless', reason: 'running as root, where Electron refuses to start with its sandbox on' };
  return { shell: 'electron', path: i.electronPath };
}

/** How long Electron must run before its exit counts as the user quitting rather than failing to start. */
export const EARLY_EXIT_MS = 5_000;

/** What to do once Electron has exited: fall back to the headless console only if it failed to start. */
export function afterElectronExit(exit: { code: number | null; signal: string | null; ranMs: number }): { fallBack: true; reason: string } | { fallBack: false; exitCode: number } {
  const failed = exit.signal !== null || exit.code !== 0;
  if (failed && exit.ranMs < EARLY_EXIT_MS) {
    const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code}`;
    return { fallBack: true, reason: `Electron exited ${(exit.ranMs / 1000).toFixed(1)} s after starting (${how})` };
  }
  return { fallBack: false, exitCode: exit.code ?? 1 };
}

/** The default headless console address. */
export const HEADLESS_CONSOLE = '127.0.0.1:9180';

/** `serve --console …` plus the user's own arguments (whose --console wins). */
export function headlessServeArgs(extra: readonly string[]): string[] {
  const ownConsole = extra.some((a) => a === '--console' || a.startsWith('--console='));
  return ['serve', ...(ownConsole ? [] : ['--console', HEADLESS_CONSOLE]), ...extra];
}
