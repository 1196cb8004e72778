/**
 * Crash tests with real processes: `tidegate serve` under writes from a real NBD client
 * (libnbd, the library behind nbdsh), killed with SIGKILL at random moments, then restarted.
 * After every restart the volume must show a prefix of the write sequence (invariant 2) that
 * includes every flushed write (invariant 1). The same after deleting the cache (invariant 4),
 * and after `recover` into an empty data dir from the store alone (invariant 3: everything up
 * to the last `volume sync` is there). On the local-folder store and on radosgw (real S3).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway, tidegate, type GatewayProcess } from './support/gateway-process.js';
import { createTestBucket, s3TestTarget, type TestBucket } from './support/s3-test-bucket.js';
import { prng } from './support/seeded-prng.js';
import { SEGMENT_FLAG_RECYCLED, SEGMENT_HEADER_BYTES } from '../writelog/write-log-format.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const WRITER = join(HERE, 'support', 'nbd_block_writer.py');
const READER = join(HERE, 'support', 'nbd_block_reader.py');
const BLOCKS = 4096; // 16 MiB of a 64 MiB volume: plenty of overwrites
const dirs: string[] = [];
const buckets: TestBucket[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  for (const b of buckets) await b.remove().catch(() => undefined);
});

function libnbdSkipReason(): string | undefined {
  const ok = existsSync(PYTHON) && existsSync('/usr/lib/python3/dist-packages/nbd.py');
  if (ok) return undefined;
  if (process.env.CI) throw new Error('python3-libnbd is missing: .ci/run must install it');
  return 'python3-libnbd not installed';
}

async function tempDir(label: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `tidegate-crash-${label}-`));
  dirs.push(d);
  return d;
}

/** The writes the volume has seen so far, in order; truncated to the surviving prefix after a crash. */
class WriteHistory {
  private ops: Array<{ seq: number; block: number }> = [];

  get nextSeq(): number {
    return this.ops.length + 1;
  }

  add(seq: number, block: number): void {
    if (seq !== this.ops.length + 1) throw new Error(`writer skipped a sequence number (${seq})`);
    this.ops.push({ seq, block });
  }

  truncate(p: number): void {
    this.ops.length = p;
  }

  /** block → seq of the newest write at or before p. */
  stateAt(p: number): Map<number, number> {
    const m = new Map<number, number>();
    for (const o of this.ops) if (o.seq <= p) m.set(o.block, o.seq);
    return m;
  }
}

interface WriterResult {
  acked: number;
  flushed: number;
  exitCode: number | null;
}

/** Run the writer; calls `onAck(n)` after the n-th acknowledged write of this run. */
function runWriter(uri: string, history: WriteHistory, ops: number, seed: number, flushEvery: number, onAck?: (n: number) => void): Promise<WriterResult> {
  const first = history.nextSeq;
  const child = spawn(PYTHON, ['-u', WRITER, uri, String(first), String(ops), String(BLOCKS), String(seed), String(flushEvery), '97'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  let acks = 0;
  const res: WriterResult = { acked: first - 1, flushed: 0, exitCode: null };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const [tag, a, b] = buf.slice(0, nl).split(' ');
      buf = buf.slice(nl + 1);
      if (tag === 'W') history.add(Number(a), Number(b));
      else if (tag === 'A') {
        res.acked = Number(a);
        onAck?.(++acks);
      } else if (tag === 'F') res.flushed = Number(a);
    }
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      res.exitCode = code;
      if (code !== 0 && code !== 3) reject(new Error(`writer failed (${code}): ${err}`));
      else resolve(res);
    });
  });
}

