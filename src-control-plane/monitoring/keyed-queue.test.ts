import { describe, expect, it } from 'vitest';
import { createKeyedQueue } from './keyed-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('createKeyedQueue', () => {
  it('runs tasks of one key one at a time, in order, and other keys alongside', async () => {
    const q = createKeyedQueue();
    const events: string[] = [];
    const gate = deferred();
    const a1 = q.run('a', async () => {
      events.push('a1 start');
      await gate.promise;
      events.push('a1 end');
      return 1;
    });
    const a2 = q.run('a', async () => {
      events.push('a2');
      return 2;
    });
    const b1 = q.run('b', async () => {
      events.push('b1');
      return 3;
    });
    await b1;
    expect(events).toEqual(['a1 start', 'b1']);
    gate.resolve();
    expect(await Promise.all([a1, a2])).toEqual([1, 2]);
    expect(events).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('a failed task rejects its caller but does not block the next', async () => {
    const q = createKeyedQueue();
    const failed = q.run('a', async () => {
      throw new Error('boom');
    });
    const next = q.run('a', async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });

  it('forgets idle keys', async () => {
    const q = createKeyedQueue();
    await q.run('a', async () => undefined);
    await new Promise((r) => setImmediate(r));
    expect(q.size).toBe(0);
  });
});
