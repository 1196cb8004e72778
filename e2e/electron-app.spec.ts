/**
 * The real desktop app, driven through Playwright's Electron support. It runs only where an
 * Electron binary exists (never on the build machines, which cannot download one) and skips
 * with the reason everywhere else; the headless console specs cover the same renderer there.
 */
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from '../src-main/launcher/electron-binary.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const binary = findElectronBinary(root);
const built = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'].every((f) => existsSync(join(root, f)));
const linux = process.platform === 'linux';

test.skip(binary.path === null, `no Electron binary here: ${binary.path === null ? binary.reason : ''}`);
test.skip(!built, 'the desktop app is not built: run "npm run build" first');
test.skip(linux && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY, 'no display ($DISPLAY and $WAYLAND_DISPLAY are unset)');
test.skip(linux && process.getuid?.() === 0, 'running as root, where Electron refuses to start with its sandbox on');

test.describe.configure({ mode: 'serial' });

let app: ElectronApplication;
let page: Page;
let dataDir: string;

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tidegate-electron-e2e-'));
  // Ports of its own: the headless gateway of global-setup.ts holds the default ones.
  const listen = ['--nbd', '127.0.0.1:0', '--iscsi', '127.0.0.1:0', '--metrics', 'off', '--control-plane', '127.0.0.1:0'];
  app = await electron.launch({ executablePath: binary.path!, args: [root, '--data-dir', dataDir, ...listen], env: { ...process.env, TIDEGATE_DATA_DIR: dataDir } });
  page = await app.firstWindow();
});

test.afterAll(async () => {
  await app?.close(); // goes through the clean engine stop
  rmSync(dataDir, { recursive: true, force: true });
});

test('the window is sandboxed and isolated, with the secure preferences', async () => {
  const prefs = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.webContents.getLastWebPreferences());
  expect(prefs).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webviewTag: false, webSecurity: true });
  expect(await page.evaluate(() => [typeof (globalThis as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process])).toEqual(['undefined', 'undefined']);
});

test('window.tidegate exposes named functions by domain and nothing raw', async () => {
  const shape = await page.evaluate(() => {
    const api = (window as unknown as { tidegate: Record<string, Record<string, unknown>> }).tidegate;
    return Object.fromEntries(Object.entries(api).map(([d, fns]) => [d, Object.keys(fns).sort()]));
  });
  expect(shape.events).toEqual(['on']);
  expect(shape.volumes).toEqual(['create', 'delete', 'list', 'setIscsiAccess', 'sync']);
  expect(JSON.stringify(shape)).not.toMatch(/ipcRenderer|"invoke"|"send"/);
  const info = await page.evaluate(() => (window as unknown as { tidegate: { app: { info(): Promise<{ shell: string; dataDir: string }> } } }).tidegate.app.info());
  expect(info).toMatchObject({ shell: 'electron', dataDir });
});

test('the CSP blocks eval, and the window neither opens windows nor navigates away', async () => {
  expect(await page.evaluate(() => {
    try {
      return String(eval('1 + 1'));
    } catch {
      return 'blocked';
    }
  })).toBe('blocked');
  expect(await page.evaluate(() => window.open('file:///etc/hostname') === null)).toBe(true);
  const before = page.url();
  await page.evaluate(() => {
    location.href = 'file:///etc/hostname';
  });
  await page.waitForTimeout(500);
  expect(page.url()).toBe(before);
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
});

test('closing the window hides it and the app keeps running', async () => {
  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
  await expect.poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.isVisible()))).toEqual([false]);
});
