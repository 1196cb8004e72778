/**
 * Model checker: thousands of random reads, writes (aligned and not), trims, write-zeroes,
 * FUA writes and flushes against a plain in-memory model, across clean restarts, a deleted
 * cache, and a recovery into an empty data dir from the store alone — over both volume
 * modes, with the object store failing 10% of its calls and adding latency.
 * Every read must equal the model. The seed is printed on failure so a run can be replayed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../engine.js';
import { validateEngineConfig } from '../config/index.js';
import type { BlockDevice } from '../device/index.js';
import { nullLogger } from '../log/index.js';
import { FaultInjectingStore, type ObjectStore } from '../objectstore/index.js';
import { prng } from './support/seeded-prng.js';

const VOLUME_BYTES = 8 * 1024 * 1024;
const OPS = Number(process.env.TIDEGATE_MODEL_OPS ?? 2500);
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tidegate-model-'));
  dirs.push(d);
  return d;
}

function engineConfig(dataDir: string, storeDir: string) {
  return validateEngineConfig({
    gatewayId: `gw-${dataDir.slice(-6)}`,
    dataDir,
    store: `file://${storeDir}`,
    nbd: null,
    iscsi: null,
    metrics: null,
    // Small everything: many segments, objects, checkpoints, evictions and back-pressure.
    writeLog: { capacityBytes: '2MiB', segmentBytes: '256KiB' },
    cache: { capacityBytes: '256KiB' },
    upload: { concurrency: 3, objectBytes: '64KiB', retryBaseMs: 5, retryMaxMs: 40 },
  });
}

/** Read the whole volume in requests a client could send (the largest request follows the log's segment size). */
async function readAll(dev: BlockDevice): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let off = 0; off < VOLUME_BYTES; off += 64 * 1024) parts.push(await dev.read(off, Math.min(64 * 1024, VOLUME_BYTES - off)));
  return Buffer.concat(parts);
}

const faulty = (seed: number) => (store: ObjectStore): ObjectStore =>
  new FaultInjectingStore(store, { errorRate: 0.1, ackThenFailRate: 0.05, latencyMs: 1, latencyJitterMs: 3 }, seed);

for (const mode of ['cached', 'stored'] as const) {
  describe(`model checker, ${mode} volume`, () => {
    it(`${OPS} random operations across restarts agree with the model`, async () => {
      const seed = Number(process.env.TIDEGATE_MODEL_SEED ?? Date.now() % 1_000_000);
      const rnd = prng(seed);
      const storeDir = await tempDir();
      let dataDir = await tempDir();
      const diskDir = await tempDir();
      const start = (dir: string) => Engine.start(engineConfig(dir, storeDir), nullLogger, { wrapStore: faulty(seed), storeRetry: { baseDelayMs: 2, maxDelayMs: 20 } });
      let engine = await start(dataDir);
      await engine.commands['volume.create']({
        name: 'model',
        sizeBytes: VOLUME_BYTES,
        mode,
        ...(mode === 'stored' ? { diskPath: join(diskDir, 'disk.img') } : {}),
      });
      let dev: BlockDevice = engine.device('model');
      const model = Buffer.alloc(VOLUME_BYTES);
      const counts: Record<string, number> = {};
      const context = (op: number, what: string): string => `seed ${seed}, op ${op}: ${what}`;

      try {
        for (let op = 0; op < OPS; op++) {
          const r = rnd.next();
          const aligned = rnd.next() < 0.6;
          const len = aligned ? (1 + rnd.int(16)) * 4096 : 1 + rnd.int(40_000);
          const off = aligned ? rnd.int((VOLUME_BYTES - len) / 4096 + 1) * 4096 : rnd.int(VOLUME_BYTES - len + 1);
          let kind: string;
          if (r < 0.4) {
            kind = 'write';
            const data = Buffer.alloc(len);
            // Distinct per op and offset; a tail shorter than a word (and writes of 1-3 bytes) byte by byte.
            for (let i = 0; i + 4 <= len; i += 4) data.writeUInt32LE((op * 2654435761 + i) >>> 0, i);
            for (let i = len - (len % 4); i < len; i++) data[i] = (op * 31 + i) & 0xff;
            await dev.write(off, data, { fua: rnd.next() < 0.1 });
            data.copy(model, off);
          } else if (r < 0.75) {
            kind = 'read';
            const got = await dev.read(off, len);
            if (!got.equals(model.subarray(off, off + len))) {
              expect.fail(context(op, `read ${off}+${len} differs from the model`));
            }
          } else if (r < 0.82) {
            kind = 'trim';
            await dev.trim(off, len);
            model.fill(0, off, off + len);
          } else if (r < 0.88) {
            kind = 'zero';
            await dev.writeZeroes(off, len);
            model.fill(0, off, off + len);
          } else if (r < 0.95) {
            kind = 'flush';
            await dev.flush();
          } else if (r < 0.985) {
            kind = 'restart';
            await engine.close();
            if (mode === 'cached' && rnd.next() < 0.5) {
              kind = 'restart-without-cache';
              await rm(join(dataDir, 'cache'), { recursive: true, force: true });
            }
            engine = await start(dataDir);
            dev = engine.device('model');
          } else {
            // Sync, then adopt the volume from the store alone in a fresh data dir.
            kind = 'recover';
            await engine.commands['volume.sync']({ name: 'model' });
            await engine.close();
            dataDir = await tempDir();
            engine = await start(dataDir);
            const res = await engine.commands.recover({ force: true });
            expect(res.adopted.map((a) => a.name)).toEqual(['model']);
            dev = engine.device('model');
          }
          counts[kind] = (counts[kind] ?? 0) + 1;
        }
        // Finally: everything acknowledged reads back, then again after a sync and a recovery.
        expect((await readAll(dev)).equals(model), context(OPS, 'full read')).toBe(true);
        await engine.commands['volume.sync']({ name: 'model' });
        await engine.close();
        engine = await start(await tempDir());
        await engine.commands.recover({ force: true });
        expect((await readAll(engine.device('model'))).equals(model), context(OPS, 'full read after recover')).toBe(true);
      } finally {
        await engine.close();
      }
      // The run must really have exercised every kind of step.
      for (const k of ['write', 'read', 'trim', 'zero', 'flush', 'restart', 'recover']) expect(counts[k] ?? 0, `${k} steps`).toBeGreaterThan(0);
    }, 600_000);
  });
}
