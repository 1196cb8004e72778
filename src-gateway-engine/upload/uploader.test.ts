import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type TidegateError } from '../errors/index.js';
import { FaultInjectingStore, LocalFolderStore, RetryingStore, type ObjectStore } from '../objectstore/index.js';
import { locationObject, locationOffset } from '../remote/block-map.js';
import { BLOCK_SIZE } from '../remote/remote-format.js';
import { RemoteVolume } from '../remote/remote-volume.js';
import type { VolumeHead } from '../remote/volume-head.js';
import { CoreAuditStore } from '../test/support/core-audit-store.js';
import { CoreTempDirs, settle, taggedBlock, waitUntil } from '../test/support/core-temp-dirs.js';
import { prng } from '../test/support/seeded-prng.js';
import { WriteLog, type WriteLogOptions } from '../writelog/write-log.js';
import { RECORD_HEADER_BYTES, RecordKind, SEGMENT_HEADER_BYTES } from '../writelog/write-log-format.js';
import { Uploader, type CommittedObject, type UploaderHost, type UploaderOptions } from './uploader.js';

const tmp = new CoreTempDirs('upl');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await tmp.cleanup();
});

const OPTS: UploaderOptions = {
  concurrency: 4,
  objectBytes: 4 * BLOCK_SIZE,
  bandwidthBytesPerSec: 0,
  retryBaseMs: 1,
  retryMaxMs: 20,
  sealIntervalMs: 20,
  checkpointEveryObjects: 5,
};
const REC = RECORD_HEADER_BYTES + BLOCK_SIZE;

interface Rig {
  base: LocalFolderStore;
  audit: CoreAuditStore;
  faulty: FaultInjectingStore;
  store: ObjectStore;
  remote: RemoteVolume;
  log: WriteLog;
  logDir: string;
  uploader: Uploader;
  host: UploaderHost & { committed: VolumeHead[]; fatal: TidegateError[] };
  /** The volume's client load as the uploader sees it: while `busy`, every look sees a million more operations. */
  load: { busy: boolean; ops: number };
}

async function makeRig(
  faults: ConstructorParameters<typeof FaultInjectingStore>[1] = {},
  seed = 1,
  existing?: { base: LocalFolderStore; logDir: string },
  opts: Partial<UploaderOptions> = {},
  logOptions: Partial<WriteLogOptions> = {},
): Promise<Rig> {
  const base = existing?.base ?? new LocalFolderStore(join(await tmp.make(), 'bucket'));
  await base.ensureBucket();
  const audit = new CoreAuditStore(base);
  const faulty = new FaultInjectingStore(audit, faults, seed);
  const store = new RetryingStore(faulty, { baseDelayMs: 1, maxDelayMs: 10, maxAttempts: 6 });
  if (!existing) await RemoteVolume.create(base, 'v', 64 * 1024 * 1024, 'cached', 'gw-1');
  const remote = await RemoteVolume.open(store, 'v', 'gw-1');
  const logDir = existing?.logDir ?? (await tmp.make());
  const { log } = await WriteLog.open({
    dir: logDir,
    capacityBytes: 64 * REC,
    segmentBytes: SEGMENT_HEADER_BYTES + 6 * REC,
    syncPolicy: 'flush',
    afterSeq: remote.head.lastSeq,
    ...logOptions,
  });
  const committed: VolumeHead[] = [];
  const fatal: TidegateError[] = [];
  const load = { busy: false, ops: 0 };
  const host = {
    committed,
    fatal,
    onCommitted: async (head: VolumeHead) => {
      committed.push(head);
    },
    beforeRelease: async () => undefined,
    onFatal: (e: TidegateError) => fatal.push(e),
    onWarning: () => undefined,
    foregroundTotals: () => {
      if (load.busy) load.ops += 1_000_000;
      return { ops: load.ops, bytes: 0 };
    },
  };
  const uploader = new Uploader(log, remote, host, { ...OPTS, ...opts });
  cleanups.push(async () => {
    await uploader.stop();
    await log.close();
  });
  return { base, audit, faulty, store, remote, log, logDir, uploader, host, load };
}

