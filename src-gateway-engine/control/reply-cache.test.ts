import { describe, expect, it } from 'vitest';
import { ReplyCache } from './reply-cache.js';

describe('ReplyCache', () => {
  it('remembers replies by id until they expire', async () => {
    let now = 0;
    const c = new ReplyCache<string>(10, 1_000, () => now);
    c.set('a', Promise.resolve('A'));
    expect(await c.get('a')).toBe('A');
    now = 999;
    expect(c.get('a')).toBeDefined();
    now = 1_000;
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('keeps only the newest `capacity` ids', () => {
    const c = new ReplyCache<number>(3, 60_000);
    for (let i = 0; i < 5; i++) c.set(`r${i}`, Promise.resolve(i));
    expect(c.size).toBe(3);
    expect(c.get('r0')).toBeUndefined();
    expect(c.get('r1')).toBeUndefined();
    expect(c.get('r4')).toBeDefined();
  });

  it('drops expired entries when new ones arrive', () => {
    let now = 0;
    const c = new ReplyCache<number>(100, 10, () => now);
    c.set('a', Promise.resolve(1));
    c.set('b', Promise.resolve(2));
    now = 20;
    c.set('c', Promise.resolve(3));
    expect(c.size).toBe(1);
  });
});