/** Read every block; assert the image is exactly the history's state at some P >= minP; return P. */
async function verifyPrefix(uri: string, history: WriteHistory, minP: number, what: string): Promise<number> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(PYTHON, [READER, uri, String(BLOCKS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let o = '';
    let e = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (o += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (e += d));
    child.on('exit', (code) => (code === 0 ? resolve(o) : reject(new Error(`reader failed (${code}): ${e}`))));
  });
  const found = new Map<number, number>();
  let p = 0;
  for (const line of out.trim().split('\n')) {
    const [b, s] = line.split(' ');
    expect(s, `${what}: block ${b} is torn or foreign`).not.toBe('BAD');
    const seq = Number(s);
    if (seq > 0) found.set(Number(b), seq);
    p = Math.max(p, seq);
  }
  expect(p, `${what}: flushed/synced writes through #${minP} must survive, newest found is #${p}`).toBeGreaterThanOrEqual(minP);
  const want = history.stateAt(p);
  for (let b = 0; b < BLOCKS; b++) {
    expect(found.get(b) ?? 0, `${what}: block ${b} must hold write #${want.get(b) ?? 0} of the prefix through #${p}`).toBe(want.get(b) ?? 0);
  }
  history.truncate(p);
  return p;
}

/** True when a segment file in `walDir` is a recycled one (its header's flag), old records behind its own. */
async function holdsRecycledSegment(walDir: string): Promise<boolean> {
  for (const name of await readdir(walDir)) {
    if (!name.endsWith('.seg')) continue;
    const header = await readFile(join(walDir, name)).catch(() => Buffer.alloc(0));
    if (header.length >= SEGMENT_HEADER_BYTES && (header.readUInt32LE(12) & SEGMENT_FLAG_RECYCLED) !== 0) return true;
  }
  return false;
}

interface StoreUnderTest {
  label: string;
  skip?: string;
  storeArgs(): Promise<{ args: string[]; env: NodeJS.ProcessEnv }>;
}

const stores: StoreUnderTest[] = [
  {
    label: 'local-folder store',
    storeArgs: async () => ({ args: ['--store', `file://${await tempDir('store')}`], env: {} }),
  },
  {
    label: 'radosgw (S3)',
    storeArgs: async () => {
      const t = s3TestTarget();
      if (!t.endpoint) throw new Error(t.skipReason);
      const bucket = await createTestBucket(t.endpoint, 'crash');
      buckets.push(bucket);
      return {
        args: ['--store', `s3://${bucket.name}/gw/?endpoint=${t.endpoint.endpoint}&region=${t.endpoint.region}&forcePathStyle=true`],
        env: { AWS_ACCESS_KEY_ID: t.endpoint.accessKeyId, AWS_SECRET_ACCESS_KEY: t.endpoint.secretAccessKey },
      };
    },
  },
];