/** Random writes, trims and zeroes over 64 blocks; returns the model of what the volume holds. */
async function writeWorkload(log: WriteLog, n: number, seed: number, model = new Map<number, Buffer>()): Promise<Map<number, Buffer>> {
  const r = prng(seed);
  for (let i = 0; i < n; i++) {
    const first = r.int(64);
    const count = 1 + r.int(3);
    const roll = r.next();
    if (roll < 0.8) {
      const data = Buffer.concat(Array.from({ length: count }, (_, k) => taggedBlock(`s${seed}i${i}k${k}`)));
      await log.append(RecordKind.Write, first * BLOCK_SIZE, count * BLOCK_SIZE, data, false);
      for (let k = 0; k < count; k++) model.set(first + k, data.subarray(k * BLOCK_SIZE, (k + 1) * BLOCK_SIZE));
    } else {
      await log.append(roll < 0.9 ? RecordKind.Trim : RecordKind.Zero, first * BLOCK_SIZE, count * BLOCK_SIZE, undefined, false);
      for (let k = 0; k < count; k++) model.delete(first + k);
    }
  }
  return model;
}

/** Open the volume fresh from the plain store and compare every block with the model. */
async function expectRemoteMatches(base: ObjectStore, model: Map<number, Buffer>, lastSeq: number): Promise<void> {
  const rv = await RemoteVolume.open(base, 'v', 'gw-1');
  expect(rv.head.lastSeq).toBe(lastSeq);
  for (let b = 0; b < 70; b++) {
    const loc = rv.map.get(b);
    const want = model.get(b);
    if (!want) {
      expect(loc, `block ${b} should be unmapped`).toBe(0);
      continue;
    }
    expect(loc, `block ${b} should be mapped`).not.toBe(0);
    expect(await rv.readObjectBlocks(locationObject(loc), locationOffset(loc), 1), `block ${b}`).toEqual(want);
  }
}

