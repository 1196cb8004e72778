import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32Combine } from './crc32-combine.js';

describe('crc32Combine', () => {
  it('equals the CRC of the concatenation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const A = Buffer.from(a);
        const B = Buffer.from(b);
        expect(crc32Combine(crc32(A), crc32(B), B.length)).toBe(crc32(Buffer.concat([A, B])));
      }),
      { numRuns: 500, seed: 5 },
    );
  });

  it('folds many large parts (block and MiB lengths)', () => {
    const parts = [4096, 1 << 20, 12288, 4096, 3 * (1 << 20) + 4096].map((n, i) => Buffer.alloc(n, 0x11 * (i + 1)).fill(i, 0, 7));
    let c = 0;
    for (const p of parts) c = crc32Combine(c, crc32(p), p.length);
    expect(c).toBe(crc32(Buffer.concat(parts)));
  });
});
