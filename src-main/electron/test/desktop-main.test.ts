/**
 * The built desktop app (out/main/index.js, as electron-vite bundles it) run under plain Node
 * against an Electron stub (support/electron-stub.mjs). It checks the wiring main.ts does:
 * trusted IPC to the real handlers, the engine supervised as a utility process (emulated by a
 * fork), the window's security, close-to-hide, and a clean engine stop on quit.
 * Needs `npm run build` (tsc and electron-vite) first, as `npm test` does.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../content-security-policy.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const support = fileURLToPath(new URL('./support/', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'tidegate-desktop-main-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

type Report = Record<string, unknown> & { failure?: string };

function runDesktopMain(): Promise<Report> {
  const args = ['--import', join(support, 'electron-stub-register.mjs'), join(support, 'run-desktop-main.mjs')];
  // Ports of our own (0 = any free one), so a gateway running on this machine is no obstacle.
  args.push('--data-dir', dataDir, '--nbd', '127.0.0.1:0', '--iscsi', '127.0.0.1:0', '--metrics', 'off', '--control-plane', '127.0.0.1:0');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const line = out.split('\n').find((l) => l.startsWith('REPORT '));
      if (line === undefined) reject(new Error(`no report from the desktop app run; stderr:\n${err.slice(-4000)}`));
      else resolve(JSON.parse(line.slice('REPORT '.length)) as Report);
    });
  });
}

describe('the desktop app main process (built, under an Electron stub)', () => {
  it('serves the console handlers to its window only, runs the engine, hides on close and stops the engine on quit', async () => {
    for (const f of ['out/main/index.js', 'out/renderer/index.html', 'out/node/src-gateway-engine/runtime/engine-process.js']) {
      expect(existsSync(join(root, f)), `${f} is missing: run "npm run build" (tsc and electron-vite) first`).toBe(true);
    }
    const r = await runDesktopMain();
    expect(r.failure).toBeUndefined();

    expect(r.sandboxEnabled).toBe(true);
    expect(r.channels).toHaveLength(17);
    expect(r.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, preload: join(root, 'out', 'preload', 'index.cjs') });
    expect(r.windowSize).toEqual([1280, 800]);
    expect(r.fork).toEqual({ modulePath: join(root, 'out', 'node', 'src-gateway-engine', 'runtime', 'engine-process.js'), args: [], options: { serviceName: 'Tidegate engine', stdio: 'pipe' } });
    expect(r.visibleAfterLoad).toBe(true);

    expect(r.appInfo).toMatchObject({ ok: true, value: { shell: 'electron', dataDir, version: '0.0.0-test' } });
    expect(r.create).toMatchObject({ ok: true, value: { name: 'desk1', mode: 'cached' } });
    expect(r.list).toEqual(['desk1']);
    expect(r.badDelete).toMatchObject({ ok: false, error: { code: expect.any(String), message: expect.any(String) } });
    expect(r.untrusted).toMatchObject({ ok: false, error: { code: 'IPC_UNTRUSTED_SENDER' } });
    expect(r.subframe).toMatchObject({ ok: false, error: { code: 'IPC_UNTRUSTED_SENDER' } });

    expect(r.csp).toEqual({ responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    expect(r.permissionCheck).toBe(false);
    expect(r.permissionRequest).toBe(false);

    expect(r.visibleAfterClose).toBe(false);
    expect(r.events).toContain('tidegate:event gateway.snapshot');
    expect(r.tooltips).toEqual(expect.arrayContaining(['Tidegate — Gateway starting', 'Tidegate — Gateway running']));

    expect(r.quitPrevented).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(r.trayDestroyed).toBe(true);
    expect(r.engineStateAtExit).toBe('stopped');
    expect(r.errorBoxes).toEqual([]);
  });
});
