/**
 * `npm start`: the console in the desktop app when Electron can run here, else the headless
 * console in a browser. It falls back, after one line saying why, when there is no Electron
 * binary, no display, or Electron fails within a few seconds of starting. Extra arguments go
 * to whichever runs (`npm start -- --data-dir /srv/tidegate`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterElectronExit, chooseConsoleShell, headlessServeArgs } from './console-shell.js';
import { findElectronBinary } from './electron-binary.js';

// out/node/src-main/launcher/start.js → the repository (or installed package) root.
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const extra = process.argv.slice(2);
// The child that SIGTERM/SIGHUP are passed to (Electron, then the headless console if we fell back).
let forwarding: { kill(signal: NodeJS.Signals): boolean } | null = null;

const binary = findElectronBinary(root);
const choice = chooseConsoleShell({
  electronPath: binary.path,
  ...(binary.path === null ? { electronMissingReason: binary.reason } : {}),
  appBuilt: existsSync(join(root, 'out', 'main', 'index.js')) && existsSync(join(root, 'out', 'preload', 'index.cjs')),
  platform: process.platform,
  env: process.env,
  isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
});

if (choice.shell === 'electron') runElectron(choice.path);
else runHeadless(choice.reason);

function runElectron(path: string): void {
  const started = Date.now();
  const child = spawn(path, [root, ...extra], { stdio: 'inherit' });
  forwardTermination(child);
  child.once('error', (err) => runHeadless(`Electron could not be started (${err.message})`));
  child.once('exit', (code, signal) => {
    const next = afterElectronExit({ code, signal, ranMs: Date.now() - started });
    if (next.fallBack) runHeadless(next.reason);
    else process.exit(next.exitCode);
  });
}

function runHeadless(reason: string): void {
  process.stdout.write(`tidegate: not using the desktop app: ${reason}; starting the headless console instead.\n`);
  const child = spawn(process.execPath, [join(root, 'bin', 'tidegate.js'), ...headlessServeArgs(extra)], { stdio: 'inherit' });
  forwardTermination(child);
  child.once('exit', (code, signal) => process.exit(code ?? (signal !== null ? 1 : 0)));
}

/**
 * SIGTERM and SIGHUP sent to us go to the child, which stops cleanly. SIGINT from the terminal
 * reaches the child by itself (same process group), so we only outlive it: a second SIGINT
 * would cut the child's clean stop short.
 */
function forwardTermination(child: { kill(signal: NodeJS.Signals): boolean }): void {
  const first = forwarding === null;
  forwarding = child;
  if (!first) return;
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) process.on(sig, () => forwarding?.kill(sig));
  process.on('SIGINT', () => undefined);
}
