import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { FaultInjectingStore, LocalFolderStore, RetryingStore, type ObjectStore } from '../objectstore/index.js';
import { CoreTempDirs, taggedBlock } from '../test/support/core-temp-dirs.js';
import { BlockMap } from './block-map.js';
import { encodeDataObject } from './data-object.js';
import { readOwner } from './ownership.js';
import { parseHeadKey, volumeKeys } from './remote-format.js';
import { RemoteVolume, readObjectHeader } from './remote-volume.js';
import { epochOfObject, parseVolumeHead } from './volume-head.js';

const tmp = new CoreTempDirs('remote');
afterEach(() => tmp.cleanup());

async function freshStore(): Promise<{ store: LocalFolderStore; root: string }> {
  const root = join(await tmp.make(), 'bucket');
  const store = new LocalFolderStore(root);
  await store.ensureBucket();
  return { store, root };
}

const MiB = 1024 * 1024;

/** Upload one data object of `rv`'s next number: data runs and zero runs; apply it to the map. */
async function putObject(rv: RemoteVolume, objNo: number, lastSeq: number, data: Array<[number, number]>, zero: Array<[number, number]> = []) {
  const enc = encodeDataObject({
    objNo,
    epoch: rv.owner.epoch,
    firstSeq: lastSeq,
    lastSeq,
    zeroExtents: zero.map(([firstBlock, blockCount]) => ({ firstBlock, blockCount })),
    dataExtents: data.map(([firstBlock, blockCount]) => ({
      firstBlock,
      blockCount,
      data: Array.from({ length: blockCount }, (_, k) => taggedBlock(`o${objNo}b${firstBlock + k}`)),
    })),
  });
  await rv.store.put(rv.objectKey(objNo, rv.owner.epoch), Buffer.concat(enc.parts));
  rv.applyObject(enc.header);
  return enc.header;
}

function runsOf(map: BlockMap): unknown[] {
  return [...map.mappedRuns()];
}

async function headNumbers(store: ObjectStore, name: string): Promise<number[]> {
  return (await store.list(volumeKeys(name).headsPrefix)).map((i) => parseHeadKey(i.key)!).sort((a, b) => a - b);
}

