import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';

describe('BufferPool', () => {
  it('lends a buffer given back again, as a view of the requested size', () => {
    const pool = new BufferPool(2);
    const a = pool.take(1000);
    expect(a.length).toBe(1000);
    pool.giveBack(a);
    expect(pool.freeBytes).toBe(1000);
    const b = pool.take(600);
    expect(b.length).toBe(600);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.freeBytes).toBe(0);
  });

  it('allocates at least minBytes, so a later larger request still fits', () => {
    const pool = new BufferPool(1, 4096);
    const a = pool.take(100);
    pool.giveBack(a);
    const b = pool.take(4000);
    expect(b.buffer).toBe(a.buffer);
  });

  it('allocates anew when no free buffer is large enough', () => {
    const pool = new BufferPool(2);
    const small = pool.take(100);
    pool.giveBack(small);
    const big = pool.take(200);
    expect(big.buffer).not.toBe(small.buffer);
    expect(pool.freeBytes).toBe(100);
  });

  it('never lends one buffer twice: a second giveBack and a buffer it did not lend are ignored', () => {
    const pool = new BufferPool(4);
    const a = pool.take(64);
    pool.giveBack(a);
    pool.giveBack(a);
    pool.giveBack(Buffer.allocUnsafeSlow(64));
    expect(pool.freeBytes).toBe(64);
    const x = pool.take(64);
    const y = pool.take(64);
    expect(x.buffer).toBe(a.buffer);
    expect(y.buffer).not.toBe(a.buffer);
  });

  it('keeps at most maxFree buffers, and drain lets them all go', () => {
    const pool = new BufferPool(1);
    const a = pool.take(10);
    const b = pool.take(10);
    expect(a.buffer).not.toBe(b.buffer);
    pool.giveBack(a);
    pool.giveBack(b);
    expect(pool.freeBytes).toBe(10);
    pool.drain();
    expect(pool.freeBytes).toBe(0);
    expect(pool.take(10).buffer).not.toBe(a.buffer);
  });

  it('never hands out memory shared with another allocation (small sizes included)', () => {
    const pool = new BufferPool(2);
    const a = pool.take(16);
    const b = pool.take(16);
    expect(a.buffer).not.toBe(b.buffer);
    expect(a.byteOffset).toBe(0);
  });
});