describe('Uploader over a faulty store', () => {
  it('uploads every record through 10% errors, ack-then-fail and latency; heads name only durable objects, in order', async () => {
    const rig = await makeRig({ errorRate: 0.1, ackThenFailRate: 0.05, latencyMs: 1, latencyJitterMs: 3 }, 20240601);
    rig.uploader.start();
    const model = await writeWorkload(rig.log, 150, 1);
    const mid = rig.log.lastSequence;
    const h1 = await rig.uploader.waitForCommit(mid);
    expect(h1.lastSeq).toBeGreaterThanOrEqual(mid);
    await writeWorkload(rig.log, 100, 2, model);
    const last = rig.log.lastSequence;
    const h2 = await rig.uploader.waitForCommit(last);
    expect(h2.lastSeq).toBeGreaterThanOrEqual(last);

    expect(rig.audit.violations).toEqual([]);
    expect(rig.host.fatal).toEqual([]);
    const c = rig.faulty.counters;
    expect(c.errors + c.ackThenFail).toBeGreaterThan(0); // the faults really happened
    // onCommitted saw heads strictly in order, each after the previous.
    const seqs = rig.host.committed.map((h) => h.lastSeq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const nos = rig.host.committed.map((h) => h.headNo);
    for (let i = 1; i < nos.length; i++) expect(nos[i]).toBeGreaterThan(nos[i - 1]!);
    // Checkpoints were written along the way.
    expect(rig.remote.head.checkpointObjectNo).toBeGreaterThan(0);
    // Everything committed is released from the log.
    await waitUntil(() => rig.log.sealedSegments.length === 0, 20_000, 'log released');
    await expectRemoteMatches(rig.base, model, last);
  });

  it('a store that refuses writes for a while, then recovers, loses nothing', async () => {
    const rig = await makeRig({ refuseWrites: true });
    rig.uploader.start();
    // More than the log holds: writers end up waiting for space (slowed down, never failed).
    let workloadDone = false;
    const workload = writeWorkload(rig.log, 60, 3).then((m) => ((workloadDone = true), m));
    await waitUntil(() => rig.faulty.counters.refusedWrites >= 10 && rig.log.queuedWrites > 0, 20_000, 'refused writes and a blocked writer');
    expect(workloadDone).toBe(false);
    expect(rig.remote.head.lastSeq).toBe(0);
    expect(rig.uploader.stats.lastError).toMatch(/refused/);
    expect(rig.log.sealedSegments.length).toBeGreaterThan(0); // still in the log
    rig.faulty.configure({ refuseWrites: false });
    const model = await workload;
    const last = rig.log.lastSequence;
    expect(last).toBe(60);
    let head: VolumeHead | undefined;
    const waiting = rig.uploader.waitForCommit(last).then((h) => (head = h));
    rig.faulty.configure({ refuseWrites: false });
    await waiting;
    expect(head!.lastSeq).toBe(last);
    expect(rig.audit.violations).toEqual([]);
    await expectRemoteMatches(rig.base, model, last);
  });

  it('stop() leaves unuploaded data in the log; the next uploader uploads it', async () => {
    const rig = await makeRig({ refuseWrites: true });
    rig.uploader.start();
    const model = await writeWorkload(rig.log, 30, 4);
    const last = rig.log.lastSequence;
    const waiter = rig.uploader.waitForCommit(last).catch((e: unknown) => e);
    await waitUntil(() => rig.faulty.counters.refusedWrites >= 5, 20_000, 'refused writes');
    await rig.uploader.stop();
    // Told either that the store keeps refusing, or that the uploader stopped: never left hanging.
    expect(await waiter).toMatchObject({ code: expect.stringMatching(/^(ACCESS_DENIED|SHUTTING_DOWN)$/) });
    expect(rig.remote.head.lastSeq).toBe(0);
    await rig.log.close();
    // A restart: same bucket, same log folder, a healthy store.
    const again = await makeRig({}, 1, { base: rig.base, logDir: rig.logDir });
    expect(again.log.sealedSegments.reduce((n, s) => n + (s.lastSeq - s.firstSeq + 1), 0)).toBe(last);
    again.uploader.start();
    const head = await again.uploader.waitForCommit(last);
    expect(head.lastSeq).toBe(last);
    await expectRemoteMatches(rig.base, model, last);
  });

  it('a takeover by another gateway fences the uploader: onFatal(VOLUME_OWNED), waiters rejected, log kept', async () => {
    const rig = await makeRig();
    rig.uploader.start();
    await writeWorkload(rig.log, 10, 5);
    await rig.uploader.waitForCommit(rig.log.lastSequence);
    await RemoteVolume.open(rig.base, 'v', 'gw-2', { force: true });
    await writeWorkload(rig.log, 10, 6);
    await expect(rig.uploader.waitForCommit(rig.log.lastSequence)).rejects.toMatchObject({ code: ErrorCode.VolumeOwned });
    expect(rig.host.fatal.map((e) => e.code)).toEqual([ErrorCode.VolumeOwned]);
    expect(rig.log.sealedSegments.length + (rig.log.hasUnsealedRecords ? 1 : 0)).toBeGreaterThan(0);
    await expect(rig.uploader.waitForCommit(rig.log.lastSequence)).rejects.toMatchObject({ code: ErrorCode.VolumeOwned });
  });

  // KNOWN BUG (not fixed, see the report): when the host's onCommitted/beforeRelease (or the
  // log release) throws after a head was committed, the waiters for that head are never
  // resolved: the retried commit finds an empty queue. `volume sync` then hangs until some
  // later write is committed. Flip to `it` once waiters are resolved right after commitHead.
  it('waitForCommit resolves once the head is committed even if local work after the commit failed once', async () => {
    const rig = await makeRig();
    let failOnce = true;
    rig.host.beforeRelease = async () => {
      // Fail once, after the commit that covers the last record (seq 5).
      if (failOnce && rig.remote.head.lastSeq === 5) {
        failOnce = false;
        throw new Error('injected: primary disk sync failed');
      }
    };
    rig.uploader.start();
    await writeWorkload(rig.log, 5, 8);
    const outcome = await Promise.race([
      rig.uploader.waitForCommit(rig.log.lastSequence).then(() => 'committed'),
      new Promise((r) => setTimeout(() => r('still waiting'), 3000)),
    ]);
    expect(rig.remote.head.lastSeq).toBe(5);
    expect(outcome).toBe('committed');
  });

  it('waitForCommit of a record the log then refused (disk full) answers once the newest record is committed', async () => {
    let full = false;
    const rig = await makeRig({}, 1, undefined, {}, { faults: { failCreate: () => full } });
    rig.uploader.start();
    await writeWorkload(rig.log, 3, 5);
    await rig.uploader.waitForCommit(rig.log.lastSequence);
    // From now on no segment can be made. The next record still lands in the spare segment
    // prepared earlier; sealing that one (its commit) leaves the record after it nowhere to go.
    full = true;
    await rig.log.append(RecordKind.Write, BLOCK_SIZE, BLOCK_SIZE, taggedBlock('last'), false);
    await rig.uploader.waitForCommit(rig.log.lastSequence);
    // A sync asked for while the refused record is pending waits for its number...
    const refused = rig.log.append(RecordKind.Write, 0, BLOCK_SIZE, taggedBlock('refused'), false);
    const waiting = rig.uploader.waitForCommit(rig.log.lastSequence);
    await expect(refused).rejects.toMatchObject({ code: ErrorCode.NoSpace });
    // ...which the log gave back: the sync is answered by the head holding every record.
    const head = await waiting;
    expect(head.lastSeq).toBe(rig.log.lastSequence);
    expect(rig.host.fatal).toEqual([]);
  });

  it('waitForCommit of an already committed seq answers at once with the current head', async () => {
    const rig = await makeRig();
    rig.uploader.start();
    await writeWorkload(rig.log, 5, 7);
    const h = await rig.uploader.waitForCommit(rig.log.lastSequence);
    expect(await rig.uploader.waitForCommit(1)).toBe(rig.remote.head);
    expect(h.lastSeq).toBe(5);
    await settle();
  });
});

describe('Uploader buffer reuse', () => {
  it('reuses a body only after the host released it, and the store still holds every write', async () => {
    const rig = await makeRig({ latencyMs: 1, latencyJitterMs: 2 }, 7);
    const released = new Set<ArrayBufferLike>();
    const held = new Set<ArrayBufferLike>();
    const kept: Array<{ body: Buffer; copy: Buffer }> = [];
    let reused = 0;
    let sharedWithHeld = 0;
    rig.host.onCommitted = async (head: VolumeHead, objects: CommittedObject[]) => {
      rig.host.committed.push(head);
      for (const o of objects) {
        if (released.has(o.body.buffer)) reused++;
        if (held.has(o.body.buffer)) sharedWithHeld++;
        if (o.header.objNo % 3 === 0) {
          // Held: must never change under the host, however many objects follow.
          held.add(o.body.buffer);
          kept.push({ body: o.body, copy: Buffer.from(o.body) });
        } else {
          released.add(o.body.buffer);
          o.release();
        }
      }
    };
    rig.uploader.start();
    const model = await writeWorkload(rig.log, 200, 11);
    await writeWorkload(rig.log, 200, 12, model);
    await rig.uploader.waitForCommit(rig.log.lastSequence);

    expect(reused).toBeGreaterThan(0); // the pool really lent memory again
    expect(kept.length).toBeGreaterThan(0);
    expect(sharedWithHeld).toBe(0);
    for (const k of kept) expect(k.body.equals(k.copy)).toBe(true);
    await expectRemoteMatches(rig.base, model, rig.log.lastSequence);
  });
});

describe('Uploader wake-ups', () => {
  // The idle loop polls once a minute here: anything that happens sooner was woken by a write.
  const SLEEPY: Partial<UploaderOptions> = { idlePollMs: 60_000 };

  async function writeBlocks(rig: Rig, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await rig.log.append(RecordKind.Write, i * BLOCK_SIZE, BLOCK_SIZE, taggedBlock(`w${i}`), false);
      rig.uploader.noteWrite();
    }
  }

  it('the first write after a quiet spell starts the seal clock: a lone write is uploaded after the seal interval', async () => {
    const rig = await makeRig({}, 1, undefined, { ...SLEEPY, sealIntervalMs: 30 });
    rig.uploader.start();
    await settle(); // the loop is asleep
    await writeBlocks(rig, 1);
    await waitUntil(() => rig.host.committed.length > 0, 5_000, 'the write was uploaded');
    expect(rig.remote.head.lastSeq).toBe(1);
  });

  it('a segment the log sealed by itself (full) is packed on the next write, not at the next poll', async () => {
    const rig = await makeRig({}, 1, undefined, { ...SLEEPY, sealIntervalMs: 60_000 });
    rig.uploader.start();
    await settle();
    // Six records fill a segment; the seventh opens the next one, sealing the full one.
    await writeBlocks(rig, 7);
    await waitUntil(() => rig.log.sealedSegments.length > 0, 5_000, 'the full segment was sealed');
    await writeBlocks(rig, 1);
    await waitUntil(() => rig.host.committed.length > 0, 5_000, 'the sealed segment was uploaded');
    expect(rig.remote.head.lastSeq).toBe(6);
  });

  it('writes while the seal clock runs leave the loop asleep', async () => {
    const rig = await makeRig({}, 1, undefined, { ...SLEEPY, sealIntervalMs: 60_000 });
    let sleeps = 0;
    const loop = rig.uploader as unknown as { sleep(ms: number): Promise<void> };
    const sleep = loop.sleep.bind(loop);
    loop.sleep = (ms) => {
      sleeps++;
      return sleep(ms);
    };
    rig.uploader.start();
    await settle();
    await writeBlocks(rig, 5); // stays in the open segment
    await settle();
    // Asleep at start, then woken once by the first write (which started the clock).
    expect(sleeps).toBe(2);
    expect(rig.host.committed).toEqual([]);
  });
});

