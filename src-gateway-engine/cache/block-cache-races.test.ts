/**
 * Model-based race tests: random programs of put/putRun/putBlocks/get/getRun/invalidate/
 * invalidateRange/markClean/dropVolume, started in a random order while fast-check's scheduler interleaves every
 * half-read and half-write of the data file. Checked against a Map model:
 *  - a get never returns another key's data, and only a version that was the key's newest
 *    at some moment between the get's call and its answer;
 *  - once quiet, every cached block holds the model's newest version, every dirty block
 *    whose put succeeded is still there (pinned), and the byte counters match.
 * A second property runs random programs on the real file, closes, reopens and checks
 * that the warm cache holds exactly a subset of the clean model blocks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockCache } from './block-cache.js';
import { MemoryDataFile } from './test/fake-data-files.js';

const BS = 512;
const VOLS = ['a', 'b'] as const;
const BLOCKS = 4;
const SLOTS = 3;

type Key = { vol: (typeof VOLS)[number]; block: number };
type Op =
  | { kind: 'put'; key: Key; dirty: boolean }
  | { kind: 'get'; key: Key }
  | { kind: 'putRun'; key: Key; count: number; dirty: boolean }
  | { kind: 'putBlocks'; vol: Key['vol']; blocks: number[] }
  | { kind: 'getRun'; key: Key; count: number }
  | { kind: 'invalidate'; key: Key }
  | { kind: 'invalidateRange'; vol: Key['vol']; first: number; count: number }
  | { kind: 'markClean'; key: Key }
  | { kind: 'dropVolume'; vol: Key['vol'] };

const volArb = fc.constantFrom(...VOLS);
const keyArb = fc.record({ vol: volArb, block: fc.integer({ min: 0, max: BLOCKS - 1 }) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, dirty: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('get' as const), key: keyArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('putRun' as const), key: keyArb, count: fc.integer({ min: 1, max: 3 }), dirty: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('putBlocks' as const),
      vol: volArb,
      // Distinct blocks in any order, -1 = a skipped entry.
      blocks: fc
        .tuple(fc.uniqueArray(fc.integer({ min: 0, max: BLOCKS - 1 }), { minLength: 1, maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
        .map(([blocks, skip]) => blocks.map((b, i) => (skip[i] ? -1 : b))),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('getRun' as const), key: keyArb, count: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidate' as const), key: keyArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('invalidateRange' as const),
      vol: volArb,
      first: fc.integer({ min: 0, max: BLOCKS - 1 }),
      count: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(2 ** 40)),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('markClean' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropVolume' as const), vol: volArb }) },
);

const TAG = 32;

/** The key and version, padded to 32 bytes and repeated over the whole block. */
function data(key: Key, version: number): Buffer {
  const tag = `${key.vol}:${key.block}:${version}:`.padEnd(TAG, '.');
  return Buffer.from(tag.repeat(BS / TAG), 'latin1');
}

/** What a block holds; `torn` when its pieces disagree (a mix of two writes). */
function parse(b: Buffer): { vol: string; block: number; version: number } | 'torn' {
  const first = b.subarray(0, TAG);
  for (let off = TAG; off < b.length; off += TAG) if (!b.subarray(off, off + TAG).equals(first)) return 'torn';
  const [vol, block, version] = first.toString('latin1').split(':');
  return { vol: vol!, block: Number(block), version: Number(version) };
}

interface Newest {
  version: number;
  dirty: boolean;
  /** Resolved value of the put, once settled. */
  ok?: boolean;
}

/** The model: each key's newest put (undefined after an invalidation), and the open get windows. */
class Model {
  readonly newest = new Map<string, Newest | undefined>();
  readonly windows = new Map<string, Set<Set<number>>>();
  private version = 0;

  static id(key: Key): string {
    return `${key.vol}:${key.block}`;
  }

  put(key: Key, dirty: boolean): Newest {
    const n: Newest = { version: ++this.version, dirty };
    this.newest.set(Model.id(key), n);
    for (const allowed of this.windows.get(Model.id(key)) ?? []) allowed.add(n.version);
    return n;
  }

  forget(pred: (key: Key) => boolean): void {
    for (const vol of VOLS) for (let block = 0; block < BLOCKS; block++) if (pred({ vol, block })) this.newest.set(Model.id({ vol, block }), undefined);
  }