describe.each(stores)('crash recovery on the $label', (store) => {
  const skip = libnbdSkipReason();
  const s3Skip = store.label.startsWith('radosgw') ? s3TestTarget().skipReason : undefined;
  const reason = skip ?? s3Skip;

  for (const mode of ['cached', 'stored'] as const) {
    it.skipIf(reason)(`${mode}: kill -9 at random moments, restart: every flushed write is there, content is a prefix${reason ? ` (${reason})` : ''}`, async () => {
      const { args, env } = await store.storeArgs();
      const dataDir = await tempDir('data');
      const rnd = prng(Date.now() % 1_000_000);
      let gw: GatewayProcess = await startGateway(dataDir, args, env);
      const history = new WriteHistory();
      try {
        await tidegate(['volume', 'create', 'crash', '--size', '64MiB', '--mode', mode, ...(mode === 'stored' ? ['--disk', join(dataDir, 'primary.img')] : []), '--data-dir', dataDir], env);
        let flushed = 0;
        let crashesOnRecycledFiles = 0;
        for (let cycle = 0; cycle < 4; cycle++) {
          // Upload and release what the log holds: its files are kept and hold the writes that follow.
          await tidegate(['volume', 'sync', 'crash', '--data-dir', dataDir], env);
          const killAt = 200 + rnd.int(1200);
          const g = gw;
          const w = await runWriter(gw.nbdUri('crash'), history, 5000, rnd.int(1e9), 10 + rnd.int(50), (n) => {
            if (n === killAt) void g.kill9();
          });
          expect(w.exitCode, 'the writer saw the gateway die').toBe(3);
          if (await holdsRecycledSegment(join(dataDir, 'volumes', 'crash', 'wal'))) crashesOnRecycledFiles++;
          flushed = Math.max(flushed, w.flushed);
          gw = await startGateway(dataDir, args, env);
          const p = await verifyPrefix(gw.nbdUri('crash'), history, flushed, `cycle ${cycle}`);
          expect(p).toBeLessThanOrEqual(w.acked + 1);
          flushed = p;
        }
        expect(crashesOnRecycledFiles, 'some kill -9 hit a log writing into recycled segment files').toBeGreaterThan(0);
      } finally {
        await gw.kill9();
      }
    }, 300_000);
  }

  it.skipIf(reason)(`cached: the same after deleting the cache while stopped${reason ? ` (${reason})` : ''}`, async () => {
    const { args, env } = await store.storeArgs();
    const dataDir = await tempDir('data');
    const rnd = prng(Date.now() % 1_000_000);
    let gw = await startGateway(dataDir, args, env);
    const history = new WriteHistory();
    try {
      await tidegate(['volume', 'create', 'crash', '--size', '64MiB', '--data-dir', dataDir], env);
      let flushed = 0;
      for (let cycle = 0; cycle < 3; cycle++) {
        const killAt = 300 + rnd.int(1500);
        const g = gw;
        // Give the uploader time between cycles so the cache holds uploaded (clean) data too.
        const w = await runWriter(gw.nbdUri('crash'), history, 5000, rnd.int(1e9), 25, (n) => {
          if (n === killAt) setTimeout(() => void g.kill9(), 0);
        });
        flushed = Math.max(flushed, w.flushed);
        await rm(join(dataDir, 'cache'), { recursive: true, force: true });
        gw = await startGateway(dataDir, args, env);
        flushed = await verifyPrefix(gw.nbdUri('crash'), history, flushed, `cycle ${cycle} without cache`);
      }
    } finally {
      await gw.kill9();
    }
  }, 300_000);

  it.skipIf(reason)(`cached: recover into an empty data dir from the store alone keeps everything up to the last sync${reason ? ` (${reason})` : ''}`, async () => {
    const { args, env } = await store.storeArgs();
    const rnd = prng(Date.now() % 1_000_000);
    let dataDir = await tempDir('data');
    let gw = await startGateway(dataDir, args, env);
    const history = new WriteHistory();
    try {
      await tidegate(['volume', 'create', 'crash', '--size', '64MiB', '--data-dir', dataDir], env);
      for (let cycle = 0; cycle < 3; cycle++) {
        // A batch that completes, then `volume sync`: all of it must be in the store.
        const done = await runWriter(gw.nbdUri('crash'), history, 400 + rnd.int(400), rnd.int(1e9), 0);
        expect(done.exitCode).toBe(0);
        const synced = done.acked;
        await tidegate(['volume', 'sync', 'crash', '--data-dir', dataDir], env);
        // More writes, then the gateway dies and its disk with it: only the store is left.
        const g = gw;
        const killAt = 100 + rnd.int(600);
        await runWriter(gw.nbdUri('crash'), history, 5000, rnd.int(1e9), 20, (n) => {
          if (n === killAt) void g.kill9();
        });
        dataDir = await tempDir('fresh');
        gw = await startGateway(dataDir, args, env);
        const storeUrl = args[1]!;
        const out = await tidegate(['recover', '--store', storeUrl, '--force', '--data-dir', dataDir], env);
        expect(out).toMatch(/recovered crash at recovery point/);
        await verifyPrefix(gw.nbdUri('crash'), history, synced, `cycle ${cycle} recovered from the store`);
      }
    } finally {
      await gw.kill9();
    }
  }, 300_000);
});
