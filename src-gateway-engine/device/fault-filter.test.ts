import { describe, expect, it } from 'vitest';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { FaultFilter } from './fault-filter.js';
import { MemoryDevice } from './memory-device.js';
import { SeededRandom } from './seeded-random.js';

async function outcomes(seed: number): Promise<boolean[]> {
  const f = new FaultFilter(new MemoryDevice({ size: 1 << 20 }), { seed, errorRate: { read: 0.5 } });
  const result: boolean[] = [];
  for (let i = 0; i < 50; i++) {
    result.push(
      await f.read(0, 16).then(
        () => true,
        () => false,
      ),
    );
  }
  return result;
}

describe('FaultFilter', () => {
  it('is reproducible for a seed and injects roughly the configured rate', async () => {
    const a = await outcomes(42);
    expect(await outcomes(42)).toEqual(a);
    expect(await outcomes(43)).not.toEqual(a);
    const failures = a.filter((ok) => !ok).length;
    expect(failures).toBeGreaterThan(10);
    expect(failures).toBeLessThan(40);
  });

  it('fails only the configured kinds, with the configured code, before reaching the device', async () => {
    const inner = new MemoryDevice({ size: 1 << 20 });
    const f = new FaultFilter(inner, { errorRate: { write: 1 }, errorCode: ErrorCode.NoSpace });
    const err = await f.write(0, Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TidegateError);
    expect((err as TidegateError).code).toBe(ErrorCode.NoSpace);
    expect(inner.allocatedBytes).toBe(0);
    await f.read(0, 1);
    await f.flush();
    expect(f.injected).toBe(1);
    f.configure({});
    await f.write(0, Buffer.from('x'));
    expect((await f.read(0, 1)).toString()).toBe('x');
  });

  it('adds latency', async () => {
    const f = new FaultFilter(new MemoryDevice({ size: 4096 }), { delayMs: 5 });
    let resolved = false;
    const p = f.flush().then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(false);
    await p;
    expect(resolved).toBe(true);
  });

  it('rejects rates outside [0, 1]', () => {
    expect(() => new FaultFilter(new MemoryDevice({ size: 4096 }), { errorRate: { read: 2 } })).toThrow(RangeError);
  });
});

describe('SeededRandom', () => {
  it('yields floats in [0, 1)', () => {
    const r = new SeededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const x = r.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});