  openWindow(key: Key): Set<number> {
    const allowed = new Set<number>();
    const n = this.newest.get(Model.id(key));
    if (n !== undefined) allowed.add(n.version);
    let set = this.windows.get(Model.id(key));
    if (set === undefined) this.windows.set(Model.id(key), (set = new Set()));
    set.add(allowed);
    return allowed;
  }

  closeWindow(key: Key, allowed: Set<number>): void {
    this.windows.get(Model.id(key))?.delete(allowed);
  }
}

/** Start `op` on the cache, updating the model at the instant of the call. */
function start(cache: BlockCache, model: Model, op: Op, failures: string[]): Promise<unknown> {
  switch (op.kind) {
    case 'put': {
      const n = model.put(op.key, op.dirty);
      return cache.put(op.key.vol, op.key.block, data(op.key, n.version), { dirty: op.dirty }).then((ok) => {
        n.ok = ok;
      });
    }
    case 'get': {
      const allowed = model.openWindow(op.key);
      return cache.get(op.key.vol, op.key.block).then((b) => {
        model.closeWindow(op.key, allowed);
        if (b === undefined) return;
        const got = parse(b);
        if (got === 'torn') failures.push(`get ${Model.id(op.key)} returned a torn block`);
        else if (got.vol !== op.key.vol || got.block !== op.key.block) failures.push(`get ${Model.id(op.key)} returned ${got.vol}:${got.block}`);
        else if (!allowed.has(got.version)) failures.push(`get ${Model.id(op.key)} returned version ${got.version}, allowed ${[...allowed].join(',')}`);
      });
    }
    case 'putRun': {
      const keys = runKeys(op.key, op.count);
      const ns = keys.map((k) => model.put(k, op.dirty));
      const body = Buffer.concat(keys.map((k, i) => data(k, ns[i]!.version)));
      return cache.putRun(op.key.vol, op.key.block, body, { dirty: op.dirty }).then((ok) => {
        // false: some blocks may be cached, others not; only `true` promises every block.
        if (ok) for (const n of ns) n.ok = true;
      });
    }
    case 'putBlocks': {
      const ns = op.blocks.map((b) => (b < 0 ? undefined : model.put({ vol: op.vol, block: b }, false)));
      const body = Buffer.concat(op.blocks.map((b, i) => (b < 0 ? Buffer.alloc(BS, 0x55) : data({ vol: op.vol, block: b }, ns[i]!.version))));
      return cache.putBlocks(op.vol, op.blocks, body).then((ok) => {
        if (ok) for (const n of ns) if (n) n.ok = true;
      });
    }
    case 'getRun': {
      const keys = runKeys(op.key, op.count);
      const windows = keys.map((k) => model.openWindow(k));
      const out = Buffer.alloc(keys.length * BS);
      return cache.getRun(op.key.vol, op.key.block, keys.length, out, 0).then((served) => {
        keys.forEach((k, i) => model.closeWindow(k, windows[i]!));
        if (!(served >= 0 && served <= keys.length)) failures.push(`getRun served ${served} of ${keys.length}`);
        for (let i = 0; i < served; i++) {
          const key = keys[i]!;
          const got = parse(out.subarray(i * BS, (i + 1) * BS));
          if (got === 'torn') failures.push(`getRun ${Model.id(key)} returned a torn block`);
          else if (got.vol !== key.vol || got.block !== key.block) failures.push(`getRun ${Model.id(key)} returned ${got.vol}:${got.block}`);
          else if (!windows[i]!.has(got.version)) failures.push(`getRun ${Model.id(key)} returned version ${got.version}, allowed ${[...windows[i]!].join(',')}`);
        }
      });
    }
    case 'invalidate':
      cache.invalidate(op.key.vol, op.key.block);
      model.forget((k) => k.vol === op.key.vol && k.block === op.key.block);
      return Promise.resolve();
    case 'invalidateRange':
      cache.invalidateRange(op.vol, op.first, op.count);
      model.forget((k) => k.vol === op.vol && k.block >= op.first && k.block < op.first + op.count);
      return Promise.resolve();
    case 'markClean': {
      cache.markClean(op.key.vol, op.key.block);
      const n = model.newest.get(Model.id(op.key));
      if (n !== undefined) n.dirty = false;
      return Promise.resolve();
    }
    case 'dropVolume':
      cache.dropVolume(op.vol);
      model.forget((k) => k.vol === op.vol);
      return Promise.resolve();
  }
}

