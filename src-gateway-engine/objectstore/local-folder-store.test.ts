import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { objectStoreContract } from '../test/support/object-store-contract.js';
import { FaultInjectingStore } from './fault-injecting-store.js';
import { LocalFolderStore, TEMP_FILE_PREFIX } from './local-folder-store.js';
import { RetryingStore } from './retrying-store.js';

const folders: string[] = [];
async function freshFolder(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tidegate-lfs-'));
  folders.push(dir);
  return path.join(dir, 'store');
}
afterAll(async () => {
  await Promise.all(folders.map((d) => fs.rm(d, { recursive: true, force: true })));
});

objectStoreContract('LocalFolderStore', async () => ({ store: new LocalFolderStore(await freshFolder()) }));

let faulty: FaultInjectingStore | undefined;
objectStoreContract('LocalFolderStore + faults (10% errors, 5% ack-then-fail, latency) + RetryingStore', async () => {
  faulty = new FaultInjectingStore(
    new LocalFolderStore(await freshFolder()),
    { errorRate: 0.1, ackThenFailRate: 0.05, latencyMs: 1, latencyJitterMs: 3 },
    20240601,
  );
  return { store: new RetryingStore(faulty, { baseDelayMs: 1, maxDelayMs: 20, maxAttempts: 30 }) };
});
describe('the fault-injected run', () => {
  it('really injected faults', () => {
    expect(faulty?.counters.errors).toBeGreaterThan(10);
    expect(faulty?.counters.ackThenFail).toBeGreaterThan(0);
  });
});

describe('LocalFolderStore specifics', () => {
  let root: string;
  let store: LocalFolderStore;
  beforeEach(async () => {
    root = await freshFolder();
    store = new LocalFolderStore(root);
    await store.ensureBucket();
  });

  it('answers BUCKET_MISSING for every operation once the folder is deleted', async () => {
    await store.put('a/b', Buffer.from('x'));
    await fs.rm(root, { recursive: true });
    const ops: Array<[string, () => Promise<unknown>]> = [
      ['put', () => store.put('a/c', Buffer.from('y'))],
      ['put new folder', () => store.put('new/deep/key', Buffer.from('y'))],
      ['conditional put', () => store.put('z', Buffer.from('y'), { ifNoneMatch: true })],
      ['get', () => store.get('a/b')],
      ['ranged get', () => store.get('a/b', { offset: 0, length: 1 })],
      ['head', () => store.head('a/b')],
      ['delete', () => store.delete('a/b')],
      ['list', () => store.list('')],
      ['list prefix', () => store.list('a/')],
    ];
    for (const [name, op] of ops) {
      await expect(op(), name).rejects.toMatchObject({ code: ErrorCode.BucketMissing });
    }
    // The put must not have re-created the folder behind the administrator's back.
    await expect(fs.stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
    await store.ensureBucket();
    expect(await store.list('')).toEqual([]);
  });

  it('never lists temp files of unfinished puts, and refuses keys that look like them', async () => {
    await store.put('dir/real', Buffer.from('r'));
    await fs.writeFile(path.join(root, 'dir', `${TEMP_FILE_PREFIX}crashed`), 'partial');
    await fs.writeFile(path.join(root, `${TEMP_FILE_PREFIX}x`), 'partial');
    expect((await store.list('')).map((o) => o.key)).toEqual(['dir/real']);
    await expect(store.put(`dir/${TEMP_FILE_PREFIX}y`, Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });

  it('leaves no temp file behind after puts, including a lost conditional put', async () => {
    await store.put('k', Buffer.from('1'));
    await store.put('k', Buffer.from('2'));
    await expect(store.put('k', Buffer.from('3'), { ifNoneMatch: true })).rejects.toMatchObject({ code: ErrorCode.PreconditionFailed });
    expect(await fs.readdir(root)).toEqual(['k']);
  });

  it('rejects a key that clashes with another key\'s folder', async () => {
    await store.put('a/b', Buffer.from('x'));
    await expect(store.put('a', Buffer.from('y'))).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(store.put('a/b/c', Buffer.from('y'))).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    expect(await store.head('a')).toBeUndefined();
    await expect(store.get('a')).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await store.delete('a');
    expect((await store.get('a/b')).toString()).toBe('x');
  });

  // root ignores permission bits, so this only means something for other users
  it.skipIf(process.getuid?.() === 0)('answers ACCESS_DENIED for a folder it may not write', async () => {
    await fs.chmod(root, 0o500);
    try {
      await expect(store.put('k', Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
    } finally {
      await fs.chmod(root, 0o700);
    }
  });

  it('requires an absolute root', () => {
    expect(() => new LocalFolderStore('relative/dir')).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument }));
  });
});
