import { describe, expect, it } from 'vitest';
import { afterElectronExit, chooseConsoleShell, EARLY_EXIT_MS, headlessServeArgs, type ConsoleShellInputs } from './console-shell.js';

const desktop: ConsoleShellInputs = { electronPath: '/repo/node_modules/electron/dist/electron', appBuilt: true, platform: 'linux', env: { DISPLAY: ':0' }, isRoot: false };

describe('chooseConsoleShell', () => {
  it('runs Electron when it has a binary, a built app and a display', () => {
    expect(chooseConsoleShell(desktop)).toEqual({ shell: 'electron', path: desktop.electronPath });
    expect(chooseConsoleShell({ ...desktop, env: { WAYLAND_DISPLAY: 'wayland-0' } }).shell).toBe('electron');
    // Windows and macOS always have a display; root is only refused on Linux.
    expect(chooseConsoleShell({ ...desktop, platform: 'win32', env: {}, isRoot: true }).shell).toBe('electron');
    expect(chooseConsoleShell({ ...desktop, platform: 'darwin', env: {} }).shell).toBe('electron');
  });

  it('falls back to the headless console, with the reason, when Electron cannot run here', () => {
    expect(chooseConsoleShell({ ...desktop, electronPath: null, electronMissingReason: 'the Electron binary was not downloaded' })).toEqual({ shell: 'headless', reason: 'the Electron binary was not downloaded' });
    expect(chooseConsoleShell({ ...desktop, electronPath: null })).toEqual({ shell: 'headless', reason: 'no Electron binary' });
    expect(chooseConsoleShell({ ...desktop, env: {} })).toEqual({ shell: 'headless', reason: 'no display ($DISPLAY and $WAYLAND_DISPLAY are unset)' });
    expect(chooseConsoleShell({ ...desktop, env: { DISPLAY: '', WAYLAND_DISPLAY: '' } }).shell).toBe('headless');
    expect(chooseConsoleShell({ ...desktop, appBuilt: false })).toMatchObject({ shell: 'headless', reason: expect.stringContaining('not built') });
    expect(chooseConsoleShell({ ...desktop, isRoot: true })).toMatchObject({ shell: 'headless', reason: expect.stringContaining('root') });
    expect(chooseConsoleShell({ ...desktop, env: { DISPLAY: ':0', TIDEGATE_CONSOLE: 'headless' } })).toEqual({ shell: 'headless', reason: 'TIDEGATE_CONSOLE=headless' });
  });
});

describe('afterElectronExit', () => {
  it('falls back when Electron fails soon after starting', () => {
    expect(afterElectronExit({ code: 1, signal: null, ranMs: 800 })).toEqual({ fallBack: true, reason: 'Electron exited 0.8 s after starting (exit code 1)' });
    expect(afterElectronExit({ code: null, signal: 'SIGTRAP', ranMs: 300 })).toMatchObject({ fallBack: true, reason: expect.stringContaining('signal SIGTRAP') });
  });

  it('passes the exit on otherwise: a clean early exit (handed over to the running instance) or any exit after the grace time', () => {
    expect(afterElectronExit({ code: 0, signal: null, ranMs: 500 })).toEqual({ fallBack: false, exitCode: 0 });
    expect(afterElectronExit({ code: 1, signal: null, ranMs: EARLY_EXIT_MS + 1 })).toEqual({ fallBack: false, exitCode: 1 });
    expect(afterElectronExit({ code: null, signal: 'SIGTERM', ranMs: 60_000 })).toEqual({ fallBack: false, exitCode: 1 });
  });
});

describe('headlessServeArgs', () => {
  it('serves the console on loopback by default and passes the extra arguments on', () => {
    expect(headlessServeArgs([])).toEqual(['serve', '--console', '127.0.0.1:9180']);
    expect(headlessServeArgs(['--data-dir', '/srv/tg'])).toEqual(['serve', '--console', '127.0.0.1:9180', '--data-dir', '/srv/tg']);
  });

  it("lets the user's own --console win", () => {
    expect(headlessServeArgs(['--console', '0.0.0.0:9443'])).toEqual(['serve', '--console', '0.0.0.0:9443']);
    expect(headlessServeArgs(['--console=127.0.0.1:8000'])).toEqual(['serve', '--console=127.0.0.1:8000']);
  });
});
