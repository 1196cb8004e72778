/**
 * Part 8 — the console. Measures, with Debian's chromium driven by Playwright:
 *
 * - time to an interactive dashboard: from spawning `tidegate serve --console` (a fresh data
 *   dir, local-folder store, embedded control plane) to the console's URL printed, and to the
 *   Dashboard heading visible with the first live sample drawn in the throughput chart, in a
 *   browser already running (browser start-up is reported apart). Median of BENCH_CONSOLE_RUNS.
 * - CPU while the dashboard streams metrics: the console process (serve: supervisor, handlers,
 *   HTTP/WebSocket), the engine process, and chromium's processes, as % of one core over
 *   BENCH_CONSOLE_SECONDS, first with no browser connected (nothing is pushed), then with the
 *   dashboard open.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { CLI } from '../lib/gateway.js';
import { cpuSeconds, log, makeTempDir, memoryOf, now, onCleanup, sleep } from '../lib/proc.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];
const round = (v, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Start `tidegate serve --console`; resolves with its pids, URL and the seconds to the printed URL. */
async function startServe(dataDir) {
  const t0 = now();
  const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--nbd', '127.0.0.1:0', '--iscsi', 'off', '--metrics', 'off', '--control-plane', '127.0.0.1:0', '--console', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  onCleanup(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  while (!/Open the console: (\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(`serve exited: ${out}`);
    if (now() - t0 > 60) throw new Error('serve did not print its console URL within 60 s');
    await sleep(5);
  }
  const urlSeconds = now() - t0;
  const enginePid = Number(/engine pid (\d+)/.exec(out)?.[1]);
  return { child, t0, urlSeconds, url: /Open the console: (\S+)/.exec(out)[1], enginePid };
}

async function stopServe(s) {
  s.child.kill('SIGTERM');
  await new Promise((r) => (s.child.exitCode !== null ? r() : s.child.once('exit', r)));
}

/** Every descendant pid of `pid` (chromium's renderer, GPU and utility processes). */
function descendants(pid) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {
      /* gone */
    }
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Chromium's processes (browser, zygote, renderer, GPU, utility): descendants of this process running chromium. */
function chromiumPids() {
  return descendants(process.pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('chromium');
    } catch {
      return false;
    }
  });
}

/** CPU % of one core used by each group of pids over `seconds`. */
async function cpuPercent(groups, seconds) {
  const total = (pids) => pids().reduce((a, p) => a + cpuSeconds(p), 0);
  const before = Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, total(pids)]));
  const t0 = now();
  await sleep(seconds * 1000);
  const dt = now() - t0;
  return Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, round(((total(pids) - before[k]) / dt) * 100, 2)]));
}

/** The part: see the file comment. */
export async function benchConsole() {
  const runs = Number(process.env.BENCH_CONSOLE_RUNS ?? 5);
  const seconds = Number(process.env.BENCH_CONSOLE_SECONDS ?? 60);
  const tb = now();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const browserStartSeconds = now() - tb;
  onCleanup(() => browser.close());

  const startups = [];
  for (let i = 0; i < runs; i++) {
    const s = await startServe(makeTempDir(`console-${i}`));
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(s.url); // trades the token for the cookie
    await page.goto(new URL('/#/dashboard', new URL(s.url).origin).href);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    // Interactive: the first live sample pushed over the WebSocket is drawn.
    await page.locator('[data-testid="chart-throughput"] path.recharts-curve[d]').first().waitFor({ state: 'attached' });
    const interactiveSeconds = now() - s.t0;
    startups.push({ urlSeconds: round(s.urlSeconds, 2), interactiveSeconds: round(interactiveSeconds, 2) });
    log(`console start ${i + 1}/${runs}: URL after ${s.urlSeconds.toFixed(2)} s, dashboard after ${interactiveSeconds.toFixed(2)} s`);
    await page.close();
    await stopServe(s);
  }

  // CPU: one gateway, first with no browser connected, then with the dashboard streaming.
  const s = await startServe(makeTempDir('console-cpu'));
  const groups = { console: () => [s.child.pid], engine: () => [s.enginePid], chromium: chromiumPids };
  await sleep(3000);
  const idle = await cpuPercent(groups, seconds);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(s.url);
  await page.goto(new URL('/#/dashboard', new URL(s.url).origin).href);
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  await sleep(3000);
  const streaming = await cpuPercent(groups, seconds);
  const memory = { consoleRssBytes: memoryOf(s.child.pid).rssBytes, engineRssBytes: memoryOf(s.enginePid).rssBytes };
  await page.close();
  await stopServe(s);
  await browser.close();

  const result = {
    status: 'ok',
    runs,
    browserStartSeconds: round(browserStartSeconds, 2),
    startup: { medianUrlSeconds: median(startups.map((x) => x.urlSeconds)), medianInteractiveSeconds: median(startups.map((x) => x.interactiveSeconds)), each: startups },
    cpuPercentOfOneCore: { seconds, noBrowser: idle, dashboardStreaming: streaming },
    memory,
  };
  result.markdown = [
    `Time from spawning \`tidegate serve --console\` to the URL printed: median ${result.startup.medianUrlSeconds} s; to the Dashboard interactive with its first live sample in Chromium: median ${result.startup.medianInteractiveSeconds} s (${runs} runs; browser start-up, ${result.browserStartSeconds} s, not included).`,
    '',
    `| CPU, % of one core over ${seconds} s | console process | engine process | chromium |`,
    '| --- | ---: | ---: | ---: |',
    `| no browser connected | ${idle.console} | ${idle.engine} | ${idle.chromium} |`,
    `| dashboard streaming (1 sample/s) | ${streaming.console} | ${streaming.engine} | ${streaming.chromium} |`,
    '',
    `RSS with the dashboard open: console process ${round(memory.consoleRssBytes / 2 ** 20)} MiB, engine ${round(memory.engineRssBytes / 2 ** 20)} MiB.`,
    '',
  ].join('\n');
  return result;
}
