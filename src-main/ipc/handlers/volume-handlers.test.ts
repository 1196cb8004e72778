import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, TidegateError, type RecoveryPoint } from '../../../src-gateway-engine/index.js';
import type { SyncProgress } from '../ipc-contract.js';
import { consoleHarness, volumeInfo, type Harness } from './test/console-harness.js';

afterEach(() => {
  vi.useRealTimers();
});

async function refused(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
  return err as { code: string; message: string };
}

describe('volumes.create', () => {
  const created = volumeInfo('vol1');

  it('passes only the known fields to volume.create (mode cached by default)', async () => {
    const h = consoleHarness({ engine: { 'volume.create': () => created } });
    const result = await h.call('volumes.create', { name: 'vol1', sizeBytes: 1 << 30, evil: 'x', volumeId: 'forged', dataDir: '/etc', chap: null });
    expect(result).toBe(created);
    expect(h.calls).toEqual([{ method: 'volume.create', params: { name: 'vol1', sizeBytes: 1 << 30, mode: 'cached' }, timeoutMs: undefined }]);
  });

  it('passes every optional field it knows', async () => {
    const h = consoleHarness({ engine: { 'volume.create': () => created } });
    await h.call('volumes.create', { name: 'vol1', sizeBytes: 4096, mode: 'stored', diskPath: '/dev/sdb', iscsiTargetName: 'iqn.2026-11.example:v', nbdExport: false });
    expect(h.calls[0]!.params).toEqual({ name: 'vol1', sizeBytes: 4096, mode: 'stored', diskPath: '/dev/sdb', iscsiTargetName: 'iqn.2026-11.example:v', nbdExport: false });
  });

  it('refuses malformed requests with INVALID_ARGUMENT naming the field, before calling the engine', async () => {
    const h = consoleHarness({ engine: { 'volume.create': () => created } });
    const cases: Array<[unknown, RegExp]> = [
      [null, /volumes\.create needs a request object/],
      [{ sizeBytes: 1 }, /name is required/],
      [{ name: 'v', sizeBytes: '1GiB' }, /sizeBytes must be a number/],
      [{ name: 'v' }, /sizeBytes is required/],
      [{ name: 'v', sizeBytes: 0 }, /sizeBytes/],
      [{ name: 'v', sizeBytes: 1, mode: 'fast' }, /mode must be cached or stored/],
      [{ name: 'v', sizeBytes: 1, mode: 'stored' }, /stored volume needs the path/],
      [{ name: 'v', sizeBytes: 1, nbdExport: 'yes' }, /nbdExport must be true or false/],
      [{ name: 'v', sizeBytes: 1, diskPath: 5 }, /diskPath must be text/],
      [{ name: 'v', sizeBytes: 1, chap: 'user:secret' }, /chap needs a request object/],
      [{ name: 'v', sizeBytes: 1, chap: { secret: 'abcdefghijkl' } }, /user is required/],
      [{ name: 'v', sizeBytes: 1, chap: { user: 'u', secret: 'abcdefghijkl', mutualUser: 'm' } }, /mutual CHAP needs both/],
      [{ name: 'v', sizeBytes: 1, chap: { user: 'u', secret: 'abcdefghijkl', mutualSecret: 'mmmmmmmmmmmm' } }, /mutual CHAP needs both/],
    ];
    for (const [req, message] of cases) {
      const err = await refused(h.call('volumes.create', req));
      expect(err.code, JSON.stringify(req)).toBe('INVALID_ARGUMENT');
      expect(err.message, JSON.stringify(req)).toMatch(message);
    }
    expect(h.calls).toEqual([]);
  });

  it('with CHAP, creates the volume then sets its iSCSI access, passing only the CHAP fields', async () => {
    const withChap = { ...created, iscsi: { ...created.iscsi, chapUser: 'alice' } };
    const h = consoleHarness({ engine: { 'volume.create': () => created, 'volume.iscsi': () => withChap } });
    const chap = { user: 'alice', secret: 'abcdefghijkl', mutualUser: 'target', mutualSecret: 'mnopqrstuvwx', extra: 'dropped' };
    expect(await h.call('volumes.create', { name: 'vol1', sizeBytes: 4096, chap })).toBe(withChap);
    expect(h.calls.map((c) => [c.method, c.params])).toEqual([
      ['volume.create', { name: 'vol1', sizeBytes: 4096, mode: 'cached' }],
      ['volume.iscsi', { name: 'vol1', chap: { user: 'alice', secret: 'abcdefghijkl', mutualUser: 'target', mutualSecret: 'mnopqrstuvwx' } }],
    ]);
  });

  it('uses the name the engine gave the volume for the CHAP call', async () => {
    const h = consoleHarness({ engine: { 'volume.create': () => volumeInfo('vol1-normalised'), 'volume.iscsi': () => volumeInfo('vol1-normalised') } });
    await h.call('volumes.create', { name: 'vol1', sizeBytes: 4096, chap: { user: 'u', secret: 'abcdefghijkl' } });
    expect(h.calls[1]).toMatchObject({ method: 'volume.iscsi', params: { name: 'vol1-normalised' } });
  });

  it('deletes the new volume and rethrows when its CHAP is refused', async () => {
    const refusal = new TidegateError(ErrorCode.InvalidArgument, 'CHAP secrets must be 12 to 16 characters');
    const h = consoleHarness({
      engine: {
        'volume.create': () => created,
        'volume.iscsi': () => Promise.reject(refusal),
        'volume.delete': ({ name }) => ({ deleted: name }),
      },
    });
    await expect(h.call('volumes.create', { name: 'vol1', sizeBytes: 4096, chap: { user: 'u', secret: 'short' } })).rejects.toBe(refusal);
    expect(h.calls.map((c) => [c.method, c.params])).toEqual([
      ['volume.create', { name: 'vol1', sizeBytes: 4096, mode: 'cached' }],
      ['volume.iscsi', { name: 'vol1', chap: { user: 'u', secret: 'short' } }],
      ['volume.delete', { name: 'vol1' }],
    ]);
  });

  it('rethrows the CHAP refusal, not the delete failure, when the clean-up fails too', async () => {
    const refusal = new TidegateError(ErrorCode.InvalidArgument, 'bad CHAP');
    const h = consoleHarness({
      engine: {
        'volume.create': () => created,
        'volume.iscsi': () => Promise.reject(refusal),
        'volume.delete': () => Promise.reject(new Error('delete failed')),
      },
    });
    await expect(h.call('volumes.create', { name: 'vol1', sizeBytes: 4096, chap: { user: 'u', secret: 'abcdefghijkl' } })).rejects.toBe(refusal);
    expect(h.calls.map((c) => c.method)).toEqual(['volume.create', 'volume.iscsi', 'volume.delete']);
  });

  it('does not set CHAP (nor delete) when volume.create itself fails', async () => {
    const h = consoleHarness({ engine: { 'volume.create': () => Promise.reject(new TidegateError(ErrorCode.AlreadyExists, 'exists')) } });
    await expect(h.call('volumes.create', { name: 'vol1', sizeBytes: 4096, chap: { user: 'u', secret: 'abcdefghijkl' } })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(h.calls.map((c) => c.method)).toEqual(['volume.create']);
  });
});

describe('volumes.delete', () => {
  it('refuses a confirmName that differs, without calling the engine', async () => {
    const h = consoleHarness({ engine: { 'volume.delete': ({ name }) => ({ deleted: name }) } });
    for (const confirmName of ['vol2', 'VOL1', 'vol1 ', undefined, null, 1]) {
      const err = await refused(h.call('volumes.delete', { name: 'vol1', confirmName }));
      expect(err.code).toBe('CONFIRMATION_MISMATCH');
      expect(err.message).toContain('vol1');
    }
    expect(h.calls).toEqual([]);
  });

  it('deletes when the name is typed again, passing only the name', async () => {
    const h = consoleHarness({ engine: { 'volume.delete': ({ name }) => ({ deleted: name }) } });
    expect(await h.call('volumes.delete', { name: 'vol1', confirmName: 'vol1', force: true })).toEqual({ deleted: 'vol1' });
    expect(h.calls).toEqual([{ method: 'volume.delete', params: { name: 'vol1' }, timeoutMs: undefined }]);
  });

  it('refuses a missing name as INVALID_ARGUMENT', async () => {
    const h = consoleHarness();
    expect((await refused(h.call('volumes.delete', { confirmName: '' }))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('volumes.setIscsiAccess', () => {
  it('passes the name, CHAP and allow-list, and nothing else', async () => {
    const h = consoleHarness({ engine: { 'volume.iscsi': () => volumeInfo('vol1') } });
    await h.call('volumes.setIscsiAccess', { name: 'vol1', chap: { user: 'u', secret: 'abcdefghijkl', x: 1 }, allowedInitiators: ['iqn.1991-05.com.microsoft:pc1'], targetName: 'forged' });
    await h.call('volumes.setIscsiAccess', { name: 'vol1', chap: null });
    await h.call('volumes.setIscsiAccess', { name: 'vol1', allowedInitiators: [] });
    expect(h.calls.map((c) => c.params)).toEqual([
      { name: 'vol1', chap: { user: 'u', secret: 'abcdefghijkl' }, allowedInitiators: ['iqn.1991-05.com.microsoft:pc1'] },
      { name: 'vol1', chap: null },
      { name: 'vol1', allowedInitiators: [] },
    ]);
  });

  it('refuses an allow-list that is not a list of names', async () => {
    const h = consoleHarness({ engine: { 'volume.iscsi': () => volumeInfo('vol1') } });
    for (const allowedInitiators of ['iqn.x', [1], [null], { 0: 'iqn' }]) {
      const err = await refused(h.call('volumes.setIscsiAccess', { name: 'vol1', allowedInitiators }));
      expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('allowedInitiators') });
    }
    expect(h.calls).toEqual([]);
  });
});

describe('volumes.sync', () => {
  const rp: RecoveryPoint = { headNo: 7, lastSeq: 1234, committedAt: '2026-01-01T00:00:05.000Z' };

  /** A harness whose volume.sync waits until `finish` is called. */
  function syncHarness(queued: number[]): { h: Harness; finish: (err?: Error) => void } {
    let resolveSync!: (r: RecoveryPoint) => void;
    let rejectSync!: (e: Error) => void;
    let i = 0;
    const h = consoleHarness({
      engine: {
        'volume.list': () => [volumeInfo('other', 999_999), volumeInfo('vol1', queued[Math.min(i++, queued.length - 1)]!)],
        'volume.sync': () =>
          new Promise<RecoveryPoint>((res, rej) => {
            resolveSync = res;
            rejectSync = rej;
          }),
      },
    });
    return { h, finish: (err) => (err ? rejectSync(err) : resolveSync(rp)) };
  }

  const progress = (h: Harness): SyncProgress[] => h.events.map((e) => {
    expect(e.event).toBe('volumes.syncProgress');
    return e.payload as SyncProgress;
  });

  it('emits running progress about once a second, then done with the recovery point', async () => {
    vi.useFakeTimers();
    const { h, finish } = syncHarness([10_000, 6_000, 2_000]);
    const result = h.call('volumes.sync', { name: 'vol1' });
    await vi.advanceTimersByTimeAsync(0);
    expect(progress(h)).toEqual([{ name: 'vol1', phase: 'running', totalBytes: 10_000, remainingBytes: 10_000, recoveryPoint: null, error: null }]);
    expect(h.calls.find((c) => c.method === 'volume.sync')?.params).toEqual({ name: 'vol1' });
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(progress(h).map((p) => [p.phase, p.remainingBytes])).toEqual([
      ['running', 10_000],
      ['running', 6_000],
      ['running', 2_000],
    ]);
    finish();
    expect(await result).toEqual(rp);
    const last = progress(h).at(-1)!;
    expect(last).toEqual({ name: 'vol1', phase: 'done', totalBytes: 10_000, remainingBytes: 0, recoveryPoint: rp, error: null });
    // Nothing more once done.
    const n = h.events.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.events).toHaveLength(n);
  });

  it('never reports more remaining than there was at the start (new writes arrive meanwhile)', async () => {
    vi.useFakeTimers();
    const { h, finish } = syncHarness([1_000, 50_000]);
    const result = h.call('volumes.sync', { name: 'vol1' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(progress(h).map((p) => p.remainingBytes)).toEqual([1_000, 1_000]);
    finish();
    await result;
  });

  it('emits failed with the error and rethrows it when the sync fails', async () => {
    vi.useFakeTimers();
    const { h, finish } = syncHarness([500]);
    const result = h.call('volumes.sync', { name: 'vol1' });
    const caught = result.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    const err = new TidegateError(ErrorCode.StoreUnavailable, 'the bucket is unreachable');
    finish(err);
    expect(await caught).toBe(err);
    expect(progress(h).at(-1)).toEqual({ name: 'vol1', phase: 'failed', totalBytes: 500, remainingBytes: 500, recoveryPoint: null, error: 'the bucket is unreachable' });
    const n = h.events.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.events).toHaveLength(n);
  });

  it('sends no running progress after done, even when a progress poll was still under way', async () => {
    vi.useFakeTimers();
    let releaseList: (() => void) | null = null;
    let lists = 0;
    let resolveSync!: (r: RecoveryPoint) => void;
    const h = consoleHarness({
      engine: {
        'volume.list': async () => {
          if (lists++ > 0) await new Promise<void>((r) => (releaseList = r)); // the poll hangs a while
          return [volumeInfo('vol1', 800)];
        },
        'volume.sync': () => new Promise<RecoveryPoint>((r) => (resolveSync = r)),
      },
    });
    const result = h.call('volumes.sync', { name: 'vol1' });
    await vi.advanceTimersByTimeAsync(1_000); // the poll starts and hangs
    expect(releaseList).not.toBeNull();
    resolveSync(rp);
    await result;
    releaseList!();
    await vi.advanceTimersByTimeAsync(0);
    expect(progress(h).at(-1)!.phase).toBe('done');
  });

  it('refuses an unknown volume with NOT_FOUND, before syncing or emitting', async () => {
    const h = consoleHarness({ engine: { 'volume.list': () => [volumeInfo('other')], 'volume.sync': () => rp } });
    expect(await refused(h.call('volumes.sync', { name: 'vol1' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(h.calls.map((c) => c.method)).toEqual(['volume.list']);
    expect(h.events).toEqual([]);
  });

  it('refuses a request without a name', async () => {
    const h = consoleHarness();
    expect(await refused(h.call('volumes.sync', {}))).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'name is required' });
    expect(await refused(h.call('volumes.sync', undefined))).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