/** The keys of a run from `key`, clipped to the test's blocks. */
function runKeys(key: Key, count: number): Key[] {
  const keys: Key[] = [];
  for (let b = key.block; b < Math.min(BLOCKS, key.block + count); b++) keys.push({ vol: key.vol, block: b });
  return keys;
}

/** Once quiet: contents match the model's newest versions, dirty blocks are all there, counters add up. */
async function checkQuiet(cache: BlockCache, model: Model): Promise<void> {
  let present = 0;
  let dirty = 0;
  let dirtyPresent = 0;
  for (const vol of VOLS) {
    for (let block = 0; block < BLOCKS; block++) {
      const key = { vol, block };
      const n = model.newest.get(Model.id(key));
      const b = await cache.get(vol, block);
      if (n?.ok === true && n.dirty) {
        dirty++;
        expect(b, `dirty ${Model.id(key)} must be pinned`).toBeDefined();
      }
      if (b !== undefined) {
        present++;
        expect(n, `${Model.id(key)} was invalidated but is cached`).toBeDefined();
        expect(parse(b)).toEqual({ vol, block, version: n!.version });
        if (n!.dirty) dirtyPresent++;
      }
    }
  }
  const s = cache.stats();
  expect(s.usedBytes).toBe(present * BS);
  expect(dirty).toBeLessThanOrEqual(dirtyPresent); // every successfully put dirty block is pinned
  expect(s.dirtyBytes).toBe(dirtyPresent * BS); // and exactly the cached blocks whose newest put was dirty are
  expect(s.usedBytes).toBeLessThanOrEqual(s.capacityBytes);
  expect(s.errors).toBe(0);
}

let root: string;
let runNo = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tidegate-cache-races-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('block cache under interleaved I/O', () => {
  it('never returns another key or a stale version, and keeps dirty blocks pinned', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(opArb, { minLength: 1, maxLength: 40 }), async (s, ops) => {
        const file = new MemoryDataFile();
        file.splitHalves = true;
        const cache = await BlockCache.open({ dir: join(root, `m${runNo++}`), capacityBytes: SLOTS * BS, blockSize: BS, openDataFile: file.opener() });
        const model = new Model();
        const failures: string[] = [];
        file.beforeIo = () => s.schedule(Promise.resolve());
        const running = ops.map((op) => s.schedule(Promise.resolve()).then(() => start(cache, model, op, failures)));
        await s.waitIdle();
        await Promise.all(running);
        file.beforeIo = undefined;
        expect(failures).toEqual([]);
        await checkQuiet(cache, model);
        await cache.close();
      }),
      { numRuns: 300 },
    );
  });

  it('after close and reopen, holds only clean blocks, each at its newest version', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const dir = join(root, `r${runNo++}`);
        const cache = await BlockCache.open({ dir, capacityBytes: SLOTS * BS, blockSize: BS });
        const model = new Model();
        const failures: string[] = [];
        // Start everything at once on the real file; the OS decides the interleaving.
        await Promise.all(ops.map((op) => start(cache, model, op, failures)));
        expect(failures).toEqual([]);
        await checkQuiet(cache, model);
        const clean = cache.stats().usedBytes - cache.stats().dirtyBytes;
        await cache.close();

        const again = await BlockCache.open({ dir, capacityBytes: SLOTS * BS, blockSize: BS });
        expect(again.openedWarm).toBe(true);
        expect(again.stats().dirtyBytes).toBe(0);
        expect(again.stats().usedBytes).toBe(clean);
        for (const vol of VOLS) {
          for (let block = 0; block < BLOCKS; block++) {
            const b = await again.get(vol, block);
            if (b === undefined) continue;
            const n = model.newest.get(Model.id({ vol, block }));
            expect(n?.dirty).toBe(false);
            expect(parse(b)).toEqual({ vol, block, version: n!.version });
          }
        }
        await again.close();
      }),
      { numRuns: 60 },
    );
  });
});
