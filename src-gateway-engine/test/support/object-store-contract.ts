/**
 * The behaviour every ObjectStore promises, as one vitest suite to run against each
 * implementation and each filter stack: call `objectStoreContract(name, factory)` inside
 * a test file. Every test works under its own key prefix, so one store serves them all.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../errors/index.js';
import type { ObjectStore } from '../../objectstore/object-store.js';

/** What a contract factory returns. */
export interface ContractSubject {
  store: ObjectStore;
  cleanup?: () => Promise<void>;
}

/** Options of the contract run. */
export interface ContractOptions {
  /** Also round-trip an object this large (multipart on S3). */
  largeObjectBytes?: number;
  /** Objects written concurrently in the "nothing lost" test. Default 40. */
  concurrentObjects?: number;
}

/** Registers the ObjectStore contract tests for the store the factory builds. */
export function objectStoreContract(name: string, factory: () => Promise<ContractSubject>, opts: ContractOptions = {}): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: ObjectStore;
    let n = 0;
    /** A fresh key namespace per test. */
    const ns = (): string => `t${++n}-${randomBytes(3).toString('hex')}/`;

    beforeAll(async () => {
      subject = await factory();
      store = subject.store;
      await store.ensureBucket();
    });
    afterAll(async () => {
      await subject?.cleanup?.();
    });

    it('ensureBucket succeeds again when the bucket exists', async () => {
      await store.ensureBucket();
      await store.ensureBucket();
    });

    it('stores and returns exact bytes, including empty and binary objects', async () => {
      const p = ns();
      const bodies = [Buffer.alloc(0), Buffer.from([0, 255, 10, 13, 0]), randomBytes(100_003)];
      for (const [i, body] of bodies.entries()) await store.put(`${p}obj-${i}`, body);
      for (const [i, body] of bodies.entries()) expect((await store.get(`${p}obj-${i}`)).equals(body)).toBe(true);
    });

    it('head gives size and the etag put returned; a missing key gives undefined', async () => {
      const p = ns();
      const body = randomBytes(4321);
      const { etag } = await store.put(`${p}a`, body);
      expect(etag).toBeTruthy();
      const info = await store.head(`${p}a`);
      expect(info).toMatchObject({ key: `${p}a`, size: 4321, etag });
      expect(await store.head(`${p}missing`)).toBeUndefined();
    });

    it('an overwrite replaces the whole object and changes the etag', async () => {
      const p = ns();
      const first = await store.put(`${p}k`, Buffer.alloc(5000, 1));
      const second = await store.put(`${p}k`, Buffer.alloc(300, 2));
      expect(second.etag).not.toBe(first.etag);
      expect((await store.get(`${p}k`)).equals(Buffer.alloc(300, 2))).toBe(true);
      expect((await store.head(`${p}k`))?.size).toBe(300);
    });

    it('get of a missing key is NOT_FOUND', async () => {
      await expect(store.get(`${ns()}nope`)).rejects.toMatchObject({ code: ErrorCode.NotFound });
      await expect(store.get(`${ns()}nope`, { offset: 0, length: 10 })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    });

    it('ranged reads return exact slices and clamp at the end of the object', async () => {
      const p = ns();
      const body = randomBytes(10_000);
      await store.put(`${p}r`, body);
      const read = (offset: number, length: number): Promise<Buffer> => store.get(`${p}r`, { offset, length });
      expect((await read(0, 1)).equals(body.subarray(0, 1))).toBe(true);
      expect((await read(1234, 4096)).equals(body.subarray(1234, 1234 + 4096))).toBe(true);
      expect((await read(9999, 1)).equals(body.subarray(9999))).toBe(true);
      expect((await read(0, 10_000)).equals(body)).toBe(true);
      // Past the end: clamped, as S3 does.
      expect((await read(9000, 5000)).equals(body.subarray(9000))).toBe(true);
      expect((await read(10_000, 10)).length).toBe(0);
      expect((await read(50_000, 10)).length).toBe(0);
      expect((await read(5, 0)).length).toBe(0);
    });

    it('rejects bad ranges and bad keys with INVALID_ARGUMENT', async () => {
      const p = ns();
      await store.put(`${p}x`, Buffer.from('x'));
      await expect(store.get(`${p}x`, { offset: -1, length: 1 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
      await expect(store.get(`${p}x`, { offset: 0.5, length: 1 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
      for (const bad of ['', '/abs', 'a//b', 'a/../b', './a', 'a/']) {
        await expect(store.put(bad, Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
      }
    });

    it('lists every key under a prefix in UTF-8 byte order, with sizes', async () => {
      const p = ns();
      const keys = ['b', 'a/z', 'a/b/c', 'a-1', 'a', 'A', 'é', 'z', '~', 'ab', 'a0'].map((k) => `${p}${k}`);
      // 'a' and 'a/…' cannot coexist on a file system; use distinct stems instead.
      const usable = keys.filter((k) => !k.endsWith('/a'));
      await Promise.all(usable.map((k, i) => store.put(k, Buffer.alloc(i + 1))));
      await store.put(`${p.slice(0, -1)}-sibling`, Buffer.from('not under the prefix'));
      const listed = await store.list(p);
      const expected = [...usable].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect(listed.map((o) => o.key)).toEqual(expected);
      for (const o of listed) expect(o.size).toBe(usable.indexOf(o.key) + 1);
      expect((await store.list(`${p}a/`)).map((o) => o.key)).toEqual([`${p}a/b/c`, `${p}a/z`]);
      expect((await store.list(`${p}a/b`)).map((o) => o.key)).toEqual([`${p}a/b/c`]);
      expect(await store.list(`${p}nothing-here/`)).toEqual([]);
    });

    it('lists more keys than one page holds', async () => {
      const p = ns();
      const keys = Array.from({ length: 1100 }, (_, i) => `${p}k${String(i).padStart(5, '0')}`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, Buffer.from(k))));
      }
      expect((await store.list(p)).map((o) => o.key)).toEqual(keys);
    });

    it('ifNoneMatch creates once, then answers PRECONDITION_FAILED and keeps the first object', async () => {
      const p = ns();
      await store.put(`${p}lock`, Buffer.from('first'), { ifNoneMatch: true });
      await expect(store.put(`${p}lock`, Buffer.from('second'), { ifNoneMatch: true })).rejects.toMatchObject({
        code: ErrorCode.PreconditionFailed,
      });
      expect((await store.get(`${p}lock`)).toString()).toBe('first');
    });

    it('of racing ifNoneMatch puts exactly one wins, and its bytes are stored', async () => {
      const p = ns();
      const bodies = Array.from({ length: 6 }, (_, i) => Buffer.from(`writer ${i} ${randomBytes(8).toString('hex')}`));
      const results = await Promise.allSettled(bodies.map((b) => store.put(`${p}token`, b, { ifNoneMatch: true })));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: ErrorCode.PreconditionFailed });
      }
      expect((await store.get(`${p}token`)).equals(bodies[winners[0]!]!)).toBe(true);
    });

    it('delete removes the object and succeeds again when it is gone', async () => {
      const p = ns();
      await store.put(`${p}d`, Buffer.from('bye'));
      await store.delete(`${p}d`);
      expect(await store.head(`${p}d`)).toBeUndefined();
      await expect(store.get(`${p}d`)).rejects.toMatchObject({ code: ErrorCode.NotFound });
      await store.delete(`${p}d`);
      await store.delete(`${p}never-existed`);
      expect(await store.list(p)).toEqual([]);
      // A deleted key can be created again, conditionally too.
      await store.put(`${p}d`, Buffer.from('again'), { ifNoneMatch: true });
      expect((await store.get(`${p}d`)).toString()).toBe('again');
    });

    it('loses nothing under concurrent puts of many objects', async () => {
      const p = ns();
      const count = opts.concurrentObjects ?? 40;
      const bodies = Array.from({ length: count }, (_, i) => randomBytes(1 + ((i * 7919) % 200_000)));
      await Promise.all(bodies.map((b, i) => store.put(`${p}o${String(i).padStart(3, '0')}`, b)));
      const listed = await store.list(p);
      expect(listed).toHaveLength(count);
      const read = await Promise.all(bodies.map((_, i) => store.get(`${p}o${String(i).padStart(3, '0')}`)));
      read.forEach((got, i) => expect(got.equals(bodies[i]!)).toBe(true));
    });

    it('reports upload progress up to the full size', async () => {
      const p = ns();
      const seen: number[] = [];
      await store.put(`${p}prog`, randomBytes(70_000), { onProgress: (sent) => seen.push(sent) });
      expect(seen.at(-1)).toBe(70_000);
    });

    if (opts.largeObjectBytes) {
      const size = opts.largeObjectBytes;
      it(`round-trips a ${Math.round(size / 1024 / 1024)} MiB object, whole and in ranges`, async () => {
        const p = ns();
        const body = randomBytes(size);
        const progress: number[] = [];
        const { etag } = await store.put(`${p}big`, body, { onProgress: (s) => progress.push(s) });
        expect(etag).toBeTruthy();
        expect(progress.at(-1)).toBe(size);
        expect(await store.head(`${p}big`)).toMatchObject({ size, etag });
        expect((await store.get(`${p}big`)).equals(body)).toBe(true);
        const mid = Math.floor(size / 2) - 3;
        expect((await store.get(`${p}big`, { offset: mid, length: 1 << 20 })).equals(body.subarray(mid, mid + (1 << 20)))).toBe(true);
        // Other bytes: through a RetryingStore, re-putting identical bytes after a transient
        // failure is (by design) read back and counted as our own earlier success.
        const other = Buffer.from(body);
        other[0] ^= 0xff;
        await expect(store.put(`${p}big`, other, { ifNoneMatch: true })).rejects.toMatchObject({ code: ErrorCode.PreconditionFailed });
        expect((await store.get(`${p}big`, { offset: 0, length: 1 }))[0]).toBe(body[0]);
        await store.delete(`${p}big`);
        expect(await store.head(`${p}big`)).toBeUndefined();
      });
    }
  });
}
