// Runs the built desktop app (out/main/index.js) against the Electron stub, calls the console's
// IPC handlers as the preload would, closes the window, quits, and prints one JSON report.
// Arguments after the script go to the app (process.argv), e.g. --data-dir DIR.
import { stub } from './electron-stub.mjs';

const report = {};
const waitFor = async (what, ok, ms = 60_000) => {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
try {
  await import(new URL('../../../../out/main/index.js', import.meta.url).href);
  await waitFor('the console window', () => stub.windows[0]?.url || stub.errorBoxes.length > 0);
  if (stub.errorBoxes.length > 0) throw new Error(stub.errorBoxes.join('; '));
  const win = stub.windows[0];
  const trusted = { sender: win.webContents, senderFrame: { url: win.url, parent: null } };
  const call = (channel, event, ...args) => stub.handlers.get(channel)(event, ...args);
  report.sandboxEnabled = stub.sandboxEnabled === true;
  report.channels = [...stub.handlers.keys()].sort();
  report.webPreferences = win.options.webPreferences;
  report.windowSize = [win.options.width, win.options.height];
  report.fork = stub.forks[0];
  await waitFor('the engine', async () => (await call('gateway.snapshot', trusted)).value?.engine.state === 'running');
  report.visibleAfterLoad = win.isVisible();
  report.appInfo = await call('app.info', trusted);
  report.create = await call('volumes.create', trusted, { name: 'desk1', sizeBytes: 64 * 1024 * 1024, mode: 'cached' }, { smuggled: true });
  report.list = (await call('volumes.list', trusted)).value.map((v) => v.name);
  report.badDelete = await call('volumes.delete', trusted, { name: 'desk1', confirmName: 'nope' });
  report.untrusted = await call('app.info', { sender: { id: 999, getURL: () => 'https://evil.example/' }, senderFrame: { url: 'https://evil.example/', parent: null } });
  report.subframe = await call('app.info', { sender: win.webContents, senderFrame: { url: win.url, parent: {} } });
  report.csp = await new Promise((r) => stub.onHeadersReceived({ responseHeaders: { 'Content-Security-Policy': ["default-src *"] } }, r));
  report.permissionCheck = stub.permissionCheck();
  report.permissionRequest = await new Promise((r) => stub.permissionRequest(null, 'media', r));
  win.close();
  report.visibleAfterClose = win.isVisible();
  report.events = [...new Set(stub.sent.map((s) => `${s.channel} ${s.event}`))];
  report.tooltips = [...new Set(stub.tooltips)];
  const exited = new Promise((r) => (stub.onExit = r));
  let prevented = false;
  stub.appEvents.get('before-quit')({ preventDefault: () => void (prevented = true) });
  report.quitPrevented = prevented;
  report.exitCode = await exited;
  report.trayDestroyed = stub.trayDestroyed === true;
  report.engineStateAtExit = (await call('gateway.snapshot', trusted)).value.engine.state;
  report.errorBoxes = stub.errorBoxes;
} catch (err) {
  report.failure = String(err?.stack ?? err);
}
process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
process.exit(0);
