import { describe, expect, it } from 'vitest';
import { ReceiveBuffer } from './receive-buffer.js';

describe('ReceiveBuffer', () => {
  it('takes views inside one chunk and copies across chunks', () => {
    const r = new ReceiveBuffer();
    const a = Buffer.from('hello ');
    r.push(a);
    r.push(Buffer.from('world'));
    const view = r.take(3);
    expect(view.buffer).toBe(a.buffer);
    expect(view.toString()).toBe('hel');
    expect(r.take(6).toString()).toBe('lo wor');
    expect(r.length).toBe(2);
    expect(r.skip(10)).toBe(2);
    expect(r.length).toBe(0);
  });

  it('resolves readExact once enough bytes arrive, and rejects when failed', async () => {
    const r = new ReceiveBuffer();
    const p = r.readExact(4);
    r.push(Buffer.from([1, 2]));
    r.push(Buffer.from([3, 4, 5]));
    expect([...(await p)]).toEqual([1, 2, 3, 4]);
    const skip = r.skipExact(3);
    r.push(Buffer.from([6, 7]));
    await skip;
    expect(r.length).toBe(0);
    const q = r.readExact(1);
    r.fail(new Error('closed'));
    await expect(q).rejects.toThrow('closed');
    await expect(r.readExact(1)).rejects.toThrow('closed');
  });

  it('takes views of the chunks the bytes lie in, never copies', async () => {
    const r = new ReceiveBuffer();
    const a = Buffer.from('abc');
    const b = Buffer.from('defg');
    const c = Buffer.from('hij');
    r.push(a);
    r.push(b);
    const one = r.takeViews(1) as Buffer;
    expect(one.buffer).toBe(a.buffer);
    const views = r.takeViews(5) as Buffer[];
    expect(views.map((p) => p.toString())).toEqual(['bc', 'def']);
    expect(views[0]!.buffer).toBe(a.buffer);
    expect(views[1]!.buffer).toBe(b.buffer);
    const later = r.readViews(3);
    r.push(c);
    expect(((await later) as Buffer[]).map((p) => p.toString())).toEqual(['g', 'hi']);
    expect(r.length).toBe(1);
  });
});
