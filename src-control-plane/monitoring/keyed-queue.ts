/**
 * Runs async tasks one at a time per key (different keys run concurrently). The monitor keys
 * by gateway id so a sample, a sweep and a reconnect of one gateway never interleave their
 * read-compare-write of that gateway's alerts, and samples are judged in arrival order.
 */

/** A per-key FIFO of async tasks. */
export interface KeyedQueue {
  /** Run `task` after every task queued before it under `key`; a failed task does not block the next. */
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Keys with queued or running tasks (for tests). */
  readonly size: number;
}

/** An empty queue. */
export function createKeyedQueue(): KeyedQueue {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const prev = tails.get(key) ?? Promise.resolve();
      const result = prev.then(() => task());
      const tail = result.then(() => undefined, () => undefined);
      tails.set(key, tail);
      // Forget the key once its last task is done, so the map holds only busy gateways.
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    get size() {
      return tails.size;
    },
  };
}
