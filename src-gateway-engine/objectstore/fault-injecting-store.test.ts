import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { FaultInjectingStore } from './fault-injecting-store.js';
import { LocalFolderStore } from './local-folder-store.js';
import { seededRandom } from './seeded-random.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tidegate-fis-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});
const fresh = async (name: string): Promise<LocalFolderStore> => {
  const s = new LocalFolderStore(path.join(dir, name));
  await s.ensureBucket();
  return s;
};

/** Which of `n` sequential heads fail. */
async function failurePattern(store: FaultInjectingStore, n: number): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push(await store.head('k').then(() => false, () => true));
  return out;
}

describe('FaultInjectingStore', () => {
  it('passes everything through when no fault is set', async () => {
    const store = new FaultInjectingStore(await fresh('plain'));
    await store.put('k', Buffer.from('v'));
    expect((await store.get('k')).toString()).toBe('v');
    expect(store.counters).toMatchObject({ operations: 2, errors: 0 });
  });

  it('the same seed gives the same faults, another seed others', async () => {
    const inner = await fresh('seeded');
    const a = await failurePattern(new FaultInjectingStore(inner, { errorRate: 0.3 }, 42), 200);
    const b = await failurePattern(new FaultInjectingStore(inner, { errorRate: 0.3 }, 42), 200);
    const c = await failurePattern(new FaultInjectingStore(inner, { errorRate: 0.3 }, 43), 200);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const rate = a.filter(Boolean).length / a.length;
    expect(rate).toBeGreaterThan(0.15);
    expect(rate).toBeLessThan(0.45);
  });

  it('injected errors are transient STORE_UNAVAILABLE and counted', async () => {
    const store = new FaultInjectingStore(await fresh('errors'), { errorRate: 1 });
    await expect(store.get('k')).rejects.toMatchObject({ code: ErrorCode.StoreUnavailable, transient: true });
    expect(store.counters.errors).toBe(1);
  });

  it('settings change at run time', async () => {
    const store = new FaultInjectingStore(await fresh('runtime'));
    store.configure({ bucketVanished: true });
    await expect(store.list('')).rejects.toMatchObject({ code: ErrorCode.BucketMissing, transient: false });
    store.configure({ bucketVanished: false, refuseWrites: true });
    expect(await store.list('')).toEqual([]);
    await expect(store.put('k', Buffer.from('v'))).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
    await expect(store.delete('k')).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
    expect(store.settings.refuseWrites).toBe(true);
    expect(store.counters).toMatchObject({ bucketVanished: 1, refusedWrites: 2 });
  });

  it('ack-then-fail stores the object and then fails transiently', async () => {
    const inner = await fresh('ack');
    const store = new FaultInjectingStore(inner, { ackThenFailRate: 1 });
    await expect(store.put('k', Buffer.from('stored'))).rejects.toMatchObject({ code: ErrorCode.StoreUnavailable, transient: true });
    expect((await inner.get('k')).toString()).toBe('stored');
    expect(store.counters.ackThenFail).toBe(1);
  });

  it('an injected timeout waits timeoutMs and stores nothing', async () => {
    const inner = await fresh('timeout');
    const store = new FaultInjectingStore(inner, { timeoutRate: 1, timeoutMs: 5 });
    await expect(store.put('k', Buffer.from('v'))).rejects.toMatchObject({ code: ErrorCode.StoreUnavailable, transient: true });
    expect(await inner.head('k')).toBeUndefined();
    expect(store.counters.timeouts).toBe(1);
  });
});

describe('seededRandom', () => {
  it('yields numbers in [0, 1)', () => {
    const r = seededRandom(9);
    for (let i = 0; i < 10_000; i++) {
      const x = r();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});