describe('RemoteVolume lifecycle', () => {
  it('create, list, open, destroy', async () => {
    const { store } = await freshStore();
    const d = await RemoteVolume.create(store, 'vol-a', 64 * MiB, 'cached', 'gw-1');
    await RemoteVolume.create(store, 'vol-b', 8 * MiB, 'stored', 'gw-1');
    expect(d).toMatchObject({ name: 'vol-a', sizeBytes: 64 * MiB, mode: 'cached', blockSize: 4096 });
    await expect(RemoteVolume.create(store, 'vol-a', 64 * MiB, 'cached', 'gw-1')).rejects.toMatchObject({ code: ErrorCode.AlreadyExists });
    expect((await RemoteVolume.list(store)).map((x) => x.name).sort()).toEqual(['vol-a', 'vol-b']);
    const rv = await RemoteVolume.open(store, 'vol-a', 'gw-1');
    expect(rv.descriptor.volumeId).toBe(d.volumeId);
    expect(rv.head).toMatchObject({ headNo: 1, lastSeq: 0, lastObjectNo: 0, epoch: 1 });
    expect(rv.map.pageCount).toBe(0);
    await RemoteVolume.destroy(store, 'vol-a');
    expect((await RemoteVolume.list(store)).map((x) => x.name)).toEqual(['vol-b']);
    expect(await store.list('volumes/vol-a/')).toEqual([]);
    await expect(RemoteVolume.open(store, 'vol-a', 'gw-1')).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('a second gateway is refused with VOLUME_OWNED; the owner reopens freely', async () => {
    const { store } = await freshStore();
    await RemoteVolume.create(store, 'v', 8 * MiB, 'cached', 'gw-1');
    await expect(RemoteVolume.open(store, 'v', 'gw-2')).rejects.toMatchObject({ code: ErrorCode.VolumeOwned });
    const a = await RemoteVolume.open(store, 'v', 'gw-1');
    const b = await RemoteVolume.open(store, 'v', 'gw-1');
    expect(a.owner.epoch).toBe(1);
    expect(b.owner.epoch).toBe(1);
    expect((await readOwner(store, volumeKeys('v').owner))?.gatewayId).toBe('gw-1');
  });
});

describe('RemoteVolume ownership and fencing', () => {
  it('a forced takeover bumps the epoch, commits a head, and fences the old owner out', async () => {
    const { store } = await freshStore();
    await RemoteVolume.create(store, 'v', 8 * MiB, 'cached', 'gw-old');
    const old = await RemoteVolume.open(store, 'v', 'gw-old');
    await putObject(old, 1, 5, [[0, 2]]);
    await old.commitHead({ lastSeq: 5, lastObjectNo: 1, checkpointObjectNo: 0 });

    const taker = await RemoteVolume.open(store, 'v', 'gw-new', { force: true });
    expect(taker.owner.epoch).toBe(2);
    expect(taker.head).toMatchObject({ epoch: 2, gatewayId: 'gw-new', lastSeq: 5, lastObjectNo: 1 });
    expect(taker.head.epochStarts).toEqual([[1, 1], [2, 2]]);
    expect(runsOf(taker.map)).toEqual(runsOf(old.map));

    // The old owner's next commit collides with the takeover head: VOLUME_OWNED, nothing overwritten.
    await putObject(old, 2, 9, [[10, 1]]);
    await expect(old.commitHead({ lastSeq: 9, lastObjectNo: 2, checkpointObjectNo: 0 })).rejects.toMatchObject({ code: ErrorCode.VolumeOwned });
    const reopened = await RemoteVolume.open(store, 'v', 'gw-new');
    expect(reopened.head).toMatchObject({ epoch: 2, lastSeq: 5, lastObjectNo: 1 });
    // And the old gateway can no longer open the volume without force.
    await expect(RemoteVolume.open(store, 'v', 'gw-old')).rejects.toMatchObject({ code: ErrorCode.VolumeOwned });

    // Objects written under the new epoch get new keys, and the epoch table finds both.
    await putObject(taker, 2, 7, [[20, 1]]);
    await taker.commitHead({ lastSeq: 7, lastObjectNo: 2, checkpointObjectNo: 0 });
    expect(epochOfObject(taker.head.epochStarts, 1)).toBe(1);
    expect(epochOfObject(taker.head.epochStarts, 2)).toBe(2);
    const again = await RemoteVolume.open(store, 'v', 'gw-new');
    expect(again.map.get(20)).not.toBe(0);
    expect(again.map.get(10)).toBe(0); // the fenced owner's object 2 (epoch 1) is not in the image
    expect(await again.readObjectBlocks(2, again.map.get(20) % 65536, 1)).toEqual(taggedBlock('o2b20'));
  });

  // Pruning must not delete the heads fencing relies on: the takeover head (and everything
  // below it) is kept, so the old owner's next create-only head still collides.
  it('a fenced-out owner is still refused after the new owner has committed (and pruned) several heads', async () => {
    const { store } = await freshStore();
    await RemoteVolume.create(store, 'v', 8 * MiB, 'cached', 'gw-old');
    const old = await RemoteVolume.open(store, 'v', 'gw-old');
    const taker = await RemoteVolume.open(store, 'v', 'gw-new', { force: true });
    for (let i = 1; i <= 4; i++) await taker.commitHead({ lastSeq: i, lastObjectNo: 0, checkpointObjectNo: 0 });
    await waitUntilHeads(store, 'v', (nos) => !nos.includes(3)); // pruning ran (head 3 is gone)
    expect(await headNumbers(store, 'v')).toContain(2); // the takeover head stays
    await expect(old.commitHead({ lastSeq: 99, lastObjectNo: 0, checkpointObjectNo: 0 })).rejects.toMatchObject({ code: ErrorCode.VolumeOwned });
  });

  it('an ambiguous commit of our own head (stored, answer lost) is accepted when retried', async () => {
    const { store } = await freshStore();
    await RemoteVolume.create(store, 'v', 8 * MiB, 'cached', 'gw-1');
    const faulty = new FaultInjectingStore(store, {}, 99);
    const rv = await RemoteVolume.open(faulty, 'v', 'gw-1');
    await putObject(rv, 1, 3, [[0, 1]]);
    faulty.configure({ ackThenFailRate: 1 });
    await expect(rv.commitHead({ lastSeq: 3, lastObjectNo: 1, checkpointObjectNo: 0 })).rejects.toMatchObject({ code: ErrorCode.StoreUnavailable });
    expect(rv.head.headNo).toBe(1); // not advanced: the caller does not know yet
    faulty.configure({ ackThenFailRate: 0 });
    const head = await rv.commitHead({ lastSeq: 3, lastObjectNo: 1, checkpointObjectNo: 0 });
    expect(head).toMatchObject({ headNo: 2, lastSeq: 3 });
    expect(await headNumbers(store, 'v')).toEqual([1, 2]);
    // Through a RetryingStore the same lost answer is settled inside one call.
    const retrying = new RetryingStore(faulty, { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 10 });
    const rv2 = await RemoteVolume.open(retrying, 'v', 'gw-1');
    faulty.configure({ ackThenFailRate: 1 });
    const p = rv2.commitHead({ lastSeq: 4, lastObjectNo: 1, checkpointObjectNo: 0 });
    await waitUntilHeads(store, 'v', (nos) => nos.includes(3));
    faulty.configure({ ackThenFailRate: 0 });
    expect(await p).toMatchObject({ headNo: 3, lastSeq: 4 });
  });

});

async function waitUntilHeads(store: ObjectStore, name: string, ok: (nos: number[]) => boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (ok(await headNumbers(store, name))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('heads never reached the expected state');
}

describe('RemoteVolume recovery point selection and map rebuild', () => {
  it('keeps the newest three heads, and the first head of the epoch', async () => {
    const { store } = await freshStore();
    await RemoteVolume.create(store, 'v', 8 * MiB, 'cached', 'gw-1');
    const rv = await RemoteVolume.open(store, 'v', 'gw-1');
    for (let i = 1; i <= 6; i++) await rv.commitHead({ lastSeq: i, lastObjectNo: 0, checkpointObjectNo: 0 });
    await waitUntilHeads(store, 'v', (nos) => nos.length === 4);
    expect(await headNumbers(store, 'v')).toEqual([1, 5, 6, 7]);
  });

  it('skips a corrupt or foreign newest head and opens the one before', async () => {
    const { store, root } = await freshStore();
    await RemoteVolume.create(store, 'v', 8 * MiB, 'cached', 'gw-1');
    const rv = await RemoteVolume.open(store, 'v', 'gw-1');
    await putObject(rv, 1, 4, [[0, 3]]);
    await rv.commitHead({ lastSeq: 4, lastObjectNo: 1, checkpointObjectNo: 0 });
    await putObject(rv, 2, 8, [[1, 1]]);
    await rv.commitHead({ lastSeq: 8, lastObjectNo: 2, checkpointObjectNo: 0 });
    const keys = volumeKeys('v');
    const newestPath = join(root, keys.head(3));
    const good = await readFile(newestPath);
    await writeFile(newestPath, good.subarray(0, good.length - 9)); // torn JSON
    let r = await RemoteVolume.open(store, 'v', 'gw-1');
    expect(r.head).toMatchObject({ headNo: 2, lastSeq: 4, lastObjectNo: 1 });
    expect(r.map.get(1) % 65536).toBe(2); // object 1's block, object 2 not applied
    // A head copied from another volume (wrong volumeId) is skipped too.
    const foreign = { ...parseVolumeHead(good, 'x'), volumeId: 'someone-else' };
    await writeFile(newestPath, JSON.stringify(foreign));
    r = await RemoteVolume.open(store, 'v', 'gw-1');
    expect(r.head.headNo).toBe(2);
    // No valid head at all is CORRUPT.
    for (const no of [1, 2]) await writeFile(join(root, keys.head(no)), 'garbage');
    await expect(RemoteVolume.open(store, 'v', 'gw-1')).rejects.toMatchObject({ code: ErrorCode.Corrupt });
  });

  // After open skipped a corrupt newest head N, the next commit must not collide with it forever.
  it('after skipping a corrupt newest head, the next commit succeeds', async () => {
    const { store, root } = await freshStore();
    await RemoteVolume.create(store, 'v', 8 * MiB, 'cached', 'gw-1');
    const rv = await RemoteVolume.open(store, 'v', 'gw-1');
    await rv.commitHead({ lastSeq: 1, lastObjectNo: 0, checkpointObjectNo: 0 });
    await writeFile(join(root, volumeKeys('v').head(2)), 'garbage');
    const r = await RemoteVolume.open(store, 'v', 'gw-1');
    expect(r.head.headNo).toBe(1);
    await r.commitHead({ lastSeq: 2, lastObjectNo: 0, checkpointObjectNo: 0 });
  });

  it('checkpoint + the objects after it rebuild the same map as replaying every object', async () => {
    const { store } = await freshStore();
    await RemoteVolume.create(store, 'v', 64 * MiB, 'cached', 'gw-1');
    const rv = await RemoteVolume.open(store, 'v', 'gw-1');
    await putObject(rv, 1, 10, [[0, 1024]]); // a linear page
    await putObject(rv, 2, 20, [[5, 3], [2000, 10]], [[100, 50]]);
    await putObject(rv, 3, 30, [[1030, 4]], [[0, 2]]);
    await rv.writeCheckpoint(3);
    await rv.commitHead({ lastSeq: 30, lastObjectNo: 3, checkpointObjectNo: 3 });
    await putObject(rv, 4, 40, [[3, 1]], [[2000, 5]]);
    const h5 = await putObject(rv, 5, 50, [[7000, 1500]]);
    expect(h5.extents).toHaveLength(1);
    await rv.commitHead({ lastSeq: 50, lastObjectNo: 5, checkpointObjectNo: 3 });

    const reopened = await RemoteVolume.open(store, 'v', 'gw-1');
    expect(reopened.head).toMatchObject({ lastSeq: 50, lastObjectNo: 5, checkpointObjectNo: 3 });
    expect(runsOf(reopened.map)).toEqual(runsOf(rv.map));

    // Without the checkpoint (object replay only) the result is the same.
    const keys = volumeKeys('v');
    const full = new BlockMap();
    for (let n = 1; n <= 5; n++) {
      const h = await readObjectHeader(store, keys.object(n, 1));
      for (const e of h.extents) if (e.kind === 2) full.clearRange(e.firstBlock, e.blockCount);
      else full.setRun(e.firstBlock, e.blockCount, h.objNo, e.dataBlock);
    }
    expect(runsOf(full)).toEqual(runsOf(rv.map));
    // Spot-check data through the map.
    for (const b of [2, 3, 5, 1030, 2005, 2009, 7000, 8499]) {
      const loc = reopened.map.get(b);
      expect(loc, `block ${b}`).not.toBe(0);
      const objNo = Math.floor(loc / 65536);
      expect(await reopened.readObjectBlocks(objNo, loc % 65536, 1)).toEqual(taggedBlock(`o${objNo}b${b}`));
    }
    for (const b of [0, 1, 100, 149, 2000, 2004]) expect(reopened.map.get(b), `block ${b}`).toBe(0);
  });

  it('a corrupt checkpoint named by the head makes open fail with CORRUPT (never a wrong map)', async () => {
    const { store, root } = await freshStore();
    await RemoteVolume.create(store, 'v', 8 * MiB, 'cached', 'gw-1');
    const rv = await RemoteVolume.open(store, 'v', 'gw-1');
    await putObject(rv, 1, 1, [[0, 1]]);
    await rv.writeCheckpoint(1);
    await rv.commitHead({ lastSeq: 1, lastObjectNo: 1, checkpointObjectNo: 1 });
    const p = join(root, volumeKeys('v').checkpoint(1));
    const buf = await readFile(p);
    buf[20]! ^= 1;
    await writeFile(p, buf);
    await expect(RemoteVolume.open(store, 'v', 'gw-1')).rejects.toMatchObject({ code: ErrorCode.Corrupt });
  });
});
