#!/usr/bin/env node
/**
 * `npm run bench` — Tidegate's own benchmark harness. Runs every part in one go, side by
 * side with its peer, and writes bench/results/<timestamp>.json and .md, then refreshes the
 * generated block of docs/performance.md. See bench/README.md for what each number means.
 *
 * Env knobs: RUNTIME (s per fio run, default 15), RAMP (default 2),
 *   BENCH_PARTS (default "writelog,nbd,iscsi,restart,memory,upload,control-plane,console"), BENCH_TMP (temp root),
 *   BENCH_KEEP=1 (keep temp dirs and logs), BENCH_DOCS=0 (do not touch docs/performance.md),
 *   BENCH_PART_TIMEOUT (s, default 1500), more per part in bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/gateway.js';
import { cleanupAll, cleanupSync, log, makeTempDir, run } from './lib/proc.js';
import { renderMarkdown, updatePerformanceDoc } from './lib/report.js';
import { proactiveReclaim } from './lib/proactive-reclaim.js';

const PARTS = {
  writelog: async (ctx) => (await import('./parts/writelog.js')).benchWriteLog(ctx),
  nbd: async (ctx) => (await import('./parts/nbd.js')).benchNbd(ctx),
  iscsi: async (ctx) => (await import('./parts/iscsi.js')).benchIscsi(ctx),
  restart: async (ctx) => (await import('./parts/restart.js')).benchRestart(ctx),
  memory: async (ctx) => (await import('./parts/memory.js')).benchMemory(ctx),
  upload: async (ctx) => (await import('./parts/upload.js')).benchUpload(ctx),
  'control-plane': async () => (await import('./parts/control-plane.js')).benchControlPlane(),
  console: async () => (await import('./parts/console.js')).benchConsole(),
};
const DEFAULT_PARTS = 'writelog,nbd,iscsi,restart,memory,upload,control-plane,console';
/** Outside tools each part needs (the block-device parts share fio and friends). */
const TOOLS = { 'control-plane': ['redis-server', 'nginx'], console: ['chromium'] };
const BLOCK_TOOLS = ['fio', 'nbdkit', 'nbdcopy', 'jq'];

process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    cleanupAll().finally(() => process.exit(130));
  });
}

function tryOut(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return `unavailable (${e.code ?? e.status})`;
  }
}

async function main() {
  const runtime = Number(process.env.RUNTIME ?? 15);
  const ramp = Number(process.env.RAMP ?? 2);
  const parts = (process.env.BENCH_PARTS ?? DEFAULT_PARTS).split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of parts) if (!PARTS[p]) throw new Error(`unknown part ${p} (known: ${Object.keys(PARTS).join(', ')})`);
  const needed = new Set(parts.flatMap((p) => TOOLS[p] ?? BLOCK_TOOLS));
  // nginx lives in /usr/sbin, which is not on every user's PATH.
  const missing = [...needed].filter((t) => tryOut('sh', ['-c', `command -v ${t} || test -x /usr/sbin/${t}`]).startsWith('unavailable'));
  if (missing.length) throw new Error(`missing tools: ${missing.join(' ')} (apt-get install fio nbdkit libnbd-bin jq redis-server nginx)`);
  if (tryOut('getconf', ['CLK_TCK']) !== '100') throw new Error('CLK_TCK is not 100; CPU accounting would be wrong');
  if (!existsSync(join(ROOT, 'out/node/src-main/cli/entry.js'))) {
    log('out/node missing: npm run build');
    await run('npm', ['run', 'build'], { timeoutMs: 600_000 });
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const work = makeTempDir('work');
  const rawDir = join(work, 'fio');
  mkdirSync(rawDir, { recursive: true });
  const ctx = { work, rawDir, runtime, ramp };

  const result = {
    startedAt: new Date().toISOString(),
    machine: {
      cpus: Number(tryOut('nproc', [])),
      cpuModel: (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? 'unknown',
      memTotalKiB: Number((readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/) ?? [])[1]),
      kernel: tryOut('uname', ['-r']),
      loadavgAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      proactiveReclaim: proactiveReclaim(),
    },
    versions: {
      tidegate: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
      commit: tryOut('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
      treeDirty: tryOut('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no']).length > 0,
      node: process.version,
      fio: tryOut('fio', ['--version']),
      nbdkit: tryOut('nbdkit', ['--version']),
      nbdcopy: tryOut('nbdcopy', ['--version']).split('\n')[0],
      redis: needed.has('redis-server') ? tryOut('redis-server', ['--version']) : undefined,
      nginx: needed.has('nginx') ? tryOut('sh', ['-c', '(nginx -v || /usr/sbin/nginx -v) 2>&1']) : undefined,
      tgt: parts.includes('iscsi') ? tryOut('tgtd', ['-V']) : undefined,
    },
    settings: { runtime, ramp, parts },
    parts: {},
  };
  const partTimeoutMs = Number(process.env.BENCH_PART_TIMEOUT ?? 1500) * 1000;
  for (const p of parts) {
    log(`=== part ${p}`);
    const t0 = Date.now();
    try {
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`part ${p} exceeded ${partTimeoutMs / 1000} s`)), partTimeoutMs);
      });
      result.parts[p] = await Promise.race([PARTS[p](ctx), timeout]);
      clearTimeout(timer);
    } catch (e) {
      log(`part ${p} failed: ${e.stack ?? e}`);
      result.parts[p] = { status: 'error', reason: String(e.message ?? e) };
    }
    result.parts[p].elapsedSeconds = Math.round((Date.now() - t0) / 100) / 10;
  }
  result.finishedAt = new Date().toISOString();
  const jsonPath = join(resultsDir, `${stamp}.json`);
  const mdPath = join(resultsDir, `${stamp}.md`);
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  // Parts that render their own Markdown (report.js's sections are for the block-device parts).
  const extra = Object.entries(result.parts).filter(([, r]) => typeof r.markdown === 'string').map(([p, r]) => `## ${p}\n\n${r.markdown}`);
  const md = [renderMarkdown(result, `${stamp}.json`), ...extra].join('\n');
  writeFileSync(mdPath, md);
  if (process.env.BENCH_DOCS !== '0') updatePerformanceDoc(join(ROOT, 'docs', 'performance.md'), result, `bench/results/${stamp}.json`);
  process.stdout.write(md);
  log(`wrote ${jsonPath} and ${mdPath}`);
  return Object.values(result.parts).some((r) => r.status === 'error') ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  log(`failed: ${e.stack ?? e}`);
}
await cleanupAll();
process.exit(code);