describe('Uploader deferring uploads while clients keep the volume busy', () => {
  // Seal quickly, judge the load over 30 ms windows; deferring may last up to a minute.
  const DEFER: Partial<UploaderOptions> = { sealIntervalMs: 10, deferWhileBusyMs: 60_000, foreground: { windowMs: 30 } };

  async function writeBlocks(rig: Rig, n: number, tag = 'w'): Promise<void> {
    for (let i = 0; i < n; i++) {
      await rig.log.append(RecordKind.Write, i * BLOCK_SIZE, BLOCK_SIZE, taggedBlock(`${tag}${i}`), false);
      rig.uploader.noteWrite();
    }
  }

  /** Start the uploader, let its idle loop open a load window, then make the clients busy. */
  async function startBusy(rig: Rig): Promise<void> {
    rig.uploader.start();
    await settle();
    rig.load.busy = true;
  }

  /** A rig whose busy clients wrote `n` blocks, once its uploader defers them. */
  async function deferringRig(n: number, opts: Partial<UploaderOptions> = {}): Promise<Rig> {
    const rig = await makeRig({}, 1, undefined, { ...DEFER, ...opts });
    await startBusy(rig);
    await writeBlocks(rig, n);
    await waitUntil(() => rig.uploader.stats.deferring, 5_000, 'the uploader defers');
    return rig;
  }

  it('packs nothing while the clients are busy, and uploads everything once they go quiet', async () => {
    const rig = await deferringRig(20);
    await new Promise((r) => setTimeout(r, 300));
    expect(rig.host.committed).toEqual([]);
    expect(rig.uploader.stats.objectsUploaded).toBe(0);
    rig.load.busy = false;
    await waitUntil(() => rig.remote.head.lastSeq === 20, 5_000, 'everything was uploaded once the clients went quiet');
    expect(rig.uploader.stats.deferring).toBe(false);
    expect(rig.uploader.stats.deferredMs).toBeGreaterThanOrEqual(250);
  });

  it('a write waits at most deferWhileBusyMs: then uploads run while the clients stay busy', async () => {
    const t0 = Date.now();
    const rig = await deferringRig(20, { deferWhileBusyMs: 400 });
    await waitUntil(() => rig.remote.head.lastSeq === 20, 5_000, 'the busy volume was uploaded after the limit');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(rig.load.busy).toBe(true);
  });

  it('once uploads were forced, they run until everything is uploaded, not just the oldest writes', async () => {
    // Each PUT takes 200 ms, so the first writes are still uploading when the newer ones come.
    const rig = await makeRig({ latencyMs: 200 }, 1, undefined, { ...DEFER, deferWhileBusyMs: 200 });
    await startBusy(rig);
    await writeBlocks(rig, 14, 'a');
    await waitUntil(() => rig.uploader.stats.inFlight > 0, 5_000, 'the oldest writes were forced out');
    const deferredBefore = rig.uploader.stats.deferredMs;
    expect(deferredBefore).toBeGreaterThan(0);
    await writeBlocks(rig, 14, 'b');
    // And more after the first commit, which left a backlog behind it.
    await waitUntil(() => rig.host.committed.length > 0, 5_000, 'a first commit');
    expect(rig.remote.head.lastSeq).toBeLessThan(28);
    await writeBlocks(rig, 14, 'c');
    await waitUntil(() => rig.remote.head.lastSeq === 42, 8_000, 'the newer writes were uploaded');
    // The backlog never emptied, so the newer writes never waited for the clients.
    expect(rig.uploader.stats.deferredMs).toBe(deferredBefore);
    expect(rig.load.busy).toBe(true);
  });

  it('a sync (waitForCommit) is never deferred', async () => {
    const rig = await deferringRig(20);
    const head = await rig.uploader.waitForCommit(20);
    expect(head.lastSeq).toBe(20);
    expect(rig.load.busy).toBe(true);
  });

  it('never defers once the log is half full, so deferring cannot make writers wait for space', async () => {
    // 64 records of room: 33 are over half.
    const rig = await deferringRig(12);
    expect(rig.log.usedBytes).toBeLessThan(rig.log.capacityBytes / 2);
    await writeBlocks(rig, 24, 'more');
    await waitUntil(() => rig.uploader.stats.objectsUploaded > 0, 5_000, 'uploads started at half full');
    await waitUntil(() => rig.log.usedBytes < rig.log.capacityBytes / 2, 5_000, 'the log drained below half');
    expect(rig.load.busy).toBe(true);
  });

  it('with deferWhileBusyMs 0 uploads never wait for the clients', async () => {
    const rig = await makeRig({}, 1, undefined, { ...DEFER, deferWhileBusyMs: 0 });
    await startBusy(rig);
    await writeBlocks(rig, 20);
    await waitUntil(() => rig.remote.head.lastSeq === 20, 5_000, 'uploaded while busy');
    expect(rig.uploader.stats.deferredMs).toBe(0);
  });

  it('records found in the log at start (age unknown) are uploaded at once, busy or not', async () => {
    const first = await makeRig({}, 1, undefined, DEFER);
    await writeBlocks(first, 20);
    await first.uploader.stop();
    await first.log.close();
    const rig = await makeRig({}, 1, { base: first.base, logDir: first.logDir }, DEFER);
    await writeBlocks(rig, 3, 'new');
    rig.load.busy = true;
    rig.uploader.start();
    await waitUntil(() => rig.remote.head.lastSeq >= 20, 5_000, 'the old records were uploaded while busy');
  });
});
