/**
 * The gateway the specs drive: a real `tidegate serve --console` on loopback with random
 * ports, a throw-away data dir and a local-folder store. A small upload buffer (64 MiB) so a
 * 256 MiB write shows back-pressure, upload backlog and the control plane's upload-buffer alert.
 * Its addresses travel to the specs in a state file (Playwright runs setup and specs apart).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface GatewayUnderTest {
  pid: number;
  dataDir: string;
  /** Console URL with its token. */
  consoleUrl: string;
  /** Console origin (no token). */
  origin: string;
  /** host:port of the NBD server. */
  nbd: string;
}

const ROOT = resolve(import.meta.dirname, '..', '..');
const STATE_FILE = join(ROOT, 'reports', 'e2e-gateway.json');

/** Start the gateway and wait for its banner. */
export async function startGatewayUnderTest(): Promise<GatewayUnderTest> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidegate-e2e-'));
  const args = [
    join(ROOT, 'bin', 'tidegate.js'), 'serve', '--data-dir', dataDir,
    '--nbd', '127.0.0.1:0', '--iscsi', 'off', '--metrics', 'off',
    '--control-plane', '127.0.0.1:0', '--console', '127.0.0.1:0',
    '--upload-buffer-size', '64MiB', '--cache-size', '1GiB',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d.slice(-20_000)));
  const deadline = Date.now() + 60_000;
  while (!/Open the console: (\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(`tidegate serve exited (${child.exitCode}): ${err.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`tidegate serve did not print its console URL within 60 s:\n${out}\n${err.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.stdout.removeAllListeners('data').resume();
  child.stderr.removeAllListeners('data').resume();
  child.unref();
  const consoleUrl = /Open the console: (\S+)/.exec(out)![1]!;
  const nbd = /NBD:\s+nbd:\/\/(\S+)\//.exec(out)![1]!;
  const g: GatewayUnderTest = { pid: child.pid!, dataDir, consoleUrl, origin: new URL(consoleUrl).origin, nbd };
  writeFileSync(STATE_FILE, JSON.stringify(g));
  return g;
}

/** The gateway global-setup started. */
export function gatewayUnderTest(): GatewayUnderTest {
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as GatewayUnderTest;
}
